/**
 * The method-independent part of a PEFT tuner (PEFT's BaseTuner): it owns the wrapped model, the adapter
 * configs and the active adapters; finds target modules (spec §4); wraps `modules_to_save`; marks what
 * trains (adapter parameters, `modules_to_save` copies, biases per `bias`); merges, unmerges and unloads;
 * and splits a checkpoint into the method's own tensors and plain model tensors.
 *
 * A method (FRoD here, LoRA later) subclasses it with its config type and its layer type (a Module that
 * implements {@link TunerLayer}) and fills in the hooks marked abstract.
 */
import { noGrad } from '../autograd';
import { Module } from '../nn/module';
import type { SafetensorsValue } from '../nn/io';
import type { Device, DType, Tensor } from '../tensor';
import { isModuleToSave, selectTargets } from '../frod/targets';
import { Conv1D, Linear } from '../nn/layers/linear';
import { ModulesToSaveWrapper } from './modules-to-save';

/** What the generic tuner reads from a method's config. */
export interface PeftConfigLike {
  readonly peftType: string;
  readonly targetModules: string | readonly string[] | null;
  readonly layersToTransform: number | readonly number[] | null;
  readonly layersPattern: string | readonly string[] | null;
  readonly modulesToSave: readonly string[] | null;
  /** 'none', 'all' or '<prefix>only' (e.g. 'frod_only'). */
  readonly bias: string;
  readonly inferenceMode: boolean;
  /** adapter_config.json text. */
  toJSONString(): string;
}

/** A method's adapted layer: a Module that wraps a base layer and holds adapters by name. */
export interface TunerLayer extends Module {
  readonly isTunerLayer: true;
  /** Adapters this layer holds. */
  adapterNames(): string[];
  /** Adapters merged into the base weight, in merge order. */
  readonly mergedAdapters: readonly string[];
  /** Activates `names`; `trainable(name)` says whether an active adapter's parameters train. */
  setActiveAdapters(names: readonly string[], trainable: (name: string) => boolean): void;
  /** true: forward is exactly the base layer's. */
  setAdaptersDisabled(disabled: boolean): void;
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] }): void;
  /** Restores the original base weight exactly. */
  unmerge(): void;
  /** What undoes a merge started after this call (merged adapters and base weight back bit for bit). */
  mergeCheckpoint(): () => void;
  deleteAdapter(name: string): void;
  /** The wrapped layer (with its weight back where the model needs it). */
  getBaseLayer(): Module;
  /**
   * Optional: takes tensors the layer keeps in host memory (an offloaded base weight) out of the module tree
   * for a device move of the model, so the move leaves them there; returns what puts them back.
   */
  holdOffloaded?(): () => void;
}

/** True for a Module that implements {@link TunerLayer}. */
export function isTunerLayer(module: Module): module is TunerLayer {
  return (module as unknown as Partial<TunerLayer>).isTunerLayer === true;
}

