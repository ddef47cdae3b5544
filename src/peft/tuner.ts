/**
 * The method-independent part of a PEFT tuner (PEFT's BaseTuner): it owns the wrapped model, the adapter
 * configs and the active adapters; prepares a config (default targets by model type, the task type's heads);
 * finds target modules; wraps `modules_to_save`; marks what trains (adapter parameters, `modules_to_save`
 * copies, biases per `bias`); merges, unmerges and unloads; and splits a checkpoint into the method's own
 * tensors and plain model tensors.
 *
 * A method (FRoD, LoRA) subclasses it with its config type and its layer type (a Module that implements
 * {@link TunerLayer}) and fills in the hooks marked abstract.
 */
import { noGrad } from '../autograd';
import { Module } from '../nn/module';
import type { SafetensorsValue } from '../nn/io';
import type { Device, DType, Tensor } from '../tensor';
import { Conv1D, Linear } from '../nn/layers/linear';
import type { PeftConfig } from './config';
import { MODEL_TENSOR_PREFIX, type NamedParameter, adapterViewParameters, legacyName, trainsBias } from './modelTensors';
import { ModulesToSaveWrapper } from './modulesToSave';
import { modelTypeOf } from './targetModulesMapping';
import { isModuleToSave, noTargetModulesMessage, noTargetsMessage, selectTargets } from './targets';
import { taskModulesToSave } from './taskTypes';
import { type TunerLayer, checkAdapterName, isTunerLayer } from './tunerLayer';
import { warn } from './warnings';

export { type TunerLayer, checkAdapterName, isTunerLayer } from './tunerLayer';

/** What the generic tuner reads from a method's config (kept for code written against 0.1). */
export type PeftConfigLike = PeftConfig;

/** A config type the tuner can change (its `with`). */
type Changeable<C> = C & { with(changes: { targetModules?: string | readonly string[]; modulesToSave?: readonly string[] | null }): C };

export abstract class BaseTuner<C extends PeftConfig> extends Module {
  /** The wrapped model (registered as `model`, so paths read `base_model.model.…` from the PeftModel). */
  readonly model: Module;
  /** Adapter configs by name, in the order they were added. */
  readonly peftConfig = new Map<string, C>();
  private active: string[] = [];

  /** Marks the method's parameters: every adapter parameter path contains it (e.g. 'frod_'). */
  abstract readonly prefix: string;
  /** The method's name in messages, e.g. 'FRoD'. */
  abstract readonly methodName: string;
  /** model_type → default targets (PEFT's table for the method). */
  abstract readonly targetModuleMapping: Readonly<Record<string, string | readonly string[]>>;

  /**
   * PEFT's autocast_adapter_dtype: trainable adapter tensors over float16/bfloat16 weights are float32.
   * Applies to adapters added after it is set (getPeftModel and loadAdapter set it from their options).
   */
  autocastAdapterDtype = true;

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

  // ---- adapters ---------------------------------------------------------------------------------------

  /** Active adapters (forward applies them; their parameters train unless in inference mode). */
  get activeAdapters(): string[] {
    return [...this.active];
  }

  /**
   * The config an adapter is added with, as PEFT prepares it: default targets for the model type when
   * `target_modules` is null, and the task type's heads added to `modules_to_save`.
   */
  prepareConfig(config: C): C {
    let prepared = config;
    if (prepared.targetModules === null) {
      const modelType = modelTypeOf(this.model);
      const defaults = modelType === null ? undefined : this.targetModuleMapping[modelType];
      if (defaults === undefined) throw new Error(`${this.methodName}: ${noTargetModulesMessage(modelType)}`);
      prepared = (prepared as Changeable<C>).with({ targetModules: defaults });
    }
    const modulesToSave = taskModulesToSave(prepared.taskType, prepared.modulesToSave);
    if (modulesToSave !== prepared.modulesToSave) prepared = (prepared as Changeable<C>).with({ modulesToSave });
    return prepared;
  }

  /**
   * Adds an adapter (fresh, or from a checkpoint's tensors). The first adapter becomes active. Everything is
   * checked before the model changes: a refused adapter leaves no trace.
   */
  addAdapter(name: string, config: C, checkpoint: Readonly<Record<string, Tensor>> | null = null): void {
    checkAdapterName(name);
    if (this.peftConfig.has(name)) throw new Error(`adapter '${name}' already exists; delete it first or pick another name`);
    const prepared = this.prepareConfig(config);
    this.checkOneBiasedAdapter(name, prepared);
    this.checkNewAdapter(name, prepared);
    const targets = this.findTargets(prepared);
    if (checkpoint) this.matchModelTensors(name, checkpoint, prepared);
    const kept = this.injectAdapter(name, prepared, targets, checkpoint);
    this.peftConfig.set(name, kept);
    this.wrapModulesToSave(name, kept);
    if (checkpoint) this.loadModelTensors(name, checkpoint, kept);
    if (this.active.length === 0) this.active = [name];
    this.refresh();
  }

