/**
 * PeftModel: the user-facing wrapper around a tuner (PEFT's PeftModel). It forwards to the wrapped model,
 * reports trainable parameters, manages adapters, and saves / loads adapter directories
 * (`adapter_config.json` + `adapter_model.safetensors`; adapter "default" in the directory itself, any other
 * adapter in a sub-directory of its name, as PEFT does). `PeftModel.fromPretrained` picks the method by the
 * `peft_type` of the config (see src/peft/registry.ts).
 */
import { type SafetensorsValue, decodeSafetensors, safetensorsBytes } from '../nn/io';
import { Module } from '../nn/module';
import type { Device, DType, Tensor } from '../tensor';
import { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, type AdapterFileContents, readAdapterDirectory } from './adapterFiles';
import { writeAdapterDirectories } from './adapterCommit';
import type { PeftConfig } from './config';
import { type TunerType, registerTunerType, tunerTypeFor } from './registry';
import type { BaseTuner } from './tuner';
import { checkAdapterName } from './tunerLayer';
import { countParameters, trainableParametersLine } from './trainable';
import { warn } from './warnings';

export { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, registerTunerType, type TunerType };

export interface LoadAdapterOptions {
  /** false (default): the adapter is frozen (inference mode) and the model is put in eval mode, as PEFT. */
  isTrainable?: boolean;
  /**
   * PEFT's autocast_adapter_dtype (default true): over float16/bfloat16 base weights the trainable adapter
   * tensors are float32.
   */
  autocastAdapterDtype?: boolean;
}

/** An adapter directory read and parsed for method `type`. */
function readAdapter(dir: string, what: string, expected?: TunerType): { type: TunerType; config: PeftConfig; tensors: Record<string, Tensor> } {
  const { weightsPath, config, weights } = readAdapterDirectory(dir, what, (configJson, configPath) => {
    const type = expected ?? tunerTypeFor(configJson.peft_type, configPath);
    if (configJson.peft_type !== type.peftType) {
      throw new Error(`${configPath}: peft_type ${JSON.stringify(configJson.peft_type)} does not match this model's ${JSON.stringify(type.peftType)}`);
    }
    try {
      return { type, config: type.configFromJSON(configJson) };
    } catch (err) {
      throw new Error(`${configPath}: ${(err as Error).message}`);
    }
  });
  return { ...config, tensors: decodeSafetensors(weights, weightsPath).tensors };
}

/** The argument list and result of a module's forward. */
type ForwardArgs<M extends Module> = M['forward'] extends (...args: infer A) => unknown ? A : never[];
type ForwardResult<M extends Module> = M['forward'] extends (...args: never[]) => infer R ? R : unknown;

export class PeftModel<C extends PeftConfig = PeftConfig, M extends Module = Module> extends Module {
  /** The tuner (registered as `base_model`). */
  readonly baseModel: BaseTuner<C>;
  private readonly type: TunerType<C>;

  constructor(tuner: BaseTuner<C>, type: TunerType<C>) {
    super();
    this.baseModel = tuner;
    this.type = type;
    this.registerModule('base_model', tuner);
  }

  /** Runs the wrapped model (with the active adapters). */
  override forward(...inputs: ForwardArgs<M>): ForwardResult<M> {
    const model = this.baseModel.model;
    return (model.forward as (...args: unknown[]) => ForwardResult<M>).apply(model, inputs);
  }

  /** Moves (or converts) the model; the tree below is the tuner's, whose `to` keeps offloaded base weights in host memory. */
  override to(target: Device | DType): this {
    this.baseModel.to(target);
    return this;
  }

  /** The wrapped model (its targeted layers replaced by adapter layers). */
  get model(): M {
    return this.baseModel.model as M;
  }

  /** The wrapped model (PEFT's `get_base_model()`). */
  getBaseModel(): M {
    return this.model;
  }

  /** Adapter configs by name (as prepared: default targets and task heads filled in). */
  get peftConfig(): ReadonlyMap<string, C> {
    return this.baseModel.peftConfig;
  }

  get activeAdapters(): string[] {
    return this.baseModel.activeAdapters;
  }

  /** The first active adapter. */
  get activeAdapter(): string {
    return this.activeAdapters[0];
  }

  addAdapter(adapterName: string, config: C): void {
    this.baseModel.addAdapter(adapterName, config);
  }

  setAdapter(adapterName: string | readonly string[]): void {
    this.baseModel.setAdapter(adapterName);
  }

  deleteAdapter(adapterName: string): void {
    this.baseModel.deleteAdapter(adapterName);
  }

  /** Disables every adapter layer (forward = the base model) until {@link enableAdapterLayers}. */
  disableAdapterLayers(): void {
    this.baseModel.setAdaptersEnabled(false);
  }

