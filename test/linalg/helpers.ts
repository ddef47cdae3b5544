/**
 * Shared helpers of the linalg tests: seeded matrices (plain, symmetric, with a prescribed spectrum,
 * rank deficient), residual measures and assertions whose tolerances scale with ‖A‖·ε·n.
 *
 * Orthogonal factors are built from Householder reflections here, independently of the QR under
 * test, so that "known spectrum" checks do not lean on the code they check.
 */
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import seedrandom from 'seedrandom';
import { type Mat, EPS, identity, mat, matmul, transpose } from '../../src/linalg/kernels/mat';

export { EPS };

/** fast-check settings shared by the property tests: modest run counts, a fixed seed (same cases every run). */
export const RUNS = { numRuns: 40, seed: 20260705 };

/** A seeded uniform(−1, 1) matrix. */
export function randomMat(rows: number, cols: number, seed: number): Mat {
  const rng = seedrandom(`linalg-${seed}`);
  const out = mat(rows, cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = rng() * 2 - 1;
  return out;
}

/** A seeded symmetric matrix (B + Bᵀ)/2. */
export function randomSymmetric(n: number, seed: number): Mat {
  const b = randomMat(n, n, seed);
  const out = mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = (b.data[i * n + j] + b.data[j * n + i]) / 2;
  return out;
}

/** A seeded n×n orthogonal matrix: the product of n Householder reflections applied to I. */
export function randomOrthogonal(n: number, seed: number): Mat {
  const rng = seedrandom(`orth-${seed}`);
  const q = identity(n);
  const v = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let vv = 0;
    for (let i = 0; i < n; i++) {
      v[i] = rng() * 2 - 1;
      vv += v[i] * v[i];
    }
    if (vv === 0) continue;
    // Q ← Q·(I − 2vvᵀ/vᵀv): each row x of Q becomes x − (2·(x·v)/vᵀv)·v.
    for (let i = 0; i < n; i++) {
      let xv = 0;
      for (let j = 0; j < n; j++) xv += q.data[i * n + j] * v[j];
      const f = (2 * xv) / vv;
      for (let j = 0; j < n; j++) q.data[i * n + j] -= f * v[j];
    }
  }
  return q;
}

/** U·diag(s)·Vᵀ with random orthogonal U (m×m) and V (n×n); s has min(m, n) entries. */
export function withSingularValues(m: number, n: number, s: readonly number[], seed: number): Mat {
  const u = randomOrthogonal(m, seed);
  const v = randomOrthogonal(n, seed + 7919);
  const us = mat(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < s.length; j++) us.data[i * n + j] = u.data[i * m + j] * s[j];
  return matmul(us, transpose(v));
}

/** Q·diag(w)·Qᵀ with a random orthogonal Q: a symmetric matrix with eigenvalues w. */
export function withEigenvalues(w: readonly number[], seed: number): Mat {
  const n = w.length;
  const q = randomOrthogonal(n, seed);
  const qw = mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qw.data[i * n + j] = q.data[i * n + j] * w[j];
  const a = matmul(qw, transpose(q));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a.data[j * n + i] = a.data[i * n + j];
  return a;
}

/** `count` values spread log-uniformly from 10^lo to 10^hi, descending (seeded). */
export function logSpread(count: number, lo: number, hi: number, seed: number): number[] {
  const rng = seedrandom(`spread-${seed}`);
  const out = Array.from({ length: count }, (_, i) =>
    10 ** (count === 1 ? hi : hi - ((hi - lo) * i) / (count - 1) + (rng() - 0.5) * 0.01));
  return out.sort((a, b) => b - a);
}

/** A rows×cols matrix of rank `rank` (product of seeded rows×rank and rank×cols factors). */
export function rankDeficient(rows: number, cols: number, rank: number, seed: number): Mat {
  return matmul(randomMat(rows, rank, seed), randomMat(rank, cols, seed + 1));
}

/** The n×n Hilbert matrix 1/(i + j + 1). */
export function hilbert(n: number): Mat {
  const h = mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h.data[i * n + j] = 1 / (i + j + 1);
  return h;
}

/** Largest |entry| of A − B. */
export function maxDiff(a: Mat, b: Mat): number {
  assert.is(a.rows, b.rows, 'row counts differ');
  assert.is(a.cols, b.cols, 'column counts differ');
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  return worst;
}

/** Largest |entry| of QᵀQ − I: how far the columns of Q are from orthonormal. */
export function orthogonalityError(q: Mat): number {
  return maxDiff(matmul(transpose(q), q), identity(q.cols));
}

/** Spectral-norm bound used to scale tolerances: the Frobenius norm (0 → 1 so tolerances stay positive). */
export function scaleOf(a: Mat): number {
  let s = 0;
  for (const v of a.data) s += v * v;
  return Math.sqrt(s) || 1;
}

