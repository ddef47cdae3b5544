/**
 * The tensor-level linalg API: float64 results whatever the input dtype, batched (..., m, n) shapes
 * matching the kernels matrix by matrix, solve's broadcasting and vector rule, PyTorch's defaults
 * (svd full matrices, pinv tolerances, eigh's lower triangle), no autograd, and the errors' wording.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { type Tensor, tensor } from '../../src/tensor';
import * as linalg from '../../src/linalg';
import { kernels } from '../../src/linalg';
import { type Mat, mat } from '../../src/linalg/kernels/mat';
import { RUNS, randomMat, randomSymmetric, throwsMatching } from './helpers';

/** A float64 tensor holding `count` seeded matrices of shape (rows, cols) under batch shape `batch`. */
function batchTensor(batch: number[], rows: number, cols: number, seed: number, make = randomMat): { t: Tensor; mats: Mat[] } {
  const count = batch.reduce((a, b) => a * b, 1);
  const mats = Array.from({ length: count }, (_, i) => make(rows, cols, seed + i));
  const data = new Float64Array(count * rows * cols);
  mats.forEach((m, i) => data.set(m.data, i * rows * cols));
  return { t: tensor(data, { dtype: 'float64', shape: [...batch, rows, cols] }), mats };
}

/** Matrix i of a (..., r, c) tensor. */
function matAt(t: Tensor, i: number): Mat {
  const r = t.shape[t.ndim - 2], c = t.shape[t.ndim - 1];
  return mat(r, c, Float64Array.from(t.data()).subarray(i * r * c, (i + 1) * r * c));
}

const symmetricMaker = (n: number, _c: number, seed: number) => randomSymmetric(n, seed);
const batchArb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 });

test('batched qr, svd, eigh, inv, pinv, det equal the kernels matrix by matrix, in float64', () => {
  fc.assert(fc.property(batchArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(), (batch, m, n, seed) => {
    const { t, mats } = batchTensor(batch, m, n, seed);
    const { t: sq, mats: sqMats } = batchTensor(batch, n, n, seed, symmetricMaker);
    const q = linalg.qr(t, { mode: 'complete' });
    const s = linalg.svd(t);
    const e = linalg.eigh(sq);
    const p = linalg.pinv(t);
    const d = linalg.det(sq);
    assert.equal(q.Q.shape, [...batch, m, m]);
    assert.equal(s.U.shape, [...batch, m, m]);
    assert.equal(s.Vh.shape, [...batch, n, n]);
    assert.equal(s.S.shape, [...batch, Math.min(m, n)]);
    assert.equal(e.eigenvalues.shape, [...batch, n]);
    assert.equal(p.shape, [...batch, n, m]);
    assert.equal(d.shape, batch);
    for (const out of [q.Q, q.R, s.U, s.S, s.Vh, e.eigenvalues, e.eigenvectors, p, d]) assert.is(out.dtype, 'float64');
    mats.forEach((a, i) => {
      assert.equal(Array.from(matAt(q.R, i).data), Array.from(kernels.qr(a, 'complete').R.data));
      assert.equal(Array.from(matAt(s.Vh, i).data), Array.from(kernels.svd(a, true).Vh.data));
      assert.equal(Array.from(matAt(p, i).data), Array.from(kernels.pinv(a).data));
    });
    sqMats.forEach((a, i) => {
      assert.equal(Array.from(matAt(e.eigenvectors, i).data), Array.from(kernels.eigh(a).eigenvectors.data));
      assert.is(d.data()[i], kernels.det(a));
    });
  }), RUNS);
});

test('float32 and int32 inputs are computed in float64', () => {
  const a32 = tensor([[4, 1], [1, 3]], { dtype: 'float32' });
  const ai = tensor([[4, 1], [1, 3]], { dtype: 'int32' });
  const expected = kernels.eigh(kernels.fromRows([[4, 1], [1, 3]])).eigenvalues;
  for (const a of [a32, ai]) {
    const { eigenvalues } = linalg.eigh(a);
    assert.is(eigenvalues.dtype, 'float64');
    assert.equal(Array.from(eigenvalues.data()), Array.from(expected));
  }
  assert.is(linalg.inv(a32).dtype, 'float64');
  assert.is(linalg.cholesky(ai).dtype, 'float64');
});

test('svd defaults to full matrices; reduced on request; svdvals matches S', () => {
  const a = tensor(randomMat(5, 3, 1).data, { dtype: 'float64', shape: [5, 3] });
  assert.equal(linalg.svd(a).U.shape, [5, 5]);
  const reduced = linalg.svd(a, { fullMatrices: false });
  assert.equal([reduced.U.shape, reduced.Vh.shape], [[5, 3], [3, 3]]);
  assert.equal(Array.from(linalg.svdvals(a).data()), Array.from(reduced.S.data()));
});

test('qr modes: reduced (default), complete, r', () => {
  const a = tensor(randomMat(4, 2, 2).data, { dtype: 'float64', shape: [4, 2] });
  assert.equal([linalg.qr(a).Q.shape, linalg.qr(a).R.shape], [[4, 2], [2, 2]]);
  const r = linalg.qr(a, { mode: 'r' });
  assert.equal([r.Q.shape, r.R.shape], [[0], [2, 2]]);
  throwsMatching(() => linalg.qr(a, { mode: 'full' as 'reduced' }), /^linalg\.qr: mode must be 'reduced', 'complete' or 'r', got 'full'$/);
});

