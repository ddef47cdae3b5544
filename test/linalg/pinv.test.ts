/**
 * Pseudoinverse kernel: the four Moore–Penrose conditions over random shapes and ranks, agreement
 * with inv for invertible matrices and with the least-squares solution for tall full-rank ones,
 * and the rtol/atol cutoffs (PyTorch's defaults).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { pinv } from '../../src/linalg/kernels/pinv';
import { inv, solve } from '../../src/linalg/kernels/lu';
import { type Mat, fromRows, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import {
  RUNS, assertSmall, diagMat, logSpread, maxDiff, randomMat, rankDeficient, scaleOf, throwsMatching, withSingularValues,
} from './helpers';

/** A·X·A = A, X·A·X = X, (A·X)ᵀ = A·X, (X·A)ᵀ = X·A, with tolerances scaled by the norms involved. */
function checkPenrose(a: Mat, x: Mat): void {
  const n = Math.max(a.rows, a.cols);
  const ax = matmul(a, x), xa = matmul(x, a);
  const na = scaleOf(a), nx = scaleOf(x);
  assertSmall(maxDiff(matmul(ax, a), a), na * na * nx, n, 'A·X·A − A', 20);
  assertSmall(maxDiff(matmul(xa, x), x), nx * nx * na, n, 'X·A·X − X', 20);
  assertSmall(maxDiff(ax, transpose(ax)), na * nx, n, 'A·X symmetric', 20);
  assertSmall(maxDiff(xa, transpose(xa)), na * nx, n, 'X·A symmetric', 20);
}

test('Moore–Penrose conditions for random shapes and ranks', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 25 }), fc.integer({ min: 1, max: 25 }), fc.nat(), (m, n, seed) => {
    const rank = 1 + (seed % Math.min(m, n));
    const a = seed % 3 === 0 ? randomMat(m, n, seed) : rankDeficient(m, n, rank, seed);
    const x = pinv(a);
    assert.equal([x.rows, x.cols], [n, m]);
    checkPenrose(a, x);
  }), RUNS);
});

test('invertible matrices: pinv = inv; tall full rank: pinv·b is the least-squares solution', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 6 }), fc.nat(), (n, decades, seed) => {
    const a = withSingularValues(n, n, logSpread(n, -decades, 0, seed), seed);
    assertSmall(maxDiff(pinv(a), inv(a)), 10 ** (2 * decades), n, 'pinv − inv', 20);
    const tall = randomMat(n + 4, n, seed);
    const b = randomMat(n + 4, 1, seed + 1);
    // Normal equations AᵀA·x = Aᵀb (fine for this well-conditioned A).
    const normal = solve(matmul(transpose(tall), tall), matmul(transpose(tall), b));
    assertSmall(maxDiff(matmul(pinv(tall), b), normal), 1e2, n + 4, 'least squares');
  }), RUNS);
});

test('cutoffs: rtol relative to σ_max, atol absolute, PyTorch defaults', () => {
  const d = diagMat([1, 1e-10, 0]);
  assert.equal(Array.from(pinv(d).data), Array.from(diagMat([1, 1e10, 0]).data));
  assert.equal(Array.from(pinv(d, { rtol: 1e-8 }).data), Array.from(diagMat([1, 0, 0]).data));
  assert.equal(Array.from(pinv(d, { atol: 1e-9 }).data), Array.from(diagMat([1, 0, 0]).data));
  // With atol given, rtol defaults to 0: a tiny atol keeps the 1e-10 singular value.
  assert.equal(Array.from(pinv(d, { atol: 1e-12 }).data), Array.from(diagMat([1, 1e10, 0]).data));
  // Dropping everything gives the zero matrix of the transposed shape.
  const all = pinv(randomMat(3, 5, 1), { atol: 1e9 });
  assert.equal([all.rows, all.cols], [5, 3]);
  assert.ok(all.data.every((v) => v === 0));
  throwsMatching(() => pinv(d, { rtol: -1 }), /^linalg\.pinv: rtol and atol must be non-negative numbers, got rtol=-1, atol=0$/);
});

test('zero, 1×1, empty', () => {
  assert.ok(pinv(mat(3, 2)).data.every((v) => v === 0));
  assert.equal(Array.from(pinv(fromRows([[4]])).data), [0.25]);
  const empty = pinv(mat(0, 3));
  assert.equal([empty.rows, empty.cols], [3, 0]);
});

test.run();
