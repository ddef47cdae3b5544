/** The tensor engine's public surface. Importing it registers the cpu device and attaches Tensor's methods. */
import './cpu';
import './methods';

export { Tensor, type NestedArray } from './tensor';
export { expectTensor } from './expect';
export type { Device, DType, TypedArray } from './dtype';
export { promoteTypes } from './dtype';
export { Generator, manualSeed, defaultGenerator } from './random';
export {
  tensor, fromTypedArray, zeros, ones, full, arange, linspace, eye, rand, randn, randint, randperm,
  zerosLike, onesLike, fullLike, randLike, randnLike, randintLike,
  type TensorOptions, type CreateOptions, type RandomOptions,
} from './create';
// Free functions, as torch.<op> (the same ops are Tensor methods).
export {
  cat, stack, split, chunk, diag, diagEmbed, tril, triu,
  reshape, transpose, permute, squeeze, unsqueeze, flatten, narrow,
} from './ops/view';
export {
  add, sub, mul, div, pow, neg, abs, sign, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, gelu, erf,
  where, maximum, minimum, clamp, maskedFill,
} from './ops/elementwise';
export { sum, mean, amax, amin, argmax, argmin, logsumexp } from './ops/reduce';
export { indexSelect, gather, scatterAdd } from './ops/indexing';
export { softmax, logSoftmax, dropout, oneHot, type DropoutOptions } from './ops/activation';
export { sparseMm } from './ops/sparse';
export { matmul } from './ops/matmul';
// Threads of the cpu kernels, as torch.set_num_threads / torch.get_num_threads.
export { setNumThreads, getNumThreads } from './cpu/threads';
export type { TensorLike } from './ops/util';
export type { Dims, VarOptions } from './ops/reduce';
export { registerBackend, backendFor, type Backend, type UnaryOp, type BinaryOp, type ReduceOp, type MatmulArgs } from './backend';
export { CpuStorage, type Storage, type View, ndarrayOf } from './storage';
export { toNdarray, fromNdarray } from './ndarray';
export { broadcastShapes, formatShape } from './shape';
