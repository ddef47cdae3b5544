/** Shared helpers for the nn tests (not a test file itself). */
import * as fc from 'fast-check';
import * as assert from 'uvu/assert';
import { propertyCheck } from '../util/check';
import '../../src/tensor';
import { tensor } from '../../src/tensor/create';
import type { Tensor } from '../../src/tensor/tensor';

/** Runs a fast-check property with a fixed seed (20 cases unless told). */
export const check = propertyCheck(20);
export { throwsMatching } from '../util/check';

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, naming the first offending index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-10, rtol = 1e-8, what = ''): void {
  assert.is(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)) && !(Number.isNaN(a) && Number.isNaN(e))) {
      assert.unreachable(`${what} element ${i}: ${a} vs ${e}`);
    }
  }
}

/** Asserts two tensors have the same shape and close values. */
export function assertTensorClose(actual: Tensor, expected: Tensor, atol = 1e-10, rtol = 1e-8, what = ''): void {
  assert.equal([...actual.shape], [...expected.shape], `${what} shape`);
  assertClose(actual.data(), expected.data(), atol, rtol, what);
}

/** A float64 tensor of a shape from a flat list of numbers. */
export function f64(values: readonly number[], shape: readonly number[]): Tensor {
  return tensor(Float64Array.from(values), { shape, dtype: 'float64' });
}

/**
 * A real in [min, max] spread evenly (fast-check's doubles favour extremes such as 1e-300, which hide
 * errors under any absolute tolerance).
 */
export function real(min: number, max: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 1_000_000 }).map((k) => min + ((max - min) * k) / 1_000_000);
}

/** Arbitrary flat values in [−range, range] of a given length. */
export function values(length: number, range = 3): fc.Arbitrary<number[]> {
  return fc.array(real(-range, range), { minLength: length, maxLength: length });
}
