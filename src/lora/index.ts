/** LoRA (low-rank adaptation) as a second tuner of the PEFT-style framework: config, layer, tuner. */
export { LoraConfig, type LoraConfigOptions, type LoraBias, type LoraInit } from './config';
export { LoraLinear, type LoraBaseLayer } from './layer';
export { LoraModel, LORA_TUNER, getLoraModel, loraKey, parseLoraKey } from './model';
