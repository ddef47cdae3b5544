/**
 * Parameter initialisation, as torch.nn.init: each function overwrites a tensor in place (outside the graph)
 * with seeded draws and returns it. Pass a `Generator` for reproducible models; the global one is the default.
 */
import { noGrad } from '../autograd/graph';
import { rand, randn } from '../tensor/create';
import { defaultGenerator, type Generator } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';

/** fan_in and fan_out of a weight (out, in, ...kernel), as PyTorch computes them. */
export function fanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got ${t.ndim})`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Fills with U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, generator?: Generator): Tensor {
  return noGrad(() => t.copy_(rand([...t.shape], { dtype: 'float64', generator }).mul(high - low).add(low)));
}

/** Fills with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return noGrad(() => t.copy_(randn([...t.shape], { dtype: 'float64', generator }).mul(std).add(mean)));
}

/**
 * Fills with N(mean, std²) truncated to [a, b] (rejection sampling, so the values keep the normal's shape
 * inside the interval; PyTorch uses the inverse CDF, which draws different numbers from the same law).
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator?: Generator): Tensor {
  const gen = generator ?? defaultGenerator;
  const draw = (): number => {
    for (let tries = 0; tries < 1000; tries++) {
      const v = mean + std * gen.normal();
      if (v >= a && v <= b) return v;
    }
    return Math.min(b, Math.max(a, mean));
  };
  const values = Float64Array.from({ length: t.numel() }, draw);
  return noGrad(() => t.copy_(t.newTensor(values, 'float64').reshape([...t.shape])));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** Glorot uniform: U(±gain·√(6 / (fan_in + fan_out))). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}

/**
 * He uniform for leaky-ReLU slope `a` over fan_in: U(±√(6 / ((1 + a²)·fan_in))). With a = √5 this is
 * nn.Linear's default, U(±1/√fan_in).
 */
export function kaimingUniform_(t: Tensor, a = 0, generator?: Generator): Tensor {
  const { fanIn } = fanInAndFanOut(t);
  const bound = fanIn > 0 ? Math.sqrt(6 / ((1 + a * a) * fanIn)) : 0;
  return uniform_(t, -bound, bound, generator);
}
