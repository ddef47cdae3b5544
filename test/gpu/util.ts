/** Helpers of the gpu tests: seeded inputs, cpu/gpu pairs, and float32 comparison of results. */
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { Generator, randint, randn, type Tensor } from '../../src/tensor';
import '../../src/tensor/gpu';
import { GpuStorage } from '../../src/tensor/gpu';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** fast-check settings for one property: a few runs each, seeds printed on failure. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, endOnFailure: true, includeErrorInReport: true };
}

/** A shape of `minRank`..`maxRank` dims of size 1..maxSize. */
export function shapeArb(minRank = 0, maxRank = 3, maxSize = 5): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: minRank, maxLength: maxRank });
}

export const seedArb = fc.integer({ min: 1, max: 2 ** 30 });

/** A cpu float32 tensor of seeded normal values times `scale` plus `shift`. */
export function normal(shape: readonly number[], seed: number, scale = 1, shift = 0): Tensor {
  return randn(shape, { generator: new Generator(seed) }).mul(scale).add(shift);
}

/** A cpu int32 tensor of seeded integers in [low, high). */
export function ints(shape: readonly number[], seed: number, low: number, high: number): Tensor {
  return randint(low, high, shape, { generator: new Generator(seed) });
}

/** Asserts that a tensor lives on the gpu device in a GpuStorage. */
export function assertOnGpu(t: Tensor, what: string): void {
  assert.is(t.device, 'gpu', `${what}: device`);
  assert.ok(t.storage instanceof GpuStorage, `${what}: storage is a GpuStorage`);
}

function close(actual: number, expected: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/**
 * Asserts that `onGpu` (a gpu tensor) equals `onCpu` (the same computation on the cpu) in shape, dtype and
 * values within float32 tolerance (int32 results exactly).
 */
export function assertParity(onGpu: Tensor, onCpu: Tensor, what: string, tolerance: Tolerance = {}): void {
  const { rtol = 1e-4, atol = 1e-5 } = tolerance;
  assertOnGpu(onGpu, what);
  assert.equal([...onGpu.shape], [...onCpu.shape], `${what}: shape`);
  assert.is(onGpu.dtype, onCpu.dtype, `${what}: dtype`);
  const actual = onGpu.data();
  const expected = onCpu.data();
  for (let i = 0; i < expected.length; i++) {
    const exact = onCpu.dtype === 'int32';
    if (exact ? actual[i] !== expected[i] : !close(actual[i], expected[i], rtol, atol)) {
      assert.unreachable(`${what}: element ${i} of ${expected.length} is ${actual[i]} on gpu, ${expected[i]} on cpu`);
    }
  }
}

/** Runs `fn` on cpu inputs and on their gpu copies and compares the results. */
export function checkOp(what: string, inputs: readonly Tensor[], fn: (...xs: Tensor[]) => Tensor, tolerance?: Tolerance): void {
  const onCpu = fn(...inputs);
  const onGpu = fn(...inputs.map((x) => x.to('gpu')));
  assertParity(onGpu, onCpu, what, tolerance);
}

/**
 * Runs `fn` (returning a scalar loss) on cpu leaves and on gpu leaves, backpropagates, and compares every
 * leaf's gradient, which must live on the gpu.
 */
export function checkGrad(what: string, inputs: readonly Tensor[], fn: (...xs: Tensor[]) => Tensor, tolerance: Tolerance = {}): void {
  const cpuLeaves = inputs.map((x) => (x.dtype === 'int32' ? x : x.detach().clone().requiresGrad_()));
  const gpuLeaves = inputs.map((x) => (x.dtype === 'int32' ? x.to('gpu') : x.to('gpu').requiresGrad_()));
  const cpuLoss = fn(...cpuLeaves);
  const gpuLoss = fn(...gpuLeaves);
  assertParity(gpuLoss, cpuLoss, `${what}: loss`, { rtol: 1e-4, atol: 1e-4, ...tolerance });
  cpuLoss.backward();
  gpuLoss.backward();
  cpuLeaves.forEach((leaf, i) => {
    if (leaf.dtype === 'int32') return;
    const g = gpuLeaves[i].grad;
    assert.ok(g !== null, `${what}: gradient of input ${i} on gpu`);
    assertParity(g as Tensor, leaf.grad as Tensor, `${what}: gradient of input ${i}`, { rtol: 1e-3, atol: 1e-4, ...tolerance });
  });
}
