/**
 * Householder QR kernel: orthonormal Q, upper triangular R, A = Q·R, for reduced and complete modes,
 * over random shapes (tall, wide, square, shapes spanning several 32-column panels), conditioning
 * down to 1e-10, rank deficiency, 1×1 and empty matrices; LAPACK's sign choice; determinism.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { qr, qrR } from '../../src/linalg/kernels/qr';
import { mat, matmul } from '../../src/linalg/kernels/mat';
import {
  EPS, RUNS, assertSmall, assertUpperTriangular, logSpread, maxDiff, orthogonalityError, randomMat, rankDeficient,
  scaleOf, shapeArb, withSingularValues,
} from './helpers';

function checkFactorization(a: ReturnType<typeof randomMat>, mode: 'reduced' | 'complete'): void {
  const { Q, R } = qr(a, mode);
  const m = a.rows, n = a.cols, k = Math.min(m, n);
  const qCols = mode === 'complete' ? m : k;
  assert.equal([Q.rows, Q.cols, R.rows, R.cols], [m, qCols, qCols, n], 'factor shapes');
  assertUpperTriangular(R, 'R');
  assertSmall(orthogonalityError(Q), 1, m, 'QᵀQ − I');
  assertSmall(maxDiff(matmul(Q, R), a), scaleOf(a), Math.max(m, n), 'Q·R − A');
}

test('reduced and complete QR of random shapes: orthonormal Q, triangular R, Q·R = A', () => {
  fc.assert(fc.property(shapeArb(1, 40), fc.constantFrom('reduced' as const, 'complete' as const), ({ rows, cols, seed }, mode) => {
    checkFactorization(randomMat(rows, cols, seed), mode);
  }), RUNS);
});

test('shapes spanning several panels, tall and wide, take the blocked path correctly', () => {
  fc.assert(fc.property(fc.integer({ min: 65, max: 140 }), fc.integer({ min: 33, max: 100 }), fc.nat(), (m, n, seed) => {
    checkFactorization(randomMat(m, n, seed), 'reduced');
    checkFactorization(randomMat(n, m, seed + 1), 'complete');
  }), { ...RUNS, numRuns: 6 });
});

test('ill-conditioned and rank-deficient inputs still give an orthonormal Q and Q·R = A', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 0, max: 10 }), fc.nat(), (n, decades, seed) => {
    const m = n + 5;
    checkFactorization(withSingularValues(m, n, logSpread(n, -decades, 0, seed), seed), 'reduced');
    checkFactorization(rankDeficient(m, n, Math.max(1, n >> 1), seed), 'complete');
  }), RUNS);
});

test('R alone equals the R of the full factorization', () => {
  const a = randomMat(50, 20, 3);
  assert.equal(Array.from(qrR(a).data), Array.from(qr(a).R.data));
});

test("R's diagonal follows LAPACK: r_jj = −sign(a_jj)·‖column‖ for the first column", () => {
  const a = mat(3, 1, Float64Array.from([3, 4, 0]));
  const { Q, R } = qr(a);
  assert.is(R.data[0], -5);
  [-0.6, -0.8, 0].forEach((expected, i) => assert.ok(Math.abs(Q.data[i] - expected) <= 4 * EPS, `Q[${i}]`));
  const b = mat(2, 1, Float64Array.from([-3, 4]));
  assert.is(qr(b).R.data[0], 5);
});

test('an already upper triangular matrix needs no reflection in its last column', () => {
  const a = mat(2, 2, Float64Array.from([2, 1, 0, 3]));
  const { Q, R } = qr(a);
  assertSmall(maxDiff(matmul(Q, R), a), 3, 2, 'Q·R − A');
  assert.is(R.data[2], 0);
});

test('1×1, empty and zero matrices', () => {
  const one = qr(mat(1, 1, Float64Array.from([-2])));
  assert.is(one.Q.data[0] * one.R.data[0], -2);
  assert.is(Math.abs(one.Q.data[0]), 1);
  const empty = qr(mat(0, 3), 'reduced');
  assert.equal([empty.Q.rows, empty.Q.cols, empty.R.rows, empty.R.cols], [0, 0, 0, 3]);
  const noCols = qr(mat(3, 0), 'complete');
  assert.equal([noCols.Q.rows, noCols.Q.cols, noCols.R.rows, noCols.R.cols], [3, 3, 3, 0]);
  assert.is(orthogonalityError(noCols.Q), 0);
  const zero = qr(mat(4, 3), 'complete');
  assert.is(orthogonalityError(zero.Q), 0);
  assert.ok(zero.R.data.every((v) => v === 0));
});

test('the input is not modified and repeated calls agree bit for bit', () => {
  const a = randomMat(70, 40, 11);
  const copy = a.data.slice();
  const first = qr(a, 'complete');
  const second = qr(a, 'complete');
  assert.equal(Array.from(a.data), Array.from(copy));
  assert.equal(Array.from(first.Q.data), Array.from(second.Q.data));
  assert.equal(Array.from(first.R.data), Array.from(second.R.data));
});

test.run();
