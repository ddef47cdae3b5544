/**
 * The methods PEFT-style code can name by `peft_type` (PEFT's PEFT_TYPE_TO_CONFIG_MAPPING and
 * PEFT_TYPE_TO_TUNER_MAPPING): each method registers once when its module loads, so that `getPeftModel`
 * and `PeftModel.fromPretrained` dispatch on the config's `peftType`.
 */
import type { Module } from '../nn/module';
import type { PeftConfig } from './config';
import type { BaseTuner } from './tuner';

/** A method as the registry knows it. */
export interface TunerType<C extends PeftConfig = PeftConfig> {
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

/** Makes a method known to {@link getPeftModel} and `PeftModel.fromPretrained`. */
export function registerTunerType<C extends PeftConfig>(type: TunerType<C>): void {
  registry.set(type.peftType, type as unknown as TunerType);
}

/** The registered method for `peftType`; an unknown type throws naming `source` and the known types. */
export function tunerTypeFor(peftType: unknown, source: string): TunerType {
  const type = typeof peftType === 'string' ? registry.get(peftType) : undefined;
  if (!type) {
    const known = [...registry.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none';
    throw new Error(`${source}: peft_type ${JSON.stringify(peftType)} is not supported (supported: ${known})`);
  }
  return type;
}
