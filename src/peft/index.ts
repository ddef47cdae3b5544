/** The method-independent PEFT machinery: tuner base, PeftModel, modules_to_save, keyed dicts, counts. */
export { type PeftConfigLike, type TunerLayer, BaseTuner, checkAdapterName, isTunerLayer } from './tuner';
export { type AdaptableLayer, AdapterLayer } from './adapter-layer';
export { type LoadAdapterOptions, type TunerType, CONFIG_NAME, PeftModel, SAFETENSORS_WEIGHTS_NAME, registerTunerType } from './peft-model';
export { ModulesToSaveWrapper } from './modules-to-save';
export { BufferDict, ModuleMap, ParameterDict } from './dicts';
export { cloneModule } from './clone';
export { countParameters, formatThousands, trainableParametersLine } from './trainable';
