/**
 * Jacobi eigh kernel: A·E = E·diag(w), EᵀE = I, ascending eigenvalues, canonical signs, on random
 * symmetric matrices of varied conditioning and on known spectra (prescribed eigenvalues, the
 * [−1, 2, −1] tridiagonal, the Hilbert matrix through its determinant); repeated eigenvalues (c·I,
 * clusters) give deterministic orthonormal bases; 1×1, empty, zero, huge and tiny scales.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { eigh } from '../../src/linalg/kernels/eigh';
import { type Mat, identity, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import {
  EPS, RUNS, assertCanonicalColumns, assertEighContract, assertSmall, checkGradedSpectrum, diagMat, hilbert, maxDiff, orthogonalityError,
  randomSymmetric, scaleOf, throwsMatching, withEigenvalues,
} from './helpers';

/** Every property eigh promises, on one matrix. */
function checkEigh(a: Mat): { eigenvalues: Float64Array; eigenvectors: Mat } {
  const result = eigh(a);
  assertEighContract(a, result);
  return result;
}

test('random symmetric matrices: A·E = E·diag(w), orthonormal E, ascending w, canonical signs', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 45 }), fc.nat(), (n, seed) => {
    checkEigh(randomSymmetric(n, seed));
  }), RUNS);
});

test('prescribed spectra (indefinite, graded over up to 12 decades) are recovered to ε·‖A‖·n', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 12 }), fc.nat(), (n, decades, seed) => {
    checkGradedSpectrum(n, decades, seed, 3, checkEigh);
  }), RUNS);
});

test('the [−1, 2, −1] tridiagonal has eigenvalues 2 − 2cos(kπ/(n+1)) and sine eigenvectors', () => {
  for (const n of [1, 2, 7, 33]) {
    const a = mat(n, n);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = 2;
      if (i > 0) a.data[i * n + i - 1] = a.data[(i - 1) * n + i] = -1;
    }
    const { eigenvalues, eigenvectors } = checkEigh(a);
    for (let k = 1; k <= n; k++) {
      assertSmall(Math.abs(eigenvalues[k - 1] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))), 4, n, `λ_${k}`);
      // Eigenvector k is ±sqrt(2/(n+1))·sin(ijkπ/(n+1)); compare up to the sign.
      let dot = 0;
      for (let i = 0; i < n; i++) dot += eigenvectors.data[i * n + k - 1] * Math.sqrt(2 / (n + 1)) * Math.sin(((i + 1) * k * Math.PI) / (n + 1));
      assertSmall(1 - Math.abs(dot), n, n, `eigenvector ${k}`);
    }
  }
});

test('Hilbert matrices: positive eigenvalues whose product is the known determinant', () => {
  for (const n of [3, 5, 8]) {
    const { eigenvalues } = checkEigh(hilbert(n));
    assert.ok(eigenvalues[0] > 0, 'positive definite');
    // det(H_n) = c_n⁴ / c_{2n}, c_k = Π_{i<k} i!, computed in logs.
    const logC = (k: number) => { let s = 0; for (let i = 1; i < k; i++) for (let j = 2; j <= i; j++) s += Math.log(j); return s; };
    const logDet = 4 * logC(n) - logC(2 * n);
    const logProduct = eigenvalues.reduce((s, v) => s + Math.log(v), 0);
    // The smallest eigenvalue carries an absolute error of ~ε‖H‖, hence a relative one of ~ε·cond(H).
    const cond = eigenvalues[n - 1] / eigenvalues[0];
    assert.ok(Math.abs(logProduct - logDet) <= 10 * n * EPS * cond, `log det ${logProduct} vs ${logDet}`);
  }
});

test('c·I: no rotation, E = I exactly, all eigenvalues c', () => {
  for (const c of [0, 1, -3.5, 1e-300, 7e300]) {
    const a = identity(6);
    for (let i = 0; i < a.data.length; i++) a.data[i] *= c;
    const { eigenvalues, eigenvectors } = eigh(a);
    assert.ok(eigenvalues.every((v) => v === c), `eigenvalues of ${c}·I`);
    assert.equal(Array.from(eigenvectors.data), Array.from(identity(6).data));
  }
});

test('repeated and clustered eigenvalues give an orthonormal, deterministic basis of each eigenspace', () => {
  fc.assert(fc.property(fc.integer({ min: 3, max: 20 }), fc.nat(), fc.constantFrom(0, 1e-13, 1e-9), (n, seed, split) => {
    const w = Array.from({ length: n }, (_, i) => (i < n - 1 ? 2 + split * i : -1));
    const a = withEigenvalues(w, seed);
    const first = checkEigh(a);
    const second = eigh(a);
    assert.equal(Array.from(first.eigenvectors.data), Array.from(second.eigenvectors.data), 'deterministic');
    assertSmall(Math.abs(first.eigenvalues[0] + 1), 2 * n, n, 'the simple eigenvalue');
  }), RUNS);
});

