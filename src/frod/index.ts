/**
 * FRoD (Full-Rank Efficient Fine-Tuning with Rotational Degrees) as Hugging Face PEFT ships it.
 *
 * PUBLISHED API (signatures the CLI codes against; the implementations land file by file below).
 *
 * --- Pure functions on raw weights: no Module tree needed (src/frod/functional.ts) ---------------------
 *
 *   interface BaseWeight {
 *     weight: Tensor;        // as stored: (out, in), or (in, out) when fanInFanOut (GPT-2 Conv1D)
 *     fanInFanOut: boolean;
 *   }
 *   type BaseWeights = ReadonlyMap<string, BaseWeight>;   // module path (no ".weight") → weight
 *
 *   // Every 2-D "<path>.weight" of a state dict whose <path> the config targets (spec §4), as
 *   // BaseWeights with fanInFanOut = config.fanInFanOut. Throws noTargetsMessage when nothing matches, and
 *   // "FRoD: module '<path>' is targeted but its weight has shape (a,b,c); only 2-D Linear/Conv1D weights ..."
 *   function weightsFromStateDict(stateDict: Readonly<Record<string, Tensor>>, config: FrodConfig): Map<string, BaseWeight>;
 *
 *   // A fresh adapter (spec §1-§3, §6): checkpoint key → tensor, exactly the tensors of
 *   // adapter_model.safetensors (λ and S values per module; V, s_indices, s_size per category, these three
 *   // only when config.saveProjection). V/λ/S take the weights' float dtype (float32 unless all are float64);
 *   // s_indices / s_size are int32 tensors (written as I64 by writeAdapterDir / adapterFiles).
 *   // options.stateDict: the whole base state dict, to add modules_to_save copies and biases per config.bias.
 *   function initAdapterFromWeights(weights: BaseWeights, config: FrodConfig,
 *     options?: { stateDict?: Readonly<Record<string, Tensor>>; progress?: boolean }): Record<string, Tensor>;
 *
 *   // The merged base (spec §1, §7): state-dict tensor name → new tensor, for every adapted module
 *   // ("<path>.weight" = W' in the stored orientation and the weight's dtype) plus any plain model tensor the
 *   // adapter carries (modules_to_save copies, trained biases). Every other tensor is untouched (not returned).
 *   // Projections come from the adapter, or are regenerated bit-for-bit when save_projection is false.
 *   // safe: refuse non-finite results (error names the module). Errors name module and both shapes when the
 *   // adapter was made for other shapes, and the module when the base lacks a weight the adapter adapts.
 *   function mergeWeightsWithAdapter(weights: BaseWeights, adapterTensors: Readonly<Record<string, Tensor>>,
 *     config: FrodConfig, options?: { safe?: boolean; adapterName?: string }): Map<string, Tensor>;
 *
 *   // Summary for `frod inspect`: per category its modules, in, nnz, path ('svd' | 'qr-eig' when known),
 *   // and trainable parameter counts (in + nnz per module).
 *   function inspectAdapter(adapterTensors: Readonly<Record<string, Tensor>>, config?: FrodConfig): AdapterSummary;
 *   interface AdapterSummary { categories: { name: string; modules: string[]; inFeatures: number; nnz: number;
 *     hasProjection: boolean }[]; trainableParameters: number; otherTensors: string[] }
 *
 * --- Adapter directories (src/frod/checkpoint.ts; Node for paths) ------------------------------------------
 *   // adapter_config.json (FrodConfig.toJSONString) + adapter_model.safetensors ({format: 'pt'} metadata,
 *   // frod_s_indices / frod_s_size as I64), both written atomically; creates dir if needed.
 *   function writeAdapterDir(dir: string, config: FrodConfig, adapterTensors: Readonly<Record<string, Tensor>>): void;
 *   function adapterFiles(config: FrodConfig, adapterTensors): { configJson: string; safetensors: Uint8Array };
 *   // Reads and validates both files (config errors name the field; corrupted safetensors → SafetensorsError);
 *   // every key is checked with parseAdapterKey.
 *   function readAdapterDir(dir: string): { config: FrodConfig; tensors: Record<string, Tensor> };
 *
 * --- Module-level (src/frod/model.ts, src/peft) ------------------------------------------------------------
 *   function getPeftModel(model: Module, config: FrodConfig, adapterName = 'default'): PeftModel;
 *   class PeftModel extends Module { forward(...); printTrainableParameters(); getNbTrainableParameters();
 *     addAdapter(name, config); setAdapter(name | names); deleteAdapter(name); activeAdapters; disableAdapter(fn);
 *     mergeAdapter(names?); unmergeAdapter(); mergeAndUnload({safeMerge, adapterNames}); unload();
 *     savePretrained(dir, {adapterNames}); static fromPretrained(model, dir, {adapterName, isTrainable});
 *     loadAdapter(dir, name, {isTrainable}) }
 *   class FrodLinear extends Module (one adapted layer).
 *
 * --- Projection (src/frod/projection.ts) -------------------------------------------------------------------
 *   function categoryProjection(weights: Float64 (out_i, in) matrices, alpha): { v, path, spectrum } (§2).
 */
export * from './config';
export * from './categories';
export * from './targets';
export * from './pattern';
export * from './keys';
