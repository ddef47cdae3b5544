/**
 * FRoD (Full-Rank Efficient Fine-Tuning with Rotational Degrees) as Hugging Face PEFT ships it.
 *
 * Module level (PEFT's API in camelCase):
 *   const peft = getPeftModel(model, new FrodConfig({ targetModules: ['query', 'value'] }));
 *   peft.printTrainableParameters();  peft.savePretrained('adapter');
 *   PeftModel.fromPretrained(model, 'adapter', { isTrainable: true });
 *
 * Raw weights, no Module tree (what the `frod` CLI uses):
 *   weightsFromStateDict(stateDict, config) → BaseWeights (module path → {weight, fanInFanOut})
 *   initAdapterFromWeights(weights, config, {stateDict?, progress?}) → adapter tensors (checkpoint keys)
 *   mergeWeightsWithAdapter(weights, adapterTensors, config, {safe?, adapterName?, warn?}) → "<path>.weight" → W'
 *   inspectAdapter(adapterTensors) → AdapterSummary
 *   writeAdapterDir(dir, config, tensors) / adapterFiles(config, tensors) / readAdapterDir(dir) / readAdapterBytes(json, bytes)
 */
export * from './config';
export * from './categories';
export * from './pattern';
export * from './keys';
export { type BaseWeight, type BaseWeights, weightShape, weightMatrix, matrixToWeight } from './weights';
export {
  type CategoryProjection, type ProjectionPath, averagedInverseGram, categoryProjection, canonicalizeColumnSigns, stackWeights, tallQr,
} from './projection';
export { type LayerFactors, type PreparedBasis, LAMBDA_EPS, adaptedWeight, decomposeWeight, prepareBasis } from './decompose';
export { type BasisSource, CategoryState, checkpointCategoryStates, freshCategoryStates } from './basis';
export {
  type AdapterSummary, type CategorySummary, type InitAdapterOptions, type MergeWeightsOptions,
  initAdapterFromWeights, inspectAdapter, mergeWeightsWithAdapter, weightsFromStateDict,
} from './functional';
export {
  ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, adapterFiles, parseAdapterConfig, readAdapterBytes, readAdapterDir, writeAdapterDir,
} from './checkpoint';
export { type BaseWeightMover, type FrodBaseLayer, FrodLinear } from './layer';
export { FROD_TUNER, FrodModel } from './model';

