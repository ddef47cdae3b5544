/**
 * Steps every method takes when it injects an adapter into targeted Linear / Conv1D layers (PEFT's
 * `_create_and_replace` preamble): resolve the targets, force fan_in_fan_out to follow the layer type, and
 * check that an adapter file covers exactly the targeted modules. `method` names the method in messages
 * ('FRoD', 'LoRA').
 */
import { Conv1D, Linear } from '../nn/layers/linear';
import type { Module } from '../nn/module';
import type { AdaptableLayer, AdapterLayer } from './adapterLayer';
import { warn } from './warnings';

/** A targeted module: what sits at the path now, the layer it adapts, and whether that is a Conv1D. */
export interface ResolvedTarget {
  module: Module;
  base: AdaptableLayer;
  conv1d: boolean;
}

/**
 * The base layer of each target path, checked to be Linear or Conv1D; a path that already holds a
 * `layerType` (the method's adapted layer) resolves to its base layer.
 */
export function resolveTargets(
  model: Module, targets: readonly string[], method: string,
  layerType: abstract new (...args: never[]) => AdapterLayer<unknown>,
): Map<string, ResolvedTarget> {
  const out = new Map<string, ResolvedTarget>();
  for (const path of targets) {
    const module = model.getSubmodule(path);
    const base = module instanceof layerType ? module.baseLayer : module;
    if (!(base instanceof Linear || base instanceof Conv1D)) {
      throw new Error(`${method}: target module '${path}' is a ${base.constructor.name}; only Linear and Conv1D layers can be adapted (check target_modules)`);
    }
    out.set(path, { module, base, conv1d: base instanceof Conv1D });
  }
  return out;
}

/** A config whose fan_in_fan_out can be changed (FrodConfig, LoraConfig). */
interface FanInFanOutConfig<C> {
  readonly fanInFanOut: boolean;
  with(changes: { fanInFanOut: boolean }): C;
}

/**
 * PEFT's behaviour (`_create_new_module`): fan_in_fan_out follows the layer type, with a warning when the
 * config disagrees. `conv1d` tells, per target, whether it is a Conv1D (the library reads it from the
 * modules, the CLI from the model type).
 */
export function forcedFanInFanOut<C extends FanInFanOutConfig<C>>(config: C, conv1d: Iterable<boolean>): C {
  const kinds = [...conv1d];
  const anyConv1d = kinds.some((k) => k);
  const anyLinear = kinds.some((k) => !k);
  if (anyConv1d && !config.fanInFanOut) {
    warn('fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.');
    return config.with({ fanInFanOut: true });
  }
  if (anyLinear && !anyConv1d && config.fanInFanOut) {
    warn('fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.');
    return config.with({ fanInFanOut: false });
  }
  return config;
}

/** How a method names its tensors in adapter_model.safetensors. */
export interface AdapterKeys {
  /** The module path of one of the method's per-module keys, or null for any other key. */
  pathOf(key: string): string | null;
  /** The keys the file must hold for a targeted module. */
  keysOf(path: string): readonly string[];
}

/** The adapter file must cover exactly the modules the config targets in this model. */
export function checkCheckpointCoversTargets(
  checkpoint: Readonly<Record<string, unknown>>, targets: readonly string[], method: string, keys: AdapterKeys,
): void {
  const targetSet = new Set(targets);
  for (const key of Object.keys(checkpoint)) {
    const path = keys.pathOf(key);
    if (path !== null && !targetSet.has(path)) {
      throw new Error(`${method}: the adapter has '${key}' but its config does not target module '${path}' in this model`);
    }
  }
  for (const path of targets) {
    for (const key of keys.keysOf(path)) {
      if (!Object.hasOwn(checkpoint, key)) throw new Error(`${method}: the config targets module '${path}' but the adapter has no '${key}'`);
    }
  }
}
