/**
 * LoraModel (the LoRA tuner) and `getLoraModel`: LoRA as a second method in the PEFT-style framework of
 * src/peft. Targets are found by the shared tuner (the same rules as FRoD); this file only says how a
 * targeted layer becomes a {@link LoraLinear} and how its tensors are named in `adapter_model.safetensors`:
 * `base_model.model.<path>.lora_A.weight` `(r, in)` and `base_model.model.<path>.lora_B.weight` `(out, r)`,
 * as PEFT writes them (adapter names never appear in keys).
 *
 *   const peft = getLoraModel(model, new LoraConfig({ r: 4, loraAlpha: 8, targetModules: ['query', 'value'] }));
 *   peft.printTrainableParameters();
 *   peft.savePretrained('out');   // PeftModel.fromPretrained(fresh, 'out') reads it back (peft_type "LORA")
 */
import type { SafetensorsValue } from '../nn/io';
import type { Module } from '../nn/module';
import type { PeftModel } from '../peft/peftModel';
import { getPeftModel } from '../peft/mapping';
import { type TunerType, registerTunerType } from '../peft/registry';
import { LORA_TARGET_MODULES_MAPPING } from '../peft/targetModulesMapping';
import { type AdapterKeys, checkCheckpointCoversTargets, forcedFanInFanOut, resolveTargets } from '../peft/inject';
import { BaseTuner } from '../peft/tuner';
import type { Tensor } from '../tensor';
import { LoraConfig } from './config';
import { LoraLinear } from './layer';

const MODEL_PREFIX = 'base_model.model.';
const KEY_PATTERN = /^base_model\.model\.(.+)\.lora_(A|B)\.weight$/;

/** `base_model.model.<path>.lora_A.weight` / `…lora_B.weight`. */
export function loraKey(path: string, which: 'A' | 'B'): string {
  return `${MODEL_PREFIX}${path}.lora_${which}.weight`;
}

/** The module path and matrix of a LoRA checkpoint key, or null for any other key. */
export function parseLoraKey(key: string): { path: string; which: 'A' | 'B' } | null {
  const found = KEY_PATTERN.exec(key);
  return found ? { path: found[1], which: found[2] as 'A' | 'B' } : null;
}

/** LoRA's per-module keys: A and B. */
const LORA_KEYS: AdapterKeys = {
  pathOf: (key) => parseLoraKey(key)?.path ?? null,
  keysOf: (path) => [loraKey(path, 'A'), loraKey(path, 'B')],
};

export class LoraModel extends BaseTuner<LoraConfig> {
  readonly prefix = 'lora_';
  readonly methodName = 'LoRA';
  readonly targetModuleMapping = LORA_TARGET_MODULES_MAPPING;

  protected checkNewAdapter(name: string, config: LoraConfig): void {
    if (!(config instanceof LoraConfig)) throw new Error(`adapter '${name}': expected a LoraConfig`);
  }

  protected isMethodKey(key: string): boolean {
    return parseLoraKey(key) !== null;
  }

  protected injectAdapter(name: string, config: LoraConfig, targets: readonly string[],
    checkpoint: Readonly<Record<string, Tensor>> | null): LoraConfig {
    const resolved = resolveTargets(this.model, targets, 'LoRA', LoraLinear);
    const kept = forcedFanInFanOut(config, [...resolved.values()].map((t) => t.conv1d));
    if (checkpoint) checkCheckpointCoversTargets(checkpoint, targets, 'LoRA', LORA_KEYS);
    for (const [path, { module, base, conv1d }] of resolved) {
      const layer = module instanceof LoraLinear ? module : new LoraLinear(base, path, conv1d);
      const trained = checkpoint ? { a: checkpoint[loraKey(path, 'A')], b: checkpoint[loraKey(path, 'B')] } : null;
      layer.updateLayer(name, kept, trained, this.autocastAdapterDtype);
      if (layer !== module) this.model.setSubmodule(path, layer);
    }
    return kept;
  }

  protected methodCheckpoint(name: string): Record<string, SafetensorsValue> {
    const out: Record<string, SafetensorsValue> = {};
    for (const [path, layer] of this.loraLayers()) {
      if (!layer.adapterNames().includes(name)) continue;
      out[loraKey(path, 'A')] = layer.loraA.get(name).weight.detach();
      out[loraKey(path, 'B')] = layer.loraB.get(name).weight.detach();
    }
    return out;
  }

  /** LoRA layers with their paths. */
  loraLayers(): [string, LoraLinear][] {
    return this.tunerLayers().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
  }
}

/** LoRA as the PeftModel registry knows it. */
export const LORA_TUNER: TunerType<LoraConfig> = {
  peftType: 'LORA',
  configFromJSON: (json) => LoraConfig.fromJSON(json),
  withInferenceMode: (config, inferenceMode) => (config.inferenceMode === inferenceMode ? config : config.with({ inferenceMode })),
  createTuner: (model) => new LoraModel(model),
};
registerTunerType(LORA_TUNER);

/** `getPeftModel` for a LoraConfig (kept from 0.1; `getPeftModel` dispatches on the config). */
export function getLoraModel<M extends Module>(model: M, config: LoraConfig, adapterName = 'default'): PeftModel<LoraConfig, M> {
  return getPeftModel(model, config, adapterName);
}
