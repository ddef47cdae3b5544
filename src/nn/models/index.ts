/** Models with Hugging Face module names, built from config objects and loadable from HF state dicts. */
export {
  ViTForImageClassification, ViTModel, ViTEmbeddings, ViTPatchEmbeddings, ViTLayer, ViTEncoder, ViTAttention,
  ViTIntermediate, ViTSelfAttention, ViTSelfOutput, ViTOutput, VIT_DEFAULTS, vitConfigFromHf, patchify, type ViTConfig,
} from './vit';
export { SelfAttentionQKV, initHfWeights } from './blocks';
export { loadHfStateDict, mapHfStateDict, camelCaseKeys, type HfKeyMapping, type HfLoadOptions } from './hf';
