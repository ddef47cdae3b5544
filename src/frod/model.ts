/**
 * FrodModel: the FRoD tuner (PEFT's FrodModel) on the method-neutral base of src/peft.
 *
 *   const peft = getPeftModel(model, new FrodConfig({ targetModules: ['query', 'value'] }));
 *   peft.printTrainableParameters();           // trainable params: … || all params: … || trainable%: …
 *   peft.savePretrained('out');                // adapter_config.json + adapter_model.safetensors
 *   const again = PeftModel.fromPretrained(freshModel, 'out', { isTrainable: true });
 *
 * Each adapter gets its own category states (V + pattern per category); adapters with the same targets,
 * key and dtype share them (computed once). All adapters of a model must share `projection_prng_key`,
 * `save_projection` and `runtime_offload_base_weight`.
 */
import type { Mat } from '../linalg/kernels/mat';
import type { SafetensorsValue } from '../nn/io';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import { type TunerType, registerTunerType } from '../peft/registry';
import { FROD_TARGET_MODULES_MAPPING } from '../peft/targetModulesMapping';
import { warn } from '../peft/warnings';
import { type AdapterKeys, type ResolvedTarget, checkCheckpointCoversTargets, forcedFanInFanOut, resolveTargets } from '../peft/inject';
import { BaseTuner } from '../peft/tuner';
import { type CategoryState, checkpointCategoryStates, freshCategoryStates } from './basis';
import { groupByCategory } from './categories';
import { FrodConfig, checkAdaptersAgree } from './config';
import { NOT_PORTABLE, checkLayerVectors, regeneratesProjections } from './functional';
import { lambdaKey, parseAdapterKey, sValuesKey } from './keys';
import { FrodLinear } from './layer';
import { samplePattern } from './pattern';
import { adapterDType, decomposableWeightMatrix } from './weights';

/** FRoD's per-module keys: λ and the S values. */
const FROD_KEYS: AdapterKeys = {
  pathOf: (key) => {
    const parsed = parseAdapterKey(key);
    return parsed.kind === 'lambda' || parsed.kind === 'sValues' ? parsed.path : null;
  },
  keysOf: (path) => [lambdaKey(path), sValuesKey(path)],
};

export class FrodModel extends BaseTuner<FrodConfig> {
  readonly prefix = 'frod_';
  readonly methodName = 'FRoD';
  readonly targetModuleMapping = FROD_TARGET_MODULES_MAPPING;
  /** Fresh category states by (category, members, dtype, α): V is shared across adapters. */
  private readonly freshStates = new Map<string, CategoryState>();
  /** How many adapters were added so far: seeds the `init_weights: false` noise instead of the adapter's name. */
  private adaptersAdded = 0;

  protected checkNewAdapter(name: string, config: FrodConfig): void {
    if (!(config instanceof FrodConfig)) throw new Error(`adapter '${name}': expected a FrodConfig`);
    checkAdaptersAgree(new Map([...this.peftConfig, [name, config]]));
  }

  protected isMethodKey(key: string): boolean {
    return parseAdapterKey(key).kind !== 'modelTensor';
  }

  /**
   * Category states of a fresh adapter. V depends only on the members, dtype and α, so a V another adapter
   * computed is reused (with this adapter's pattern when its sparse rate differs).
   */
  private freshStatesFor(targets: readonly string[], mats: Map<string, Mat>, config: FrodConfig, dtype: Tensor['dtype']): CategoryState[] {
    const keyOf = (name: string, paths: readonly string[]) => JSON.stringify([name, paths, dtype, config.regularizationAlpha]);
    const groups = groupByCategory(targets);
    const missing = groups.filter((g) => !this.freshStates.has(keyOf(g.name, g.paths))).flatMap((g) => g.paths);
    const computed = missing.length ? freshCategoryStates(targets.filter((t) => missing.includes(t)), mats, config, { dtype }) : [];
    for (const state of computed) this.freshStates.set(keyOf(state.name, state.paths), state);
    return groups.map((g) => {
      const known = this.freshStates.get(keyOf(g.name, g.paths)) as CategoryState;
      const pattern = samplePattern(known.inFeatures, config.sparseRate, config.projectionPrngKey, g.name);
      const same = pattern.nnz === known.pattern.nnz && pattern.rows.every((r, i) => r === known.pattern.rows[i] && pattern.cols[i] === known.pattern.cols[i]);
      return same ? known : known.withPattern(pattern);
    });
  }

