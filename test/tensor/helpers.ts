/**
 * Shared helpers for the tensor and autograd tests (not a test file itself): fast-check settings, random
 * shapes and values, naive references over multi-indices, and comparisons.
 */
import * as fc from 'fast-check';
import * as assert from 'uvu/assert';
import { propertyCheck } from '../util/check';
import { Generator, tensor, type DType, type Tensor } from '../../src/tensor';

/** Runs a fast-check property with a fixed seed (40 cases unless told). */
export const check = propertyCheck(40);
export { throwsMatching } from '../util/check';

/** A shape of up to `maxDims` dims, each 1..maxSize. */
export const shapeArb = (maxDims = 3, maxSize = 4, minDims = 0) =>
  fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: minDims, maxLength: maxDims });

/**
 * Two shapes that broadcast together: an output shape, and for each operand a suffix of it with some dims
 * replaced by 1.
 */
export const broadcastPairArb = (maxDims = 4, maxSize = 4) =>
  fc.tuple(
    shapeArb(maxDims, maxSize),
    fc.array(fc.boolean(), { minLength: 2 * maxDims, maxLength: 2 * maxDims }),
    fc.nat(maxDims), fc.nat(maxDims),
  ).map(([out, ones, dropA, dropB]) => {
    const operand = (drop: number, offset: number) =>
      out.slice(Math.min(drop, out.length)).map((d, i) => (ones[offset + i] ? 1 : d));
    return [operand(dropA, 0), operand(dropB, maxDims)] as const;
  });

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Seeded values: normal, or uniform in [lo, hi) when a range is given; integers when `integers`. */
export function randomValues(count: number, seed: number, range?: [number, number], integers = false): number[] {
  const g = new Generator(seed);
  return Array.from({ length: count }, () => {
    const v = range ? range[0] + (range[1] - range[0]) * g.random() : g.normal();
    return integers ? Math.floor(v) : v;
  });
}

/** A tensor of `shape` with seeded values (see randomValues). */
export function randomTensor(
  shape: readonly number[], seed: number, dtype: DType = 'float64', range?: [number, number], integers = false,
): Tensor {
  const values = randomValues(numel(shape), seed, range, integers || dtype === 'int32');
  const typed = dtype === 'float64' ? Float64Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
  return tensor(typed, { shape: [...shape] });
}

/** Calls fn(multiIndex, flatIndex) for every element of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (index: number[], flat: number) => void): void {
  const total = numel(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    fn(index, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

/** Row-major flat position in `shape` of an output multi-index under numpy broadcasting. */
export function broadcastFlat(outIndex: readonly number[], shape: readonly number[]): number {
  const lead = outIndex.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + (shape[d] === 1 ? 0 : outIndex[lead + d]);
  return flat;
}

/** numpy's broadcast shape, computed independently of the engine. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    return da === 1 ? db : da;
  });
}

/** Element i of `actual` is within atol + rtol·|expected| of expected[i] (NaNs must match). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-6, what = ''): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`); continue; }
    if (!Number.isFinite(e)) { assert.is(a, e, `${what}[${i}]`); continue; }
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: ${a} vs expected ${e}`);
  }
}

/** Element-wise identical values (Object.is: same bits up to NaN payloads, −0 ≠ 0). */
export function assertSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.unreachable(`${what}[${i}]: ${actual[i]} vs expected ${expected[i]}`);
  }
}

export const sameShape = (t: Tensor, shape: readonly number[]) => assert.equal([...t.shape], [...shape]);
