/** nn.functional, as torch.nn.functional in camelCase. */
export { linear, relu, tanh, sigmoid, gelu, softmax, logSoftmax, dropout, ACT2FN, activationByName } from './activation';
export { layerNorm } from './normalization';
export { crossEntropy, nllLoss, mseLoss, type CrossEntropyOptions, type Reduction } from './loss';
export {
  scaledDotProductAttention, splitHeads, mergeHeads, attentionBlockMask, finfoMin, type AttentionOptions,
} from './attention';
export type { DropoutOptions } from '../../tensor/ops/activation';
