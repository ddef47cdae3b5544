/**
 * frod-ts: a tensor engine with reverse-mode autograd, float64 linear algebra and a gpu.js device, and on it
 * FRoD (Full-Rank Efficient Fine-Tuning with Rotational Degrees) as Hugging Face PEFT ships it.
 *
 *   import { tensor, randn, manualSeed, noGrad, nn, optim, linalg, FrodConfig, getPeftModel } from 'frod-ts';
 */
export * from './tensor';
export * from './autograd';
export { gpu, type GpuConfig } from './tensor/gpu';

/** torch.nn: Module, layers, models with Hugging Face names, `functional`, `init`. */
export * as nn from './nn';
/** torch.optim: SGD, Adam, AdamW, schedulers, clipGradNorm. */
export * as optim from './nn/optim';
/** torch.linalg in float64: qr, cholesky, choleskyInverse, eigh, svd, solve, inv, pinv, det, slogdet. */
export * as linalg from './linalg';
export { Module, parameter } from './nn/module';

export {
  loadSafetensors, saveSafetensors, safetensorsBytes, readSafetensorsRaw, writeSafetensorsRaw, SafetensorsError,
  type SafeDType, type LoadedSafetensors, type SafetensorsValue,
} from './nn/io';

export * from './frod';
export * from './peft';
export * from './lora';
