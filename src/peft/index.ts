/**
 * The method-independent PEFT machinery: config base, registry and `getPeftModel`, tuner base, PeftModel,
 * modules_to_save, target matching, keyed dicts, adapter files, warnings, counts.
 */
export {
  type ConfigField, type ConfigKind, type JsonObject, type JsonValue, type TaskType, PeftConfig, TASK_TYPES,
} from './config';
export { type PeftConfigLike, BaseTuner } from './tuner';
export { type TunerLayer, checkAdapterName, isTunerLayer } from './tunerLayer';
export { type AdaptableLayer, AdapterLayer } from './adapterLayer';
export { type TunerType, registerTunerType } from './registry';
export { getPeftModel, type GetPeftModelOptions } from './mapping';
export { type LoadAdapterOptions, PeftModel } from './peftModel';
export {
  CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, type AdapterDirectory, parseAdapterConfigText, readAdapterConfigFile, readAdapterDirectory,
} from './adapterFiles';
export { type AdapterFileContents, type AdapterWrite, recoverAdapterDirectory, writeAdapterDirectories } from './adapterCommit';
export { ModulesToSaveWrapper } from './modulesToSave';
export { BufferDict, ModuleMap, ParameterDict } from './dicts';
export { cloneModule } from './clone';
export { countParameters, formatThousands, trainableParametersLine } from './trainable';
export { FROD_TARGET_MODULES_MAPPING, LORA_TARGET_MODULES_MAPPING, modelTypeOf } from './targetModulesMapping';
export { taskModulesToSave } from './taskTypes';
export { type WarningHandler, catchWarnings, setWarningHandler, warn } from './warnings';
export * from './targets';