/** Asserts `error ≤ factor·n·ε·scale`, with a message that shows both sides. */
export function assertSmall(error: number, scale: number, n: number, what: string, factor = 10): void {
  const limit = factor * Math.max(n, 1) * EPS * scale;
  assert.ok(error <= limit, `${what}: ${error.toExponential(3)} exceeds ${limit.toExponential(3)}`);
}

/** diag(values) as a rows×cols matrix. */
export function diagMat(values: ArrayLike<number>, rows = values.length, cols = rows): Mat {
  const out = mat(rows, cols);
  for (let i = 0; i < values.length; i++) out.data[i * cols + i] = values[i];
  return out;
}

/** Asserts that every entry strictly below the main diagonal is exactly zero. */
export function assertUpperTriangular(r: Mat, what: string): void {
  for (let i = 0; i < r.rows; i++) {
    for (let j = 0; j < Math.min(i, r.cols); j++) assert.is(r.data[i * r.cols + j], 0, `${what}[${i},${j}] below the diagonal`);
  }
}

/** Asserts the sign convention on the columns of v: each column's largest-|entry| (first on ties) is positive. */
export function assertCanonicalColumns(v: Mat, what: string, columns = v.cols): void {
  for (let j = 0; j < columns; j++) {
    let best = -1, value = 0;
    for (let i = 0; i < v.rows; i++) {
      const x = v.data[i * v.cols + j];
      if (Math.abs(x) > best) {
        best = Math.abs(x);
        value = x;
      }
    }
    assert.ok(value >= 0, `${what}: column ${j} has its largest entry negative (${value})`);
  }
}

/** Asserts `fn` throws an Error whose message matches `pattern`. */
export function throwsMatching(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, 'threw a non-Error');
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

/** Arbitrary (rows, cols, seed) with sizes in [lo, hi]. */
export function shapeArb(lo: number, hi: number) {
  return fc.record({ rows: fc.integer({ min: lo, max: hi }), cols: fc.integer({ min: lo, max: hi }), seed: fc.nat() });
}

/**
 * Checks that `solve` recovers a prescribed spectrum spread over `decades` (every `negateEvery`-th value
 * negated, so it is indefinite) to ε·‖A‖: the eigenvalues it returns, ascending, against the ones built in.
 */
export function checkGradedSpectrum(n: number, decades: number, seed: number, negateEvery: number,
  solve: (a: Mat) => { eigenvalues: ArrayLike<number> }): void {
  const w = logSpread(n, -decades, 1, seed).map((v, i) => (i % negateEvery === 1 ? -v : v));
  const a = withEigenvalues(w, seed);
  const { eigenvalues } = solve(a);
  const sorted = [...w].sort((x, y) => x - y);
  sorted.forEach((v, i) => assertSmall(Math.abs(eigenvalues[i] - v), scaleOf(a), n, `eigenvalue ${i}`));
}

/** Every property of eigh's contract on one result: n ascending eigenvalues, orthonormal canonical E, A·E = E·diag(w). */
export function assertEighContract(a: Mat, result: { eigenvalues: Float64Array; eigenvectors: Mat }): void {
  const n = a.rows;
  const { eigenvalues: w, eigenvectors: e } = result;
  assert.is(w.length, n);
  for (let i = 1; i < n; i++) assert.ok(w[i - 1] <= w[i], 'eigenvalues ascending');
  assertSmall(orthogonalityError(e), 1, n, 'EᵀE − I');
  assertSmall(maxDiff(matmul(a, e), matmul(e, diagMat(w))), scaleOf(a), n, 'A·E − E·diag(w)');
  assertCanonicalColumns(e, 'eigenvectors');
}

/**
 * Runs `fn` with `useWasm(true)` and then with `useWasm(false)` (a kernel module's switch between its wasm and
 * JavaScript paths); returns both results, and leaves the wasm path selected.
 */
export function onBothPaths<T>(useWasm: (on: boolean) => unknown, fn: () => T): [T, T] {
  useWasm(true);
  try {
    const wasm = fn();
    useWasm(false);
    return [wasm, fn()];
  } finally {
    useWasm(true);
  }
}

/** Why the wasm-vs-JS comparisons are skipped (null when they can run): without WebAssembly SIMD both "paths" are the JavaScript one, and comparing it with itself proves nothing. */
export function noSimdReason(wasmAvailable: boolean): string | null {
  return wasmAvailable ? null : 'no WebAssembly SIMD here: the JS fallback would only be compared with itself';
}

/** Asserts that x and y hold the same values bit for bit (Object.is: −0 ≠ 0, NaN = NaN). */
export function sameBits(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  assert.is(x.length, y.length, `${what}: lengths`);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.unreachable(`${what}: entry ${i} differs: ${x[i]} vs ${y[i]}`);
  }
}
