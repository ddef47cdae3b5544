/**
 * frod-ts's nn library, as torch.nn: Module and parameters, layers, models with Hugging Face names,
 * `functional`, `init`, and (as its own namespace) `optim`; plus safetensors loading and saving.
 */
export { Module, isParameter, parameter, type LoadStateDictResult } from './module';
export * from './layers';
export * from './models';
export * as functional from './functional';
export * as init from './init';
export * as optim from './optim';
export { clipGradNorm, clipGradValue } from './optim';
export { loadSafetensors, saveSafetensors, safetensorsBytes, type LoadedSafetensors, type SafetensorsValue } from './io';
