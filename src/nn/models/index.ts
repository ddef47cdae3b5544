/** Models with Hugging Face module names, built from config objects and loadable from HF state dicts. */
export {
  ViTForImageClassification, ViTModel, ViTEmbeddings, ViTPatchEmbeddings, ViTLayer, ViTEncoder, ViTAttention,
  ViTIntermediate, ViTSelfAttention, ViTSelfOutput, ViTOutput, VIT_DEFAULTS, vitConfigFromHf, patchify, type ViTConfig,
} from './vit';
export {
  BertForSequenceClassification, BertModel, BertEmbeddings, BertEncoder, BertLayer, BertAttention, BertSelfAttention,
  BertSelfOutput, BertIntermediate, BertOutput, BertPooler, BERT_DEFAULTS, bertConfigFromHf, type BertConfig, type BertInputs,
} from './bert';
export {
  GPT2LMHeadModel, GPT2Model, GPT2Block, GPT2Attention, GPT2MLP, GPT2_DEFAULTS, gpt2ConfigFromHf, causalLmLoss,
  type GPT2Config, type GPT2Inputs,
} from './gpt2';
export { MLP, MLP_DEFAULTS, type MLPConfig } from './mlp';
export { SelfAttentionQKV, initHfWeights } from './blocks';
export { loadHfStateDict, mapHfStateDict, camelCaseKeys, pickConfig, type HfKeyMapping, type HfLoadOptions } from './hf';
