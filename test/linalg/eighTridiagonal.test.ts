/**
 * The tridiagonal route of eigh (Householder reduction, divide and conquer or QL, back-transformation),
 * forced on small matrices so the tests stay fast: QᵀAQ tridiagonal with Q orthogonal; A·E = E·diag(w),
 * EᵀE = I, ascending w, canonical signs; eigenvalues that agree with Jacobi's to ε‖A‖; on random,
 * clustered, repeated, degenerate (zero, c·I, rank-deficient), graded and huge/tiny-scaled matrices; and
 * 'auto' choosing the route by size.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { TRIDIAGONAL_FROM, eigh } from '../../src/linalg/kernels/eigh';
import { eighByTridiagonal } from '../../src/linalg/kernels/eighTridiagonal';
import { tridiagonalize } from '../../src/linalg/kernels/tridiagonal';
import { applyTridiagonalQ } from '../../src/linalg/kernels/tridiagonalQ';
import { type Mat, identity, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import {
  RUNS, assertCanonicalColumns, assertEighContract, assertSmall, checkGradedSpectrum, diagMat, maxDiff, orthogonalityError, randomSymmetric,
  rankDeficient, scaleOf, withEigenvalues,
} from './helpers';

const FORCED = { route: 'tridiagonal' } as const;

/** Every property of eigh's contract on the tridiagonal route, plus agreement with Jacobi's eigenvalues. */
function checkRoute(a: Mat): { eigenvalues: Float64Array; eigenvectors: Mat } {
  const n = a.rows;
  const result = eigh(a, FORCED);
  assertEighContract(a, result);
  const w = result.eigenvalues;
  const jacobi = eigh(a, { route: 'jacobi' }).eigenvalues;
  w.forEach((v, i) => assertSmall(Math.abs(v - jacobi[i]), scaleOf(a), n, `eigenvalue ${i} vs Jacobi`));
  return result;
}

/** Q (n×n) of the reduction, formed by applying it to the identity's rows (which gives Qᵀ row-major). */
function formQ(tri: ReturnType<typeof tridiagonalize>): Mat {
  const n = tri.n;
  const rows = identity(n).data;
  applyTridiagonalQ(tri, rows, n);
  return transpose(mat(n, n, rows));
}

test('tridiagonalisation: Q is orthogonal and QᵀAQ is the tridiagonal (d, e), over several panels', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 110 }), fc.nat(), (n, seed) => {
    const a = randomSymmetric(n, seed);
    const tri = tridiagonalize(a.data.slice(), n);
    const q = formQ(tri);
    assertSmall(orthogonalityError(q), 1, n, 'QᵀQ − I');
    const t = mat(n, n);
    for (let i = 0; i < n; i++) {
      t.data[i * n + i] = tri.d[i];
      if (i > 0) t.data[i * n + i - 1] = t.data[(i - 1) * n + i] = tri.e[i - 1];
    }
    assertSmall(maxDiff(matmul(matmul(transpose(q), a), q), t), scaleOf(a), n, 'QᵀAQ − T');
  }), { ...RUNS, numRuns: 15 });
});

test('tridiagonalisation reads only the lower triangle', () => {
  const a = randomSymmetric(60, 3);
  const garbled = a.data.slice();
  // The buffer is column-major: entry (row i, column j > i), above the diagonal, sits at j·60 + i.
  for (let i = 0; i < 60; i++) for (let j = i + 1; j < 60; j++) garbled[j * 60 + i] = 1e6;
  const lower = tridiagonalize(garbled, 60), full = tridiagonalize(a.data.slice(), 60);
  assert.equal(Array.from(lower.d), Array.from(full.d));
  assert.equal(Array.from(lower.e), Array.from(full.e));
});

test('random symmetric matrices: the full contract, eigenvalues as Jacobi finds them', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 90 }), fc.nat(), (n, seed) => {
    checkRoute(randomSymmetric(n, seed));
  }), { ...RUNS, numRuns: 25 });
});

test('QL instead of divide and conquer on the tridiagonal gives the same eigenvalues and an eigenbasis', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, seed) => {
    const a = randomSymmetric(n, seed);
    const ql = eighByTridiagonal(a.data.slice(), n, { solver: 'ql' });
    const dc = eighByTridiagonal(a.data.slice(), n, { solver: 'divide-and-conquer' });
    const sorted = (v: Float64Array) => Array.from(v).sort((x, y) => x - y);
    const [wq, wd] = [sorted(ql.values), sorted(dc.values)];
    wq.forEach((v, i) => assertSmall(Math.abs(v - wd[i]), scaleOf(a), n, `eigenvalue ${i}`));
    // Rows of `vectors` are the eigenvectors: A·vᵢ = wᵢ·vᵢ.
    const e = transpose(mat(n, n, ql.vectors));
    assertSmall(maxDiff(matmul(a, e), matmul(e, diagMat(ql.values))), scaleOf(a), n, 'QL: A·E − E·diag(w)');
  }), { ...RUNS, numRuns: 15 });
});

