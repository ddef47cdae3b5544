/**
 * One-sided Jacobi SVD kernel: U·diag(S)·Vh = A, orthonormal U and V (reduced and full), descending S,
 * canonical signs on V's columns with U matching, over random tall/wide/square shapes; prescribed
 * singular values spanning 1e-8…10 recovered to ε·‖A‖; exact zeros and orthonormal completions for
 * rank-deficient input; svdvals agrees; 1×1, empty, zero; determinism.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { svd, svdvals } from '../../src/linalg/kernels/svd';
import { type Mat, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import {
  RUNS, assertCanonicalColumns, assertSmall, diagMat, hilbert, logSpread, maxDiff, orthogonalityError, randomMat,
  rankDeficient, scaleOf, shapeArb, withSingularValues,
} from './helpers';

/** Every property svd promises, on one matrix; returns the factors. */
function checkSvd(a: Mat, full: boolean) {
  const m = a.rows, n = a.cols, k = Math.min(m, n);
  const result = svd(a, full);
  const { U, S, Vh } = result;
  assert.equal([U.rows, U.cols, S.length, Vh.rows, Vh.cols], [m, full ? m : k, k, full ? n : k, n], 'shapes');
  for (let i = 1; i < k; i++) assert.ok(S[i - 1] >= S[i], 'descending');
  assert.ok(S.every((s) => s >= 0), 'non-negative');
  const V = transpose(Vh);
  assertSmall(orthogonalityError(U), 1, Math.max(m, n), 'UᵀU − I');
  assertSmall(orthogonalityError(V), 1, Math.max(m, n), 'VᵀV − I');
  const sigma = diagMat(S, U.cols, Vh.rows);
  assertSmall(maxDiff(matmul(matmul(U, sigma), Vh), a), scaleOf(a), Math.max(m, n), 'U·S·Vh − A');
  assertCanonicalColumns(V, 'V', k);
  return result;
}

test('random shapes, reduced and full: reconstruction, orthonormality, order, signs', () => {
  fc.assert(fc.property(shapeArb(1, 36), fc.boolean(), ({ rows, cols, seed }, full) => {
    checkSvd(randomMat(rows, cols, seed), full);
  }), RUNS);
});

test('U·diag(s)·Vᵀ with s spanning 1e-8…10 (Householder-built U, V): S = s to ε·‖A‖·n', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 12 }), fc.boolean(), fc.nat(), (k, extra, wide, seed) => {
    const s = logSpread(k, -8, 1, seed);
    const [m, n] = wide ? [k, k + extra] : [k + extra, k];
    const a = withSingularValues(m, n, s, seed);
    const { S } = checkSvd(a, seed % 2 === 0);
    s.forEach((v, i) => assertSmall(Math.abs(S[i] - v), s[0], Math.max(m, n), `σ_${i}`));
  }), RUNS);
});

test('rank-deficient input: exact zeros, the right count of them, orthonormal completed bases', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 25 }), fc.integer({ min: 2, max: 25 }), fc.nat(), fc.boolean(), (m, n, seed, full) => {
    const rank = 1 + (seed % Math.min(m, n));
    const a = rankDeficient(m, n, rank, seed);
    const { S } = checkSvd(a, full);
    const k = Math.min(m, n);
    for (let i = 0; i < rank; i++) assert.ok(S[i] > 0, `σ_${i} > 0`);
    for (let i = rank; i < k; i++) assert.is(S[i], 0, `σ_${i} is exactly zero`);
  }), RUNS);
});

test('a zero row or column gives exact zeros; the zero matrix gives S = 0 and identity-like bases', () => {
  const a = randomMat(4, 4, 3);
  for (let j = 0; j < 4; j++) a.data[2 * 4 + j] = 0;
  assert.is(checkSvd(a, true).S[3], 0);
  assert.is(checkSvd(transpose(a), false).S[3], 0);
  const zero = checkSvd(mat(3, 5), true);
  assert.ok(zero.S.every((v) => v === 0));
});

test('svdvals equals the singular values of svd', () => {
  fc.assert(fc.property(shapeArb(1, 30), ({ rows, cols, seed }) => {
    const a = randomMat(rows, cols, seed);
    const s = svdvals(a);
    const { S } = svd(a);
    s.forEach((v, i) => assertSmall(Math.abs(v - S[i]), scaleOf(a), Math.max(rows, cols), `σ_${i}`));
  }), RUNS);
});

test('Hilbert matrix: singular values equal its eigenvalues; a square orthogonal matrix has all σ = 1', () => {
  const h = hilbert(7);
  const { S } = checkSvd(h, false);
  // H is positive definite: σ_i = λ_i, and Σσ_i = trace(H).
  let trace = 0;
  for (let i = 0; i < 7; i++) trace += h.data[i * 7 + i];
  assertSmall(Math.abs(S.reduce((x, y) => x + y, 0) - trace), 2, 7, 'Σσ = trace');
  const q = withSingularValues(9, 9, new Array(9).fill(1), 4);
  svd(q).S.forEach((v) => assertSmall(Math.abs(v - 1), 1, 9, 'σ of an orthogonal matrix'));
});

test('wide and tall versions of the same matrix share S, with U and V exchanged', () => {
  const a = randomMat(7, 12, 8);
  const wide = svd(a, false), tall = svd(transpose(a), false);
  wide.S.forEach((v, i) => assertSmall(Math.abs(v - tall.S[i]), scaleOf(a), 12, `σ_${i}`));
});

test('1×1 and empty matrices', () => {
  const one = svd(mat(1, 1, Float64Array.from([-3])));
  assert.equal([one.U.data[0], one.S[0], one.Vh.data[0]], [-1, 3, 1]);
  const noRows = svd(mat(0, 4), true);
  assert.equal([noRows.U.rows, noRows.U.cols, noRows.S.length, noRows.Vh.rows], [0, 0, 0, 4]);
  assert.is(orthogonalityError(transpose(noRows.Vh)), 0);
  const noCols = svd(mat(3, 0), false);
  assert.equal([noCols.U.rows, noCols.U.cols, noCols.S.length, noCols.Vh.rows, noCols.Vh.cols], [3, 0, 0, 0, 0]);
});

test('deterministic, input untouched, scale invariant', () => {
  const a = randomMat(40, 25, 5);
  const copy = Array.from(a.data);
  const first = svd(a, true), second = svd(a, true);
  assert.equal(Array.from(a.data), copy);
  assert.equal(Array.from(first.U.data), Array.from(second.U.data));
  assert.equal(Array.from(first.Vh.data), Array.from(second.Vh.data));
  const scaled = svd(mat(40, 25, a.data.map((v) => v * 2 ** 700)), true);
  assert.equal(Array.from(scaled.S), Array.from(first.S).map((v) => v * 2 ** 700));
  assert.equal(Array.from(scaled.Vh.data), Array.from(first.Vh.data));
});

test('larger tall and wide matrices (QR preconditioning across several panels)', () => {
  checkSvd(randomMat(160, 75, 21), false);
  checkSvd(randomMat(60, 131, 22), true);
});

test.run();
