/** softmax / logSoftmax (one graph node each, with their closed-form gradients), dropout, oneHot. */
import { noGrad, record } from '../../autograd/graph';
import { expectTensor } from '../expect';
import { computeDType } from '../half';
import { defaultGenerator, type Generator } from '../random';
import { normalizeDim } from '../shape';
import type { Tensor } from '../tensor';

/**
 * The input of a fused op in the dtype it computes in: float32 for int32 and for the half formats, whose
 * fused kernels in PyTorch work in float and round once at the end.
 */
function fusedInput(x: Tensor): Tensor {
  return x.dtype === 'int32' ? x.to('float32') : x.to(computeDType(x.dtype));
}

/** The result of a fused op in the input's dtype (rounded once for the half formats). */
function fusedOutput(out: Tensor, x: Tensor): Tensor {
  return x.dtype === 'int32' ? out : out.to(x.dtype);
}

/** log softmax along `dim`: x − max − log Σ exp(x − max). Gradient: g − softmax·Σg. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  expectTensor(x, 'logSoftmax');
  const d = normalizeDim(dim, x.ndim, 'logSoftmax');
  const input = fusedInput(x);
  const out = noGrad(() => {
    const shifted = input.sub(input.amax(d, true));
    return fusedOutput(shifted.sub(shifted.exp().sum(d, true).log()), x);
  });
  return record(out, 'LogSoftmaxBackward', [x], (g) => [g.sub(out.exp().mul(g.sum(d, true)))]);
}

/** softmax along `dim`. Gradient: s·(g − Σ g·s). */
export function softmax(x: Tensor, dim = -1): Tensor {
  expectTensor(x, 'softmax');
  const d = normalizeDim(dim, x.ndim, 'softmax');
  const input = fusedInput(x);
  const out = noGrad(() => {
    const e = input.sub(input.amax(d, true)).exp();
    return fusedOutput(e.div(e.sum(d, true)), x);
  });
  return record(out, 'SoftmaxBackward', [x], (g) => [out.mul(g.sub(g.mul(out).sum(d, true)))]);
}

export interface DropoutOptions {
  /** Dropout is the identity when false (eval mode). Default true, as F.dropout. */
  training?: boolean;
  generator?: Generator;
}

/** Zeroes each element with probability p (seeded) and scales the rest by 1/(1−p). */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const { training = true, generator = defaultGenerator } = options;
  if (p < 0 || p > 1) throw new Error(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  // The scale 1/(1−p) is computed in float64 and rounded once to x's dtype.
  const scale = Float64Array.from({ length: x.numel() }, () => (generator.random() >= p ? 1 / (1 - p) : 0));
  const mask = x.newTensor(scale, x.dtype === 'int32' ? 'float32' : x.dtype).reshape([...x.shape]);
  return x.mul(mask);
}

/** One-hot rows (int32) of length numClasses (−1: max index + 1) for an int32 index tensor. */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (indices.dtype !== 'int32') throw new Error(`oneHot: expected an int32 index tensor, got ${indices.dtype}`);
  const values = indices.data();
  let classes = numClasses;
  // A loop, not Math.max(...values): spreading a large batch of labels overflows the call stack.
  if (classes < 0) {
    classes = 0;
    for (const v of values) classes = Math.max(classes, v + 1);
  }
  for (const v of values) {
    if (v < 0 || v >= classes) throw new Error(`oneHot: class values must be in [0, ${classes}), got ${v}`);
  }
  const classIds = indices.newTensor(Array.from({ length: classes }, (_, i) => i), 'int32');
  return indices.unsqueeze(-1).eq(classIds);
}