  /** PEFT's rule: biases are the base model's, so only one adapter may train them. */
  private checkOneBiasedAdapter(name: string, config: C): void {
    if (config.bias === 'none') return;
    const biased = [...this.peftConfig].find(([, c]) => c.bias !== 'none');
    if (biased) {
      throw new Error(`${this.constructor.name} supports only 1 adapter with bias: adapter '${biased[0]}' has bias "${biased[1].bias}", so set bias "none" for adapter '${name}'`);
    }
  }

  /**
   * Makes `names` the active adapters. Two active adapters may not both have a copy of the same
   * modules_to_save module (a copy replaces the module, it does not add to it), as in PEFT.
   */
  setAdapter(names: string | readonly string[]): void {
    const list = typeof names === 'string' ? [names] : [...names];
    for (const name of list) this.checkExists(name);
    for (const [path, wrapper] of this.wrappers()) {
      const holders = list.filter((name) => wrapper.copies.has(name));
      if (holders.length > 1) {
        throw new Error(`Only one adapter can be set at a time for ModulesToSaveWrapper: adapters ${holders.map((h) => `'${h}'`).join(' and ')} both have a copy of '${path}'`);
      }
    }
    this.active = list;
    this.refresh();
  }

  /** Removes adapter `name` (refused, unchanged, while merged); if it was the only active one, the first remaining by name takes over, as PEFT. */
  deleteAdapter(name: string): void {
    this.checkExists(name);
    if (this.tunerLayers().some(([, layer]) => layer.mergedAdapters.includes(name))) {
      throw new Error(`Cannot delete adapter(s) ['${name}'] while they are merged. Please unmerge them first.`);
    }
    for (const layer of this.tunerLayers().map(([, l]) => l)) layer.deleteAdapter(name);
    for (const [, wrapper] of this.wrappers()) wrapper.deleteAdapter(name);
    this.peftConfig.delete(name);
    const next = this.active.includes(name) && this.active.length === 1 ? [...this.peftConfig.keys()].sort()[0] : undefined;
    this.active = this.active.filter((a) => a !== name);
    if (next !== undefined) {
      warn(`Adapter ${name} was active which is now deleted. Setting active adapter to ${next}.`);
      this.active = [next];
    }
    this.refresh();
  }

  /** Turns every adapter off (forward = the base model, adapter parameters frozen) or on again. */
  setAdaptersEnabled(enabled: boolean): void {
    for (const [, layer] of this.tunerLayers()) layer.setAdaptersDisabled(!enabled);
    for (const [, wrapper] of this.wrappers()) wrapper.setDisabled(!enabled);
    if (enabled) this.refresh();
  }

  /**
   * Whether the adapter layers are enabled: true, false, or 'irregular' when some are and some are not
   * (PEFT's `get_model_status().enabled`).
   */
  adaptersEnabledState(): boolean | 'irregular' {
    const states = new Set(this.tunerLayers().map(([, layer]) => !layer.adaptersDisabled));
    if (states.size > 1) return 'irregular';
    return states.size === 0 ? true : [...states][0];
  }