test('solve: vector and matrix right-hand sides, PyTorch vector rule, broadcast batches', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n, batch, seed) => {
    const { t: a, mats } = batchTensor([batch], n, n, seed);
    const { t: bMats } = batchTensor([batch], n, 2, seed + 50);
    const x = linalg.solve(a, bMats);
    assert.equal(x.shape, [batch, n, 2]);
    mats.forEach((m, i) => {
      const expected = kernels.solve(m, matAt(bMats, i));
      assert.equal(Array.from(matAt(x, i).data), Array.from(expected.data));
    });
    // (batch, n) with A (batch, n, n): a batch of vectors.
    const vec = tensor(randomMat(batch, n, seed).data, { dtype: 'float64', shape: [batch, n] });
    assert.equal(linalg.solve(a, vec).shape, [batch, n]);
    // One matrix A broadcast against a batch of right-hand sides.
    const one = tensor(mats[0].data, { dtype: 'float64', shape: [n, n] });
    const x1 = linalg.solve(one, bMats);
    assert.equal(x1.shape, [batch, n, 2]);
    assert.equal(Array.from(matAt(x1, batch - 1).data), Array.from(kernels.solve(mats[0], matAt(bMats, batch - 1)).data));
    // A 1-d right-hand side.
    assert.equal(linalg.solve(one, tensor(new Float64Array(n).fill(1), { dtype: 'float64', shape: [n] })).shape, [n]);
  }), RUNS);
});

test('slogdet, choleskyInverse with ridge, cholesky upper, eigh UPLO', () => {
  const a = tensor([[[2, 1], [1, 2]], [[1, 2], [2, 4]]], { dtype: 'float64' });
  const { sign, logabsdet } = linalg.slogdet(a);
  assert.equal(Array.from(sign.data()), [1, 0]);
  assert.equal(Array.from(logabsdet.data()), [Math.log(3), -Infinity]);
  const spd = tensor([[4, 2], [2, 3]], { dtype: 'float64' });
  const ridge = linalg.choleskyInverse(spd, { ridge: 1 });
  assert.equal(Array.from(ridge.data()), Array.from(kernels.choleskyInverse(kernels.fromRows([[4, 2], [2, 3]]), 1).data));
  assert.equal(linalg.cholesky(spd, { upper: true }).toArray(), [[2, 1], [0, Math.sqrt(2)]]);
  const upperOnly = tensor([[1, 5], [0, 1]], { dtype: 'float64' });
  assert.equal(Array.from(linalg.eigh(upperOnly, { UPLO: 'U' }).eigenvalues.data()), Array.from(linalg.eigh(tensor([[1, 5], [5, 1]])).eigenvalues.data()));
});

test('results never require grad, inputs stay untouched', () => {
  const a = tensor([[2, 1], [1, 3]], { dtype: 'float64', requiresGrad: true });
  const before = Array.from(a.data());
  for (const out of [linalg.inv(a), linalg.eigh(a).eigenvectors, linalg.svd(a).U, linalg.det(a)]) assert.is(out.requiresGrad, false);
  assert.equal(Array.from(a.data()), before);
});

test('errors name the function and the shape; batched failures name the element', () => {
  throwsMatching(() => linalg.eigh(tensor([1, 2, 3])), /^linalg\.eigh: expected a tensor of shape \(\.\.\., m, n\) with at least 2 dimensions, got shape \(3\)$/);
  throwsMatching(() => linalg.inv(tensor([[1, 2, 3], [4, 5, 6]])), /^linalg\.inv: expected square matrices \(\.\.\., n, n\), got shape \(2,3\)$/);
  throwsMatching(() => linalg.cholesky(tensor([[[1, 0], [0, 1]], [[1, 2], [2, 1]]])),
    /^linalg\.cholesky: \(batch element 1\) the matrix is not positive definite \(pivot 1 is -3/);
  throwsMatching(() => linalg.svd(tensor([[1, Number.NaN]])), /^linalg\.svd: expected finite values, got NaN in the input of shape \(1,2\)$/);
  throwsMatching(() => linalg.pinv(tensor([[1, Infinity]])), /^linalg\.pinv: expected finite values, got Infinity/);
  throwsMatching(() => linalg.solve(tensor([[1, 2], [2, 4]]), tensor([1, 1])), /^linalg\.solve: the matrix is singular/);
  throwsMatching(() => linalg.solve(tensor([[1, 0], [0, 1]]), tensor([1, 2, 3])), /^linalg\.solve: A of shape \(2,2\) and B of shape \(3\) do not match/);
  throwsMatching(() => linalg.solve(tensor([[[1, 0], [0, 1]], [[1, 0], [0, 1]]]), tensor([[[1], [1]], [[1], [1]], [[1], [1]]])),
    /^linalg\.solve: shapes \(2\) and \(3\) cannot be broadcast together$/);
  throwsMatching(() => linalg.eigh(tensor([[1]]), { UPLO: 'X' as 'L' }), /^linalg\.eigh: UPLO must be 'L' or 'U', got 'X'$/);
});

test('the module exports every function (the package root re-exports it as `linalg`)', () => {
  const names = ['qr', 'cholesky', 'choleskyInverse', 'eigh', 'svd', 'svdvals', 'solve', 'inv', 'pinv', 'det', 'slogdet'];
  for (const name of names) assert.type((linalg as Record<string, unknown>)[name], 'function', name);
  assert.type(kernels.svd, 'function');
});

test.run();