  enableAdapterLayers(): void {
    this.baseModel.setAdaptersEnabled(true);
  }

  /**
   * Runs `fn` with every adapter disabled (outputs are exactly the base model's), then restores the state
   * from before — also when `fn` throws or its promise rejects. Layers that were all disabled stay disabled;
   * a mix of enabled and disabled layers is warned about and ends all enabled, as in PEFT.
   */
  disableAdapter<T>(fn: () => T): T {
    const before = this.baseModel.adaptersEnabledState();
    if (before === 'irregular') {
      warn('The model contains some adapter layers that are enabled and others that are disabled. This is most likely unintentional. After exiting the disable_adapter context, all adapters will be enabled');
    }
    const restore = () => {
      if (before !== false) this.baseModel.setAdaptersEnabled(true);
    };
    this.baseModel.setAdaptersEnabled(false);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      restore();
      throw err;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }

  mergeAdapter(adapterNames?: readonly string[], options: { safeMerge?: boolean } = {}): void {
    this.baseModel.merge({ adapterNames, safeMerge: options.safeMerge });
  }

  unmergeAdapter(): void {
    this.baseModel.unmerge();
  }

  /** Merges the adapters (default: active) and returns the plain model. */
  mergeAndUnload(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): M {
    return this.baseModel.mergeAndUnload(options) as M;
  }

  /** Removes the adapter layers and returns the plain model with its original weights. */
  unload(): M {
    return this.baseModel.unload() as M;
  }

  /** `[trainable, all]` parameter counts. */
  getNbTrainableParameters(): [number, number] {
    return countParameters(this);
  }

  /** Prints (and returns) `trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730`. */
  printTrainableParameters(): string {
    const line = trainableParametersLine(...this.getNbTrainableParameters());
    console.log(line);
    return line;
  }

  /** The files of one adapter: adapter_config.json (inference_mode true, as PEFT writes it) and the tensors. */
  adapterFiles(adapterName: string): AdapterFileContents {
    const tensors: Record<string, SafetensorsValue> = this.baseModel.checkpointTensors(adapterName);
    const config = this.type.withInferenceMode(this.peftConfig.get(adapterName) as C, true);
    return { configJson: config.toJSONString(), safetensors: safetensorsBytes(tensors, { format: 'pt' }) };
  }

  /**
   * Saves adapters (default: all): "default" into `dir`, others into `dir/<name>`, all or nothing: names are
   * checked and every adapter's files built before anything is written, and the files are written as one
   * transaction, so whatever moment the process dies `dir` holds the complete old or the complete new
   * adapters (see src/peft/adapterCommit.ts). Other files in `dir` are left alone.
   */
  savePretrained(dir: string, options: { adapterNames?: readonly string[] } = {}): void {
    const names = options.adapterNames ?? [...this.peftConfig.keys()];
    for (const name of names) checkAdapterName(name);
    const writes = names.map((name) => ({ subdir: name === 'default' ? '' : name, files: this.adapterFiles(name) }));
    writeAdapterDirectories(dir, writes, 'savePretrained');
  }

  /**
   * Loads the adapter saved in `dir` as adapter `adapterName` (not made active). Unless `isTrainable`, it is
   * frozen and the model goes to eval mode, as PEFT's `load_adapter`.
   */
  loadAdapter(dir: string, adapterName: string, options: LoadAdapterOptions = {}): void {
    const { config, tensors } = readAdapter(dir, 'PeftModel.loadAdapter', this.type as unknown as TunerType);
    const trainable = options.isTrainable ?? false;
    this.baseModel.autocastAdapterDtype = options.autocastAdapterDtype ?? true;
    this.baseModel.addAdapter(adapterName, this.type.withInferenceMode(config as C, !trainable), tensors);
    if (!trainable) this.eval();
  }

  /**
   * Wraps `model` with the adapter saved in `dir`, of whatever method its `peft_type` names. Unless
   * `isTrainable`, the adapter is frozen (inference mode) and the model is put in eval mode, as PEFT does.
   */
  static fromPretrained<M extends Module>(model: M, dir: string, options: LoadAdapterOptions & { adapterName?: string } = {}): PeftModel<PeftConfig, M> {
    const { type, config, tensors } = readAdapter(dir, 'PeftModel.fromPretrained');
    const trainable = options.isTrainable ?? false;
    const tuner = type.createTuner(model);
    tuner.autocastAdapterDtype = options.autocastAdapterDtype ?? true;
    tuner.addAdapter(options.adapterName ?? 'default', type.withInferenceMode(config, !trainable), tensors);
    const peft = new PeftModel<PeftConfig, M>(tuner, type);
    if (!trainable) peft.eval();
    return peft;
  }
}