  protected injectAdapter(name: string, config: FrodConfig, targets: readonly string[],
    checkpoint: Readonly<Record<string, Tensor>> | null): FrodConfig {
    const resolved = resolveTargets(this.model, targets, 'FRoD', FrodLinear);
    const kinds = [...resolved.values()];
    const kept = forcedFanInFanOut(config, kinds.map((t) => t.conv1d));
    const mats = new Map([...resolved].map(([path, t]) => [path, decomposableWeightMatrix({ weight: t.base.weight, fanInFanOut: t.conv1d }, path)]));
    const dtype = adapterDType(kinds.map((k) => k.base.weight));
    if (checkpoint) checkCheckpointCoversTargets(checkpoint, targets, 'FRoD', FROD_KEYS);
    if (checkpoint && regeneratesProjections(targets, checkpoint, kept)) warn(`FRoD adapter '${name}' is loaded without saved projections (save_projection: false): ${NOT_PORTABLE}`);
    const states = checkpoint
      ? checkpointCategoryStates(targets, mats, checkpoint, kept, { dtype })
      : this.freshStatesFor(targets, mats, kept, dtype);
    // Check every trained vector before touching the model, so a bad checkpoint leaves it unchanged.
    const plan = states.flatMap((state) => state.paths.map((path) => {
      const trained = checkpoint ? { lambda: checkpoint[lambdaKey(path)], sValues: checkpoint[sValuesKey(path)] } : null;
      if (trained) checkLayerVectors(path, state, trained.lambda, trained.sValues);
      return { path, state, trained, target: resolved.get(path) as ResolvedTarget };
    }));
    for (const { path, state, trained, target } of plan) {
      const layer = target.module instanceof FrodLinear ? target.module : new FrodLinear(target.base, path, target.conv1d);
      layer.updateLayer(name, state, kept, trained, this.adaptersAdded, this.autocastAdapterDtype);
      if (layer !== target.module) this.model.setSubmodule(path, layer);
    }
    this.adaptersAdded += 1;
    return kept;
  }

  protected methodCheckpoint(name: string, config: FrodConfig): Record<string, SafetensorsValue> {
    const out: Record<string, SafetensorsValue> = {};
    const categories = new Set<CategoryState>();
    for (const [path, layer] of this.tunerLayers()) {
      if (!(layer instanceof FrodLinear) || !layer.adapterNames().includes(name)) continue;
      out[lambdaKey(path)] = layer.frodLambdaL.get(name).detach();
      out[sValuesKey(path)] = layer.frodLambdaSValues.get(name).detach();
      categories.add(layer.categoryOf(name));
    }
    if (!config.saveProjection) warn(`FRoD adapter '${name}' is saved without its projections (save_projection: false): ${NOT_PORTABLE}`);
    if (config.saveProjection) {
      for (const state of categories) {
        for (const [key, value] of Object.entries(state.checkpointTensors())) {
          out[key] = value.dtype === 'int32' ? { tensor: value, dtype: 'I64' } : value;
        }
      }
    }
    return out;
  }

  /** FRoD layers with their paths. */
  frodLayers(): [string, FrodLinear][] {
    return this.tunerLayers().filter((e): e is [string, FrodLinear] => e[1] instanceof FrodLinear);
  }
}

/** FRoD as the PeftModel registry knows it. */
export const FROD_TUNER: TunerType<FrodConfig> = {
  peftType: 'FROD',
  configFromJSON: (json) => FrodConfig.fromJSON(json),
  withInferenceMode: (config, inferenceMode) => (config.inferenceMode === inferenceMode ? config : config.with({ inferenceMode })),
  createTuner: (model) => new FrodModel(model),
};
registerTunerType(FROD_TUNER);


/** Re-exported so that importing it from here also registers FRoD with the method registry. */
export { getPeftModel } from '../peft/mapping';