  /** True when every adapter layer is disabled. */
  get adaptersDisabled(): boolean {
    return this.adaptersEnabledState() === false;
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

  /** The paths `config` adapts (see src/peft/targets.ts); matching nothing is an error. */
  protected findTargets(config: C): string[] {
    const paths = this.candidatePaths();
    const targets = selectTargets(paths, config, { isLinear: (path) => this.isAdaptableLayer(path) });
    if (targets.length === 0) throw new Error(noTargetsMessage(this.methodName, config, paths.length - 1));
    return targets;
  }

  /** Whether the module at `path` is a Linear or Conv1D (or already a tuner layer over one). */
  private isAdaptableLayer(path: string): boolean {
    const module = this.model.getSubmodule(path);
    const base = isTunerLayer(module) ? module.baseLayer : module;
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

  /** Whether adapter `name`'s parameters train (false in inference mode). */
  private trainable(name: string): boolean {
    return !(this.peftConfig.get(name)?.inferenceMode ?? true);
  }

  /** Applies the active adapters and the trainability rules to every layer and wrapper. */
  protected refresh(): void {
    const trainable = (name: string) => this.trainable(name);
    this.model.requiresGrad_(false);
    for (const [, layer] of this.tunerLayers()) {
      layer.setActiveAdapters(this.active, (name) => trainable(name) && !layer.adaptersDisabled);
    }
    for (const [, wrapper] of this.wrappers()) {
      const name = this.active.find((a) => wrapper.copies.has(a)) ?? null;
      wrapper.setAdapter(name);
      if (name !== null && !trainable(name)) wrapper.copies.get(name).requiresGrad_(false);
    }
    for (const name of this.active) {
      const config = this.peftConfig.get(name) as C;
      if (!trainable(name) || config.bias === 'none') continue;
      for (const p of this.userParameters(name)) if (trainsBias(config.bias, p)) p.tensor.requiresGrad = true;
    }
  }

  /** The model's parameters as adapter `name` sees them, named as in its adapter file (src/peft/modelTensors.ts). */
  userParameters(name: string): NamedParameter[] {
    return adapterViewParameters(this.model, name);
  }

  // ---- merging and unloading --------------------------------------------------------------------------

  /**
   * Merges adapters (default: the active ones) into the base weights. A safe merge that fails in one layer
   * undoes what it merged in the layers before, so the model is left as it was. Warns, as PEFT, when some
   * or all of them are merged already.
   */
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): void {
    const names = options.adapterNames ?? this.active;
    for (const name of names) this.checkExists(name);
    this.warnAlreadyMerged(names);
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

  /** PEFT's `check_adapters_to_merge` warnings, once per call rather than once per layer. */
  private warnAlreadyMerged(names: readonly string[]): void {
    const merged = [...new Set(this.tunerLayers().flatMap(([, layer]) => layer.mergedAdapters))];
    if (merged.length === 0) return;
    const more = names.filter((n) => !merged.includes(n));
    if (more.length === 0) warn('All adapters are already merged, nothing to do.');
    else warn(`Already following adapters were merged ${merged.join(',')}. You are now additionally merging ${more.join(',')}.`);
  }

  /** Restores every merged base weight exactly (warns when nothing is merged, as PEFT). */
  unmerge(): void {
    const layers = this.tunerLayers();
    if (layers.length > 0 && layers.every(([, layer]) => layer.mergedAdapters.length === 0)) {
      warn('Already unmerged. Nothing to do.');
      return;
    }
    for (const [, layer] of layers) layer.unmerge();
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
    for (const [, layer] of this.tunerLayers()) layer.unmerge();
    return this.replaceWithBase();
  }

  // ---- checkpoints -----------------------------------------------------------------------------------

  /**
   * adapter_model.safetensors of adapter `name`: the method's tensors plus its modules_to_save copies and
   * the biases it trains, under PEFT's keys (`base_model.model.<path>.base_layer.bias` for an adapted layer).
   */
  checkpointTensors(name: string): Record<string, SafetensorsValue> {
    this.checkExists(name);
    const config = this.peftConfig.get(name) as C;
    const out = this.methodCheckpoint(name, config);
    for (const p of this.userParameters(name)) {
      const copy = p.wrapper !== null && this.wrapperHasCopy(p.wrapper, name);
      if (copy || trainsBias(config.bias, p)) out[`${MODEL_TENSOR_PREFIX}${p.name}`] = p.tensor.detach();
    }
    return out;
  }

  private wrapperHasCopy(path: string, name: string): boolean {
    const wrapper = this.model.getSubmodule(path);
    return wrapper instanceof ModulesToSaveWrapper && wrapper.copies.has(name);
  }

  /**
   * Pairs the plain model tensors of a checkpoint with the model's parameters (as adapter `name` will see the
   * model), checking names and shapes; throws before anything is changed. A key names a parameter by
   * PEFT's name or, for an adapted layer's own parameters, by the name frod-ts 0.1 wrote (`<path>.bias`).
   */
  private matchModelTensors(name: string, checkpoint: Readonly<Record<string, Tensor>>, config: C): [Tensor, Tensor][] {
    const targets = new Set(this.findTargets(config));
    const byName = new Map<string, Tensor>();
    for (const p of this.userParameters(name)) {
      byName.set(p.name, p.tensor);
      const legacy = legacyName(p);
      if (legacy !== null) byName.set(legacy, p.tensor);
      // A layer this adapter will wrap has its parameters under base_layer once adapted.
      const owner = p.name.slice(0, p.name.lastIndexOf('.'));
      if (p.tunerLayer === null && targets.has(owner)) byName.set(`${owner}.base_layer.${p.name.slice(owner.length + 1)}`, p.tensor);
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, value] of Object.entries(checkpoint)) {
      if (this.isMethodKey(key)) continue;
      const param = key.startsWith(MODEL_TENSOR_PREFIX) ? byName.get(key.slice(MODEL_TENSOR_PREFIX.length)) : undefined;
      if (!param) throw new Error(`adapter checkpoint tensor '${key}' matches no parameter of the model`);
      if (param.shape.length !== value.shape.length || param.shape.some((d, i) => d !== value.shape[i])) {
        throw new Error(`adapter checkpoint tensor '${key}' has shape (${value.shape.join(',')}), the model's is (${param.shape.join(',')})`);
      }
      pairs.push([param, value]);
    }
    return pairs;
  }

  /** Copies the plain model tensors of a checkpoint into the model (modules_to_save copies, biases). */
  private loadModelTensors(name: string, checkpoint: Readonly<Record<string, Tensor>>, config: C): void {
    const pairs = this.matchModelTensors(name, checkpoint, config);
    noGrad(() => {
      for (const [param, value] of pairs) param.copy_(value.to(param.device).to(param.dtype));
    });
  }
}
