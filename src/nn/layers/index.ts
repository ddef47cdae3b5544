/** The layer modules. */
export { Linear, Conv1D, type LinearOptions } from './linear';
export { Embedding, type EmbeddingOptions } from './embedding';
export { LayerNorm, type LayerNormOptions } from './normalization';
export { Dropout, type DropoutLayerOptions } from './dropout';
export { ReLU, GELU, Tanh, Sigmoid, Softmax, Identity } from './activation';
export { Sequential, ModuleList, ModuleDict } from './containers';
export { MultiheadSelfAttention, type MultiheadSelfAttentionOptions, type SelfAttentionCall } from './attention';
