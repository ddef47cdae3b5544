/**
 * Cholesky kernel and the ridge inverse: L lower triangular with a positive diagonal and L·Lᵀ = A over
 * random SPD matrices of varied conditioning; only the lower triangle is read; errors name the pivot
 * whose leading minor is not positive; (A + ridge·I)⁻¹ is an exactly symmetric inverse.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { cholesky, choleskyInverse, lowerTriangularInverse } from '../../src/linalg/kernels/cholesky';
import { fromRows, identity, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import {
  RUNS, assertSmall, hilbert, logSpread, maxDiff, randomMat, randomSymmetric, scaleOf, throwsMatching, withEigenvalues,
} from './helpers';
import { useWasmMatmul } from '../../src/tensor/cpu/matmul';

/** A seeded SPD matrix with eigenvalues spread over `decades` decades below 1. */
function spd(n: number, decades: number, seed: number) {
  return withEigenvalues(logSpread(n, -decades, 0, seed), seed);
}

test('L is lower triangular with a positive diagonal and L·Lᵀ = A', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 8 }), fc.nat(), (n, decades, seed) => {
    const a = spd(n, decades, seed);
    const l = cholesky(a);
    for (let i = 0; i < n; i++) {
      assert.ok(l.data[i * n + i] > 0, 'positive diagonal');
      for (let j = i + 1; j < n; j++) assert.is(l.data[i * n + j], 0, 'zero above the diagonal');
    }
    assertSmall(maxDiff(matmul(l, transpose(l)), a), scaleOf(a), n, 'L·Lᵀ − A');
  }), RUNS);
});

test('only the lower triangle is read', () => {
  const a = spd(6, 2, 5);
  const garbled = a.data.slice();
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) garbled[i * 6 + j] = 1e9 * (i - j);
  assert.equal(Array.from(cholesky(mat(6, 6, garbled)).data), Array.from(cholesky(a).data));
});

test('an indefinite matrix throws naming the first pivot whose leading minor is not positive', () => {
  throwsMatching(() => cholesky(fromRows([[1, 2], [2, 1]])),
    /^linalg\.cholesky: the matrix is not positive definite \(pivot 1 is -3: the leading minor of order 2 is not positive\)$/);
  throwsMatching(() => cholesky(fromRows([[-1, 0], [0, 1]])), /pivot 0 is -1: the leading minor of order 1/);
  fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), (n, seed) => {
    // Lower A[bad][bad] by its pivot d_bad + 1: leading minors of order ≤ bad stay positive and the
    // pivot at `bad` becomes −1 (up to rounding).
    const bad = seed % n;
    const a = spd(n, 2, seed);
    const l = cholesky(a);
    const pivot = l.data[bad * n + bad] ** 2;
    a.data[bad * n + bad] -= pivot + 1;
    throwsMatching(() => cholesky(a), new RegExp(`pivot ${bad} is -[01]\\.?\\d*(e-\\d+)?: the leading minor of order ${bad + 1} is not positive`));
  }), { ...RUNS, numRuns: 10 });
  throwsMatching(() => cholesky(randomMat(2, 3, 1)), /^linalg\.cholesky: expected a square matrix, got shape \(2,3\)$/);
});

test('semidefinite matrices are rejected too (a zero pivot is not positive)', () => {
  throwsMatching(() => cholesky(fromRows([[1, 1], [1, 1]])), /not positive definite \(pivot 1 is 0/);
});

test('the inverse of a lower triangular matrix is lower triangular and exact on the identity', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(), (n, seed) => {
    const l = cholesky(spd(n, 3, seed));
    const x = lowerTriangularInverse(l);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.is(x.data[i * n + j], 0);
    assertSmall(maxDiff(matmul(l, x), identity(n)), 1e3, n, 'L·L⁻¹ − I');
  }), RUNS);
});

