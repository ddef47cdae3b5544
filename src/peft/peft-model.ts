/**
 * PeftModel: the user-facing wrapper around a tuner (PEFT's PeftModel). It forwards to the wrapped model,
 * reports trainable parameters, manages adapters, and saves / loads adapter directories
 * (`adapter_config.json` + `adapter_model.safetensors`; adapter "default" in the directory itself, any other
 * adapter in a sub-directory of its name, as PEFT does).
 *
 * Methods register their type once ({@link registerTunerType}) so that `PeftModel.fromPretrained` can read
 * any adapter by the `peft_type` of its config.
 */
import { type SafetensorsValue, loadSafetensors, safetensorsBytes } from '../nn/io';
import { Module } from '../nn/module';
import type { Device, DType, Tensor } from '../tensor';
import { nodeFs, nodePath } from '../util/node';
import { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, type AdapterFileContents, parseConfigJson, readConfigText, writeAdapterFiles } from './adapter-files';
import type { BaseTuner, PeftConfigLike } from './tuner';
import { countParameters, trainableParametersLine } from './trainable';

export { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME };

/** A method as the registry knows it. */
export interface TunerType<C extends PeftConfigLike = PeftConfigLike> {
  /** `peft_type` in adapter_config.json, e.g. "FROD". */
  readonly peftType: string;
  /** Parses adapter_config.json's object (errors name the field). */
  configFromJSON(json: unknown): C;
  /** A config like `config` but with `inference_mode` set. */
  withInferenceMode(config: C, inferenceMode: boolean): C;
  /** A tuner around `model`, without adapters yet. */
  createTuner(model: Module): BaseTuner<C>;
}

const registry = new Map<string, TunerType>();

/** Makes a method known to {@link PeftModel.fromPretrained}. */
export function registerTunerType<C extends PeftConfigLike>(type: TunerType<C>): void {
  registry.set(type.peftType, type as unknown as TunerType);
}

function tunerTypeOf(peftType: unknown, source: string): TunerType {
  const type = typeof peftType === 'string' ? registry.get(peftType) : undefined;
  if (!type) {
    throw new Error(`${source}: peft_type ${JSON.stringify(peftType)} is not supported (supported: ${[...registry.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none'})`);
  }
  return type;
}

/** Reads adapter_config.json and adapter_model.safetensors of an adapter directory. */
function readAdapterFiles(dir: string): { json: Record<string, unknown>; tensors: Record<string, Tensor>; configPath: string } {
  const fs = nodeFs('PeftModel.fromPretrained');
  const path = nodePath('PeftModel.fromPretrained');
  const configPath = path.join(dir, CONFIG_NAME);
  const json = parseConfigJson(readConfigText(fs, configPath), configPath);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${configPath}: expected a JSON object`);
  const { tensors } = loadSafetensors(path.join(dir, SAFETENSORS_WEIGHTS_NAME));
  return { json: json as Record<string, unknown>, tensors, configPath };
}

export interface LoadAdapterOptions {
  /** false (default): the adapter is frozen (inference mode), as PEFT. */
  isTrainable?: boolean;
}

/** The argument list and result of a module's forward. */
type ForwardArgs<M extends Module> = M['forward'] extends (...args: infer A) => unknown ? A : never[];
type ForwardResult<M extends Module> = M['forward'] extends (...args: never[]) => infer R ? R : unknown;

export class PeftModel<C extends PeftConfigLike = PeftConfigLike, M extends Module = Module> extends Module {
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

  /** Adapter configs by name. */
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

  /**
   * Runs `fn` with every adapter disabled (outputs are exactly the base model's) and enables them again
   * afterwards, also when `fn` throws or its promise rejects.
   */
  disableAdapter<T>(fn: () => T): T {
    this.baseModel.setAdaptersEnabled(false);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.baseModel.setAdaptersEnabled(true);
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.baseModel.setAdaptersEnabled(true)) as T;
    }
    this.baseModel.setAdaptersEnabled(true);
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

  /** Saves adapters (default: all): "default" into `dir`, others into `dir/<name>`. Writes are atomic. */
  savePretrained(dir: string, options: { adapterNames?: readonly string[] } = {}): void {
    const fs = nodeFs('savePretrained');
    const path = nodePath('savePretrained');
    const names = options.adapterNames ?? [...this.peftConfig.keys()];
    const files = names.map((name) => [name, this.adapterFiles(name)] as const);
    for (const [name, contents] of files) {
      writeAdapterFiles(fs, path, name === 'default' ? dir : path.join(dir, name), contents, 'savePretrained');
    }
  }

  /** Loads the adapter saved in `dir` as adapter `adapterName` (not made active). */
  loadAdapter(dir: string, adapterName: string, options: LoadAdapterOptions = {}): void {
    const { json, tensors, configPath } = readAdapterFiles(dir);
    if (json.peft_type !== this.type.peftType) {
      throw new Error(`${configPath}: peft_type ${JSON.stringify(json.peft_type)} does not match this model's ${JSON.stringify(this.type.peftType)}`);
    }
    const config = this.type.withInferenceMode(parseConfig(this.type, json, configPath), !(options.isTrainable ?? false));
    this.baseModel.addAdapter(adapterName, config, tensors);
  }

  /** Wraps `model` with the adapter saved in `dir` (frozen unless `isTrainable`). */
  static fromPretrained<M extends Module>(model: M, dir: string, options: LoadAdapterOptions & { adapterName?: string } = {}): PeftModel<PeftConfigLike, M> {
    const { json, tensors, configPath } = readAdapterFiles(dir);
    const type = tunerTypeOf(json.peft_type, configPath);
    const config = type.withInferenceMode(parseConfig(type, json, configPath), !(options.isTrainable ?? false));
    const tuner = type.createTuner(model);
    tuner.addAdapter(options.adapterName ?? 'default', config, tensors);
    return new PeftModel<PeftConfigLike, M>(tuner, type);
  }
}

function parseConfig<C extends PeftConfigLike>(type: TunerType<C>, json: unknown, source: string): C {
  try {
    return type.configFromJSON(json);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}
