/** nn.functional: linear, activations, softmax and dropout (thin, documented wrappers over Tensor ops). */
import { dropout as dropoutOp, logSoftmax as logSoftmaxOp, softmax as softmaxOp, type DropoutOptions } from '../../tensor/ops/activation';
import { expectTensor } from '../../tensor/expect';
import type { Tensor } from '../../tensor/tensor';

/** `x`, checked to be a Tensor (see expectTensor) before a method is called on it. */
export function checked(x: Tensor, what: string): Tensor {
  expectTensor(x, what);
  return x;
}

/** y = x·Wᵀ + b with x (..., in), weight (out, in), bias (out) → (..., out), as F.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  expectTensor(x, 'linear');
  expectTensor(weight, 'linear', 'weight');
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D (out, in), got ${weight.ndim}-D`);
  return affine(x, weight.t(), bias);
}

/**
 * x (..., in) · w (in, out) + b → (..., out). Leading dims are flattened into one so the product is a single
 * (rows × in)·(in × out) matmul rather than a batch of small ones that would each repack w.
 */
export function affine(x: Tensor, w: Tensor, bias?: Tensor | null, what = 'linear'): Tensor {
  expectTensor(x, what);
  const [inFeatures, outFeatures] = w.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new Error(`linear: input of shape (${x.shape.join(', ')}) cannot be multiplied with a (${inFeatures}, ${outFeatures}) weight`);
  }
  const flat = x.ndim > 2 ? x.reshape(-1, inFeatures) : x;
  const product = flat.matmul(w);
  const y = bias ? product.add(bias) : product;
  return x.ndim > 2 ? y.reshape(...x.shape.slice(0, -1), outFeatures) : y;
}

export const relu = (x: Tensor): Tensor => checked(x, 'relu').relu();
export const tanh = (x: Tensor): Tensor => checked(x, 'tanh').tanh();
export const sigmoid = (x: Tensor): Tensor => checked(x, 'sigmoid').sigmoid();

/** GELU: exact x·Φ(x) by default; 'tanh' is the approximation GPT-2 calls gelu_new. */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return checked(x, 'gelu').gelu(options.approximate ?? 'none');
}

/** softmax along dim (default the last). */
export const softmax = (x: Tensor, dim = -1): Tensor => softmaxOp(checked(x, 'softmax'), dim);

/** log softmax along dim (default the last), computed stably in one node. */
export const logSoftmax = (x: Tensor, dim = -1): Tensor => logSoftmaxOp(checked(x, 'logSoftmax'), dim);

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1−p); the identity when
 * `training` is false. Draws come from `generator` (the global seeded one by default).
 */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  return dropoutOp(checked(x, 'dropout'), p, options);
}

/** Activation functions by their Hugging Face `hidden_act` names. */
export const ACT2FN: Readonly<Record<string, (x: Tensor) => Tensor>> = {
  gelu: (x) => x.gelu('none'),
  gelu_new: (x) => x.gelu('tanh'),
  gelu_pytorch_tanh: (x) => x.gelu('tanh'),
  relu: (x) => x.relu(),
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  silu: (x) => x.mul(x.sigmoid()),
};

/** The activation for a Hugging Face `hidden_act` name; throws listing the known names. */
export function activationByName(name: string): (x: Tensor) => Tensor {
  const fn = ACT2FN[name];
  if (!fn) throw new Error(`activation '${name}' is not supported (expected one of ${Object.keys(ACT2FN).join(', ')})`);
  return fn;
}