test('clustered and repeated eigenvalues (merges that deflate) give an orthonormal, deterministic basis', () => {
  fc.assert(fc.property(fc.integer({ min: 26, max: 80 }), fc.nat(), fc.constantFrom(0, 1e-13, 1e-9, 1e-6), (n, seed, split) => {
    // Three clusters: most eigenvalues at 2 (+ tiny splits), a band at −1, one isolated value.
    const w = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 + split * i : i === 1 ? 5 : 2 + split * i));
    const a = withEigenvalues(w, seed);
    const first = checkRoute(a);
    assert.equal(Array.from(first.eigenvectors.data), Array.from(eigh(a, FORCED).eigenvectors.data), 'deterministic');
  }), { ...RUNS, numRuns: 12 });
});

test('the zero matrix and c·I give E = I and all eigenvalues equal', () => {
  for (const c of [0, 1, -3.5, 1e-300, 7e300]) {
    const a = identity(40);
    for (let i = 0; i < a.data.length; i++) a.data[i] *= c;
    const { eigenvalues, eigenvectors } = eigh(a, FORCED);
    assert.ok(eigenvalues.every((v) => v === c), `eigenvalues of ${c}·I`);
    assert.equal(Array.from(eigenvectors.data), Array.from(identity(40).data));
  }
});

test('rank-deficient matrices: the zero eigenvalues come out at ε‖A‖ with an orthonormal null space', () => {
  for (const [n, rank] of [[50, 1], [64, 10], [33, 32]]) {
    const b = rankDeficient(n, n, rank, n + rank);
    const a = matmul(b, transpose(b));
    const { eigenvalues } = checkRoute(a);
    for (let i = 0; i < n - rank; i++) assertSmall(Math.abs(eigenvalues[i]), scaleOf(a), n, `null eigenvalue ${i}`);
  }
});

test('graded spectra over up to 14 decades are recovered to ε‖A‖', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 70 }), fc.integer({ min: 0, max: 14 }), fc.nat(), (n, decades, seed) => {
    checkGradedSpectrum(n, decades, seed, 2, checkRoute);
  }), { ...RUNS, numRuns: 15 });
});

test('huge and tiny scales: the same digits, scaled (exact power-of-two rescaling)', () => {
  const a = randomSymmetric(45, 9);
  const base = eigh(a, FORCED);
  for (const scale of [2 ** 900, 2 ** -900]) {
    const { eigenvalues, eigenvectors } = eigh(mat(45, 45, a.data.map((v) => v * scale)), FORCED);
    assert.equal(Array.from(eigenvalues), Array.from(base.eigenvalues).map((v) => v * scale));
    assert.equal(Array.from(eigenvectors.data), Array.from(base.eigenvectors.data));
  }
});

test("'auto' takes Jacobi below TRIDIAGONAL_FROM and the tridiagonal route from it on", () => {
  for (const n of [TRIDIAGONAL_FROM - 1, TRIDIAGONAL_FROM]) {
    const a = randomSymmetric(n, 5);
    const expected = eigh(a, { route: n < TRIDIAGONAL_FROM ? 'jacobi' : 'tridiagonal' });
    assert.equal(Array.from(eigh(a).eigenvectors.data), Array.from(expected.eigenvectors.data), `n = ${n}`);
  }
});

test("'auto' keeps Jacobi for c·I up to rounding at any size (no rotation: FRoD's square-layer case)", () => {
  const n = TRIDIAGONAL_FROM + 2;
  const noise = randomSymmetric(n, 11);
  const a = mat(n, n, noise.data.map((v) => v * 1e-16));
  for (let i = 0; i < n; i++) a.data[i * n + i] += 0.5;
  const { eigenvectors } = eigh(a);
  assert.equal(Array.from(eigenvectors.data), Array.from(eigh(a, { route: 'jacobi' }).eigenvectors.data));
  // No rotation: each eigenvector is a unit vector up to rounding (sorted by the noisy eigenvalues).
  for (let j = 0; j < n; j++) {
    let big = 0;
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(eigenvectors.data[i * n + j]));
    assert.ok(big > 1 - 1e-12, `column ${j} is not a unit vector`);
  }
});

test.run();