test('blocked sizes (beyond one 64-row block): L·Lᵀ = A, L⁻¹ exact, lower triangle only, pivots named, same bits without wasm', () => {
  fc.assert(fc.property(fc.integer({ min: 65, max: 200 }), fc.integer({ min: 0, max: 6 }), fc.nat(), (n, decades, seed) => {
    const a = spd(n, decades, seed);
    const l = cholesky(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.is(l.data[i * n + j], 0, 'zero above the diagonal');
    assertSmall(maxDiff(matmul(l, transpose(l)), a), scaleOf(a), n, 'L·Lᵀ − A');
    const x = lowerTriangularInverse(l);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.is(x.data[i * n + j], 0);
    assertSmall(maxDiff(matmul(l, x), identity(n)), 10 ** decades, n, 'L·L⁻¹ − I');
    const garbled = a.data.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) garbled[i * n + j] = 1e9 * (i - j);
    assert.equal(Array.from(cholesky(mat(n, n, garbled)).data), Array.from(l.data), 'only the lower triangle is read');
    useWasmMatmul(false);
    try {
      assert.equal(Array.from(cholesky(a).data), Array.from(l.data), 'the same bits on the JavaScript matmul');
      assert.equal(Array.from(lowerTriangularInverse(l).data), Array.from(x.data), 'the same bits on the JavaScript matmul');
    } finally {
      useWasmMatmul(true);
    }
    const bad = 64 + (seed % (n - 64));
    a.data[bad * n + bad] -= l.data[bad * n + bad] ** 2 + 1;
    throwsMatching(() => cholesky(a), new RegExp(`pivot ${bad} is -[01]\\.?\\d*(e-\\d+)?: the leading minor of order ${bad + 1} is not positive`));
  }), { ...RUNS, numRuns: 8 });
});

test('overwriteA factors in the buffer of A: the same bits as a copy, the upper triangle zeroed', () => {
  for (const n of [5, 150]) {
    const a = spd(n, 3, n);
    const expected = cholesky(a);
    const buffer = a.data.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) buffer[i * n + j] = 1e6; // never read
    const target = mat(n, n, buffer);
    const l = cholesky(target, { overwriteA: true });
    assert.ok(l.data === buffer, 'L is in A\'s buffer');
    assert.equal(Array.from(l.data), Array.from(expected.data));
  }
});

test('lowerTriangularInverse into a given buffer replaces what it held, with the same bits', () => {
  const l = cholesky(spd(150, 3, 2));
  const expected = lowerTriangularInverse(l);
  const out = mat(150, 150, new Float64Array(150 * 150).fill(7));
  assert.ok(lowerTriangularInverse(l, false, out) === out);
  assert.equal(Array.from(out.data), Array.from(expected.data));
});

test('choleskyInverse: (A + ridge·I)·X = I, X exactly symmetric, residual scaled by the condition number', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 6 }), fc.double({ min: 0, max: 2, noNaN: true }), fc.nat(),
    (n, decades, ridge, seed) => {
      const a = spd(n, decades, seed);
      const x = choleskyInverse(a, ridge);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.is(x.data[i * n + j], x.data[j * n + i], 'symmetric');
      const shifted = a.data.slice();
      for (let i = 0; i < n; i++) shifted[i * n + i] += ridge;
      const cond = (1 + ridge) / (10 ** -decades + ridge);
      assertSmall(maxDiff(matmul(mat(n, n, shifted), x), identity(n)), cond, n, '(A + ridge·I)·X − I');
    }), RUNS);
});

test('choleskyInverse of the Hilbert matrix recovers its known integer inverse', () => {
  const n = 6;
  const x = choleskyInverse(hilbert(n));
  const binom = (a: number, b: number) => {
    let r = 1;
    for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
    return r;
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const exact = (-1) ** (i + j) * (i + j + 1) * binom(n + i, n - j - 1) * binom(n + j, n - i - 1) * binom(i + j, i) ** 2;
      assert.ok(Math.abs(x.data[i * n + j] - exact) <= 1e-6 * Math.abs(exact), `H⁻¹[${i},${j}] = ${x.data[i * n + j]}, exact ${exact}`);
    }
  }
});

test('choleskyInverse errors name the shifted matrix and the pivot', () => {
  throwsMatching(() => choleskyInverse(fromRows([[1, 2], [2, 1]]), 0.5),
    /^linalg\.choleskyInverse: A \+ ridge·I \(ridge = 0\.5\) is not positive definite \(pivot 1 is/);
  throwsMatching(() => choleskyInverse(fromRows([[0]])), /^linalg\.choleskyInverse: the matrix is not positive definite \(pivot 0 is 0/);
  throwsMatching(() => choleskyInverse(identity(2), Number.NaN), /ridge must be a finite number, got NaN/);
  // A large enough ridge makes an indefinite matrix positive definite.
  const x = choleskyInverse(randomSymmetric(5, 3), 10);
  assert.ok(x.data.every(Number.isFinite));
});

test('1×1 and empty matrices', () => {
  assert.equal(Array.from(cholesky(fromRows([[9]])).data), [3]);
  assert.equal(Array.from(choleskyInverse(fromRows([[4]]), 0).data), [0.25]);
  assert.is(cholesky(mat(0, 0)).rows, 0);
  assert.is(choleskyInverse(mat(0, 0)).data.length, 0);
});

test.run();