test('diagonal matrices: sorted diagonal, permutation eigenvectors', () => {
  const d = [3, -1, 2, 0, -1];
  const { eigenvalues, eigenvectors } = eigh(diagMat(d));
  assert.equal(Array.from(eigenvalues), [-1, -1, 0, 2, 3]);
  const expectedColumnOf = [1, 4, 3, 2, 0];
  expectedColumnOf.forEach((row, col) => assert.is(eigenvectors.data[row * 5 + col], 1));
});

test('only the lower triangle is read', () => {
  const a = randomSymmetric(7, 2);
  const garbled = a.data.slice();
  for (let i = 0; i < 7; i++) for (let j = i + 1; j < 7; j++) garbled[i * 7 + j] = 1e6;
  assert.equal(Array.from(eigh(mat(7, 7, garbled)).eigenvalues), Array.from(eigh(a).eigenvalues));
});

test('overwriteA gives the same bits on both routes, reading only the lower triangle of the buffer it takes over', () => {
  for (const [n, route] of [[9, 'jacobi'], [150, 'tridiagonal']] as const) {
    const a = randomSymmetric(n, 4);
    const garbled = a.data.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) garbled[i * n + j] = 1e6;
    const kept = eigh(a, { route });
    const overwritten = eigh(mat(n, n, garbled), { route, overwriteA: true });
    assert.equal(Array.from(overwritten.eigenvalues), Array.from(kept.eigenvalues), `${route} values`);
    assert.equal(Array.from(overwritten.eigenvectors.data), Array.from(kept.eigenvectors.data), `${route} vectors`);
  }
});

test('the memory the tridiagonal route keeps is never a result: later calls (smaller, larger) leave earlier results and inputs alone', () => {
  const a = randomSymmetric(150, 5);
  const input = Array.from(a.data);
  const first = eigh(a);
  const values = Array.from(first.eigenvalues), vectors = Array.from(first.eigenvectors.data);
  for (const [n, seed] of [[130, 6], [170, 7], [150, 5]]) eigh(randomSymmetric(n, seed));
  assert.equal(Array.from(first.eigenvalues), values, 'eigenvalues');
  assert.equal(Array.from(first.eigenvectors.data), vectors, 'eigenvectors');
  assert.equal(Array.from(a.data), input, 'input');
  assert.equal(Array.from(eigh(a).eigenvectors.data), vectors, 'the same bits again');
});

test('huge and tiny scales neither overflow nor underflow (exact power-of-two rescaling)', () => {
  const a = randomSymmetric(8, 9);
  const base = eigh(a);
  for (const scale of [2 ** 900, 2 ** -900]) {
    const scaled = mat(8, 8, a.data.map((v) => v * scale));
    const { eigenvalues, eigenvectors } = eigh(scaled);
    assert.equal(Array.from(eigenvalues), Array.from(base.eigenvalues).map((v) => v * scale));
    assert.equal(Array.from(eigenvectors.data), Array.from(base.eigenvectors.data));
  }
});

test('1×1, empty, errors; input untouched', () => {
  const one = eigh(mat(1, 1, Float64Array.from([-4])));
  assert.equal([one.eigenvalues[0], one.eigenvectors.data[0]], [-4, 1]);
  assert.is(eigh(mat(0, 0)).eigenvalues.length, 0);
  throwsMatching(() => eigh(mat(2, 3)), /^linalg\.eigh: expected a square matrix, got shape \(2,3\)$/);
  const a = randomSymmetric(5, 1);
  const copy = Array.from(a.data);
  eigh(a);
  assert.equal(Array.from(a.data), copy);
  assert.equal(Array.from(transpose(transpose(a)).data), copy);
});

test('a larger matrix (n = 150, many sweeps, odd size for the two-column pass)', () => {
  // Jacobi named explicitly: at this size 'auto' takes the tridiagonal route (eighTridiagonal.test.ts).
  const a = randomSymmetric(151, 77);
  const { eigenvalues: w, eigenvectors: e } = eigh(a, { route: 'jacobi' });
  assertSmall(orthogonalityError(e), 1, 151, 'EᵀE − I');
  assertSmall(maxDiff(matmul(a, e), matmul(e, diagMat(w))), scaleOf(a), 151, 'A·E − E·diag(w)');
});

test.run();
