/**
 * gradcheck: compares the gradients autograd computes with central finite differences, in float64.
 * For speed it checks one random vector–Jacobian product: with a fixed random v, the analytic gradient of
 * ⟨v, f(x)⟩ against (⟨v, f(x + εeᵢ)⟩ − ⟨v, f(x − εeᵢ)⟩) / 2ε for every input element i.
 */
import { Generator } from '../tensor/random';
import { fromTypedArray } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import { noGrad } from './graph';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw with the worst mismatch (default) instead of returning false. */
  raiseException?: boolean;
  /** Seed of the projection vector v. */
  seed?: number;
}

/** Float64 leaf copies of the inputs, keeping which ones require grad. */
function float64Leaves(inputs: readonly Tensor[]): Tensor[] {
  return inputs.map((x) => {
    if (x.dtype === 'int32') return x;
    const copy = fromTypedArray(Float64Array.from(x.data()), [...x.shape], { dtype: 'float64', device: x.device });
    if (x.requiresGrad) copy.requiresGrad_(true);
    return copy;
  });
}

/** ⟨v, f(inputs)⟩ as a number. */
function projected(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], v: Float64Array): number {
  const out = noGrad(() => fn(...inputs)).to('float64').data();
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * v[i];
  return s;
}

/**
 * Checks `fn`'s gradients w.r.t. every input with requiresGrad. Inputs are converted to float64 first.
 * Returns true, or throws (or returns false) naming the input, element and both values.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): boolean {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true, seed = 0 } = options;
  const leaves = float64Leaves(inputs);
  const out = fn(...leaves);
  const gen = new Generator(seed);
  const v = Float64Array.from({ length: out.numel() }, () => gen.normal());
  if (out.requiresGrad) {
    out.backward(fromTypedArray(Float64Array.from(v), [...out.shape], { dtype: 'float64', device: out.device }).to(out.dtype));
  }
  for (let k = 0; k < leaves.length; k++) {
    const leaf = leaves[k];
    if (!leaf.requiresGrad) continue;
    const analytic = leaf.grad ? leaf.grad.to('float64').data() : new Float64Array(leaf.numel());
    const base = Float64Array.from(leaf.data());
    for (let i = 0; i < base.length; i++) {
      const shifted = (delta: number) => {
        const values = Float64Array.from(base);
        values[i] += delta;
        const xs = leaves.slice();
        xs[k] = fromTypedArray(values, [...leaf.shape], { dtype: 'float64', device: leaf.device });
        return projected(fn, xs, v);
      };
      const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
      const a = analytic[i];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        const message = `gradcheck: input ${k} element ${i}: analytic ${a} vs numeric ${numeric}`;
        if (raiseException) throw new Error(message);
        return false;
      }
    }
  }
  return true;
}