/** Adapter names become parts of parameter paths: no dots, not empty. */
export function checkAdapterName(name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new Error(`adapter name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
}

export abstract class BaseTuner<C extends PeftConfigLike> extends Module {
  /** The wrapped model (registered as `model`, so paths read `base_model.model.…` from the PeftModel). */
  readonly model: Module;
  /** Adapter configs by name, in the order they were added. */
  readonly peftConfig = new Map<string, C>();
  private active: string[] = [];
  private disabled = false;

  /** Marks the method's parameters: every adapter parameter path contains it (e.g. 'frod_'). */
  abstract readonly prefix: string;

  constructor(model: Module) {
    super();
    this.model = model;
    this.registerModule('model', model);
  }

  // ---- hooks for the method -------------------------------------------------------------------------

  /** Checks a new adapter's config against the existing ones (throws on conflicts). */
  protected abstract checkNewAdapter(name: string, config: C): void;
  /**
   * Adds adapter `name` to every target (replacing plain layers by the method's layers, updating layers
   * that already are). `checkpoint`: the adapter file's tensors when loading, null for a fresh adapter.
   * Returns the config to keep (a method may force fields, as FRoD forces fan_in_fan_out for Conv1D).
   */
  protected abstract injectAdapter(name: string, config: C, targets: readonly string[],
    checkpoint: Readonly<Record<string, Tensor>> | null): C;
  /** The method's own tensors of adapter `name` for adapter_model.safetensors (keys without adapter names). */
  protected abstract methodCheckpoint(name: string, config: C): Record<string, SafetensorsValue>;
  /** True for a checkpoint key the method owns (the rest are plain model tensors). */
  protected abstract isMethodKey(key: string): boolean;
  /** The error message for a config that matches no module. */
  protected abstract noTargetsMessage(config: C, searched: number): string;

  // ---- adapters ---------------------------------------------------------------------------------------

  /** Active adapters (forward applies them; their parameters train unless in inference mode). */
  get activeAdapters(): string[] {
    return [...this.active];
  }

  /** Adds an adapter (fresh, or from a checkpoint's tensors). The first adapter becomes active. */
  addAdapter(name: string, config: C, checkpoint: Readonly<Record<string, Tensor>> | null = null): void {
    checkAdapterName(name);
    if (this.peftConfig.has(name)) throw new Error(`adapter '${name}' already exists; delete it first or pick another name`);
    this.checkNewAdapter(name, config);
    if (checkpoint) this.matchModelTensors(name, checkpoint);
    const targets = this.findTargets(config);
    const kept = this.injectAdapter(name, config, targets, checkpoint);
    this.peftConfig.set(name, kept);
    this.wrapModulesToSave(name, kept);
    if (checkpoint) this.loadModelTensors(name, checkpoint);
    if (this.active.length === 0) this.active = [name];
    this.refresh();
  }

  /** Makes `names` the active adapters. */
  setAdapter(names: string | readonly string[]): void {
    const list = typeof names === 'string' ? [names] : [...names];
    for (const name of list) this.checkExists(name);
    this.active = list;
    this.refresh();
  }

  deleteAdapter(name: string): void {
    this.checkExists(name);
    for (const layer of this.tunerLayers().map(([, l]) => l)) layer.deleteAdapter(name);
    for (const [, wrapper] of this.wrappers()) wrapper.deleteAdapter(name);
    this.peftConfig.delete(name);
    this.active = this.active.filter((a) => a !== name);
    if (this.active.length === 0 && this.peftConfig.size > 0) this.active = [[...this.peftConfig.keys()][0]];
    this.refresh();
  }

  /** Turns every adapter off (forward = the base model) or on again. */
  setAdaptersEnabled(enabled: boolean): void {
    this.disabled = !enabled;
    for (const [, layer] of this.tunerLayers()) layer.setAdaptersDisabled(this.disabled);
    for (const [, wrapper] of this.wrappers()) wrapper.setDisabled(this.disabled);
  }

  get adaptersDisabled(): boolean {
    return this.disabled;
  }

  protected checkExists(name: string): void {
    if (!this.peftConfig.has(name)) {
      throw new Error(`adapter '${name}' does not exist (adapters: ${[...this.peftConfig.keys()].join(', ') || 'none'})`);
    }
  }

  /**
   * Module.to, except that a device move leaves what tuner layers keep in host memory (offloaded base
   * weights, `runtimeOffloadBaseWeight`) where it is: no upload of weights the adapters do not need.
   */
  override to(target: Device | DType): this {
    if (target !== 'cpu' && target !== 'gpu') return super.to(target);
    const restore = this.tunerLayers().map(([, layer]) => layer.holdOffloaded?.());
    try {
      return super.to(target);
    } finally {
      for (const putBack of restore) putBack?.();
    }
  }

  // ---- targets, wrappers, trainability ----------------------------------------------------------------

  /** Module paths of the model, skipping what lies inside tuner layers and modules_to_save wrappers. */
  protected candidatePaths(): string[] {
    const paths: string[] = [];
    const walk = (module: Module, path: string) => {
      paths.push(path);
      if (isTunerLayer(module) || module instanceof ModulesToSaveWrapper) return;
      for (const [name, child] of module.namedChildren()) walk(child, path ? `${path}.${name}` : name);
    };
    walk(this.model, '');
    return paths;
  }

  /** The paths `config` adapts (spec §4); matching nothing is an error. */
  protected findTargets(config: C): string[] {
    const paths = this.candidatePaths();
    const targets = selectTargets(paths, config, { isLinear: (path) => this.isAdaptableLayer(path) });
    if (targets.length === 0) throw new Error(this.noTargetsMessage(config, paths.length - 1));
    return targets;
  }

  /** Whether the module at `path` is a Linear or Conv1D (or already one of this tuner's layers over one). */
  private isAdaptableLayer(path: string): boolean {
    const module = this.model.getSubmodule(path);
    const base = isTunerLayer(module) ? (module as TunerLayer & { baseLayer?: Module }).baseLayer : module;
    return base instanceof Linear || base instanceof Conv1D;
  }

  /** Tuner layers with their paths inside the model. */
  tunerLayers(): [string, TunerLayer][] {
    return this.model.namedModules().filter((e): e is [string, TunerLayer] => isTunerLayer(e[1]));
  }

  /** modules_to_save wrappers with their paths inside the model. */
  wrappers(): [string, ModulesToSaveWrapper][] {
    return this.model.namedModules().filter((e): e is [string, ModulesToSaveWrapper] => e[1] instanceof ModulesToSaveWrapper);
  }

  /** Wraps (or extends) every module named in `modules_to_save` with a trainable copy for `name`. */
  private wrapModulesToSave(name: string, config: C): void {
    if (config.modulesToSave === null) return;
    for (const path of this.candidatePaths()) {
      if (path === '' || !isModuleToSave(path, config.modulesToSave)) continue;
      const module = this.model.getSubmodule(path);
      if (module instanceof ModulesToSaveWrapper) module.update(name);
      else if (!isTunerLayer(module)) this.model.setSubmodule(path, new ModulesToSaveWrapper(module, name));
    }
  }

  /** Applies the active adapters and the trainability rules to every layer and wrapper. */
  protected refresh(): void {
    const trainable = (name: string) => !(this.peftConfig.get(name)?.inferenceMode ?? true);
    this.model.requiresGrad_(false);
    for (const [, layer] of this.tunerLayers()) layer.setActiveAdapters(this.active, trainable);
    for (const [, wrapper] of this.wrappers()) {
      const name = this.active.find((a) => wrapper.copies.has(a)) ?? null;
      wrapper.setAdapter(name);
      if (name !== null && !trainable(name)) wrapper.copies.get(name).requiresGrad_(false);
    }
    const tunerBiases = this.tunerBiasNames();
    for (const name of this.active) {
      const config = this.peftConfig.get(name) as C;
      if (!trainable(name) || config.bias === 'none') continue;
      for (const [param, tensor] of this.userParameters(name)) {
        const last = param.slice(param.lastIndexOf('.') + 1);
        if (config.bias === 'all' ? last.includes('bias') : tunerBiases.has(param)) tensor.requiresGrad = true;
      }
    }
  }

  /** `<tuner layer path>.bias` of every tuner layer (the biases `<prefix>only` trains). */
  private tunerBiasNames(): Set<string> {
    return new Set(this.tunerLayers().map(([path]) => `${path}.bias`));
  }

  /**
   * The model's parameters named as in the original model, as adapter `name` sees it: tuner layers are
   * seen through to their base layers and wrappers to `name`'s copy (or the original).
   */
  userParameters(name: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const walk = (module: Module, path: string) => {
      const at = (p: string) => (path ? `${path}.${p}` : p);
      if (isTunerLayer(module)) return walk(module.getBaseLayer(), path);
      if (module instanceof ModulesToSaveWrapper) {
        return walk(module.copies.has(name) ? module.copies.get(name) : module.originalModule, path);
      }
      for (const [p, t] of module.ownParameters()) out.push([at(p), t]);
      for (const [c, child] of module.namedChildren()) walk(child, at(c));
    };
    walk(this.model, '');
    return out;
  }

  // ---- merging and unloading --------------------------------------------------------------------------

  /**
   * Merges adapters (default: the active ones) into the base weights. A safe merge that fails in one layer
   * undoes what it merged in the layers before, so the model is left as it was.
   */
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): void {
    const names = options.adapterNames ?? this.active;
    for (const name of names) this.checkExists(name);
    const undo: (() => void)[] = [];
    try {
      for (const [, layer] of this.tunerLayers()) {
        if (options.safeMerge) undo.push(layer.mergeCheckpoint());
        layer.merge({ safeMerge: options.safeMerge, adapterNames: names });
      }
    } catch (err) {
      for (const restore of undo.reverse()) restore();
      throw err;
    }
  }

  /** Restores every merged base weight exactly. */
  unmerge(): void {
    for (const [, layer] of this.tunerLayers()) layer.unmerge();
  }

  /** Puts base layers back in place of tuner layers and the active copies in place of wrappers. */
  protected replaceWithBase(): Module {
    for (const [path, layer] of this.tunerLayers()) this.model.setSubmodule(path, layer.getBaseLayer());
    for (const [path, wrapper] of this.wrappers()) {
      const name = wrapper.activeAdapter;
      this.model.setSubmodule(path, name !== null ? wrapper.copies.get(name) : wrapper.originalModule);
    }
    return this.model;
  }

  /** Merges and returns the plain model (tuner layers replaced by their merged base layers). */
  mergeAndUnload(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): Module {
    this.merge(options);
    return this.replaceWithBase();
  }

  /** Returns the plain model with its original weights (unmerging first). */
  unload(): Module {
    this.unmerge();
    return this.replaceWithBase();
  }

  // ---- checkpoints -----------------------------------------------------------------------------------

  /** adapter_model.safetensors of adapter `name`: the method's tensors plus modules_to_save copies and trained biases. */
  checkpointTensors(name: string): Record<string, SafetensorsValue> {
    this.checkExists(name);
    const config = this.peftConfig.get(name) as C;
    const out = this.methodCheckpoint(name, config);
    const wrapped = this.wrappers().map(([path]) => path);
    const underWrapper = (param: string) => wrapped.some((w) => param === w || param.startsWith(`${w}.`));
    const tunerBiases = this.tunerBiasNames();
    for (const [param, tensor] of this.userParameters(name)) {
      const last = param.slice(param.lastIndexOf('.') + 1);
      const bias = config.bias === 'all' ? last.includes('bias') : config.bias !== 'none' && tunerBiases.has(param);
      if (bias || underWrapper(param)) out[`base_model.model.${param}`] = tensor.detach();
    }
    return out;
  }

  /**
   * Pairs the plain model tensors of a checkpoint with the model's parameters (as adapter `name` sees the
   * model), checking names and shapes; throws before anything is changed.
   */
  private matchModelTensors(name: string, checkpoint: Readonly<Record<string, Tensor>>): [Tensor, Tensor][] {
    const params = new Map(this.userParameters(name));
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, value] of Object.entries(checkpoint)) {
      if (this.isMethodKey(key)) continue;
      const param = key.startsWith('base_model.model.') ? params.get(key.slice('base_model.model.'.length)) : undefined;
      if (!param) throw new Error(`adapter checkpoint tensor '${key}' matches no parameter of the model`);
      if (param.shape.length !== value.shape.length || param.shape.some((d, i) => d !== value.shape[i])) {
        throw new Error(`adapter checkpoint tensor '${key}' has shape (${value.shape.join(',')}), the model's is (${param.shape.join(',')})`);
      }
      pairs.push([param, value]);
    }
    return pairs;
  }

  /** Copies the plain model tensors of a checkpoint into the model (modules_to_save copies, biases). */
  private loadModelTensors(name: string, checkpoint: Readonly<Record<string, Tensor>>): void {
    const pairs = this.matchModelTensors(name, checkpoint);
    noGrad(() => {
      for (const [param, value] of pairs) param.copy_(value.to(param.device));
    });
  }
}
