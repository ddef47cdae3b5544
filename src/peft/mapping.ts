/**
 * `getPeftModel(model, config)`: wraps a model with a fresh adapter of whatever method `config` is, as
 * PEFT's `get_peft_model` dispatches on `peft_type` (FrodConfig → FrodModel, LoraConfig → LoraModel).
 */
import type { Module } from '../nn/module';
import type { PeftConfig } from './config';
import { PeftModel } from './peftModel';
import { tunerTypeFor } from './registry';

/** Options of {@link getPeftModel}. */
export interface GetPeftModelOptions {
  /**
   * PEFT's autocast_adapter_dtype (default true): over float16/bfloat16 base weights the trainable adapter
   * tensors (FRoD's λ and S values, LoRA's A and B) are float32, for stable training.
   */
  autocastAdapterDtype?: boolean;
}

/**
 * Wraps `model` with a fresh adapter named `adapterName` of the method `config` belongs to: targeted
 * Linear / Conv1D layers become the method's layers, and only adapter parameters (and modules_to_save
 * copies, and biases per `bias`) train. A config without `targetModules` takes the defaults of the model's
 * type; `taskType` adds its head to `modulesToSave` (see src/peft/taskTypes.ts).
 */
export function getPeftModel<M extends Module, C extends PeftConfig>(model: M, config: C, adapterName = 'default',
  options: GetPeftModelOptions = {}): PeftModel<C, M> {
  if (!(config as unknown) || typeof (config as PeftConfig).peftType !== 'string') {
    throw new Error('getPeftModel: expected a config such as new FrodConfig({...}) or new LoraConfig({...})');
  }
  const type = tunerTypeFor(config.peftType, 'getPeftModel');
  const tuner = type.createTuner(model);
  tuner.autocastAdapterDtype = options.autocastAdapterDtype ?? true;
  tuner.addAdapter(adapterName, config);
  return new PeftModel<C, M>(tuner as never, type as never);
}
