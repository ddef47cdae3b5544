/**
 * The shared basis V of one category: the hierarchical joint decomposition (docs/frod-math.md §2).
 *
 * The weights W_1 … W_L of a category (each (out_i, in), ordered by layer index) are stacked into
 * M = [W_1; …; W_L] (rows Σ out_i, columns in), in float64.
 *
 * - rows < in ("svd"): V = all right singular vectors of M (in × in), by descending singular value.
 * - rows ≥ in ("qr-eig"): reduced QR M = Q R; Q_i = the rows of Q that belong to layer i;
 *   T = (1/L) Σ_i (Q_iᵀQ_i + αI)⁻¹ (each inverse through Cholesky); T = E diag(μ) Eᵀ with μ ascending;
 *   V = Rᵀ E. Since W_i = Q_i R, the basis makes every layer's B_i = W_i V^{-T} = Q_i E: the layers share
 *   the directions E in which their slices of Q are, on average, most evenly spread.
 *
 * Signs: each column of V is flipped so that its largest-magnitude entry is positive (first on ties).
 * When T is numerically a multiple of I (one square layer: Q_1ᵀQ_1 = I) every orthonormal E is an
 * eigenbasis; the Jacobi eigensolver then makes no rotation and returns E = I, so V = Rᵀ, deterministically.
 */
import { gemmInto, mirrorLower, subView, syrk, view } from '../linalg/kernels/blas';
import { cholesky, lowerTriangularInverse } from '../linalg/kernels/cholesky';
import { eigh } from '../linalg/kernels/eigh';
import { type Mat, mat, transpose } from '../linalg/kernels/mat';
import { qr } from '../linalg/kernels/qr';
import { canonicalSign, negate } from '../linalg/kernels/signs';
import { svd } from '../linalg/kernels/svd';

/** Which branch of the decomposition a category took. */
export type ProjectionPath = 'svd' | 'qr-eig';

/** The basis of one category. */
export interface CategoryProjection {
  /** (in, in) row-major; column j is basis vector j. */
  readonly v: Mat;
  readonly path: ProjectionPath;
  /** Singular values, descending (svd path, min(rows, in) of them) or μ, ascending (qr-eig path). */
  readonly spectrum: Float64Array;
}

/** Checks that every weight has the same `in` and stacks them: M (Σ out_i, in). */
export function stackWeights(weights: readonly Mat[]): Mat {
  if (weights.length === 0) throw new Error('FRoD projection: a category needs at least one weight');
  const n = weights[0].cols;
  let rows = 0;
  for (const w of weights) {
    if (w.cols !== n) {
      throw new Error(`FRoD projection: every weight of a category needs the same in_features, got ${n} and ${w.cols}`);
    }
    rows += w.rows;
  }
  const m = mat(rows, n);
  let at = 0;
  for (const w of weights) {
    m.data.set(w.data, at);
    at += w.data.length;
  }
  return m;
}

/**
 * The stack as a view, when the weights already lie back to back in one buffer (`frod init` reads a
 * category that way, so the stack is not held twice); null otherwise. The projection only reads it.
 */
function stackedView(weights: readonly Mat[]): Mat | null {
  if (weights.length === 0) return null; // stackWeights refuses an empty category by name
  const first = weights[0].data;
  let rows = 0;
  for (const w of weights) {
    const at = first.byteOffset + rows * w.cols * 8;
    if (w.cols !== weights[0].cols || w.data.buffer !== first.buffer || w.data.byteOffset !== at) return null;
    rows += w.rows;
  }
  return { rows, cols: weights[0].cols, data: new Float64Array(first.buffer, first.byteOffset, rows * weights[0].cols) };
}

/** Flips columns of a row-major square matrix in place so each one's largest-|entry| is positive. */
export function canonicalizeColumnSigns(v: Mat): Mat {
  for (let j = 0; j < v.cols; j++) {
    if (canonicalSign(v.data, j, v.rows, v.cols) < 0) negate(v.data, j, v.rows, v.cols);
  }
  return v;
}

/** Options of {@link categoryProjection}. */
export interface ProjectionOptions {
  /**
   * The weights lie back to back in one buffer that the caller no longer needs (as `frod init` reads a
   * category): the QR may overwrite it with Q, so the set-up needs no second buffer of the stack's size.
   * Default false: the weights are only read (a separate stack copy is overwritten instead).
   */
  overwriteWeights?: boolean;
}

/**
 * The basis V of a category from its weights (each (out_i, in), float64, in layer order).
 * `alpha` is the ridge term of the qr-eig path (`regularization_alpha`).
 */
export function categoryProjection(weights: readonly Mat[], alpha: number, options: ProjectionOptions = {}): CategoryProjection {
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new Error(`FRoD projection: regularization_alpha must be > 0, got ${alpha}`);
  const shared = stackedView(weights);
  const stacked = shared ?? stackWeights(weights);
  // A stack of our own (a copy) can always become Q; the caller's buffer only when it says so.
  const inPlace = shared === null || options.overwriteWeights === true;
  for (const value of stacked.data) {
    if (!Number.isFinite(value)) throw new Error('FRoD projection: the weights contain NaN or infinite values');
  }
  return stacked.rows < stacked.cols ? svdProjection(stacked) : qrEigProjection(stacked, weights.map((w) => w.rows), alpha, inPlace);
}

/** rows < in: V = the full set of right singular vectors (Vhᵀ), descending singular values. */
function svdProjection(stacked: Mat): CategoryProjection {
  const { S, Vh } = svd(stacked, true);
  return { v: canonicalizeColumnSigns(transpose(Vh)), path: 'svd', spectrum: S };
}

/** Rows of Q rewritten per step of the in-place product Q ← Q·R₂⁻¹ (a chunk of them is the only copy). */
const CHUNK_ROWS = 1024;

/** L with MᵀM = L·Lᵀ (syrk: the lower triangle only, half the flops) and its smallest/largest pivot ratio. */
function gramFactor(m: Mat): { l: Mat; minPivotRatio: number } {
  const l = cholesky(syrk(m), { overwriteA: true });
  const n = l.rows;
  let low = Infinity, high = 0;
  for (let i = 0; i < n; i++) {
    low = Math.min(low, l.data[i * n + i]);
    high = Math.max(high, l.data[i * n + i]);
  }
  return { l, minPivotRatio: low / high };
}

/**
 * dst ← src·L⁻ᵀ (= src·R⁻¹ with R = Lᵀ) for an m×n row-major src; L⁻ᵀ is upper triangular, so the product
 * skips its zero half. `dst` may be `src` (in place): then the rows go through in chunks of CHUNK_ROWS, each
 * copied out first (row i of the result depends only on row i of src), so the chunk is the only extra buffer.
 */
function timesInverseTranspose(src: Float64Array, dst: Float64Array, m: number, n: number, lInverse: Mat): void {
  const right = view(lInverse, true);
  if (src !== dst) {
    gemmInto(subView(src, n, 0, 0), right, m, n, n, dst, 0, { bTriangle: 'upper' });
    return;
  }
  const chunk = new Float64Array(Math.min(CHUNK_ROWS, m) * n);
  for (let r0 = 0; r0 < m; r0 += CHUNK_ROWS) {
    const r1 = Math.min(r0 + CHUNK_ROWS, m);
    chunk.set(src.subarray(r0 * n, r1 * n));
    gemmInto(subView(chunk, n, 0, 0), right, r1 - r0, n, n, dst, r0 * n, { bTriangle: 'upper' });
  }
}

/** R₂·R₁ for upper triangular R₂ = L₂ᵀ, R₁ = L₁ᵀ (both given by their lower factors L), into `r` (n×n). */
function upperProduct(l2: Mat, l1: Mat, r: Mat): Mat {
  const n = l1.rows;
  r.data.fill(0, 0, n * n);
  gemmInto(view(l2, true), view(l1, true), n, n, n, r.data, 0, { aTriangle: 'upper', bTriangle: 'upper' });
  return r;
}

/**
 * Reduced QR of a tall matrix (rows ≥ cols). CholeskyQR2 — two CholeskyQR steps, Q = (M R₁⁻¹) R₂⁻¹,
 * R = R₂R₁ — gives a Q orthonormal to working precision for any M with condition number below ~1e7, at the
 * cost of four large matrix products (two Gram matrices on their lower triangle, two triangular products);
 * M that are rank deficient or worse conditioned go through the Householder QR. R's diagonal may differ in
 * sign from Householder's; V = RᵀE does not depend on it (flipping rows of R flips the same rows and columns
 * of T, hence rows of E).
 *
 * Memory: with `inPlace` Q is written over M's buffer (M is lost; Q is M's matrix object), so the QR needs
 * no buffer of M's size; otherwise M is only read and Q is the one new buffer of its size. Both steps run a
 * chunk of rows at a time when in place (each row of M·R⁻¹ depends only on the same row of M).
 */
export function tallQr(m: Mat, inPlace = false): { Q: Mat; R: Mat } {
  let first;
  try {
    first = gramFactor(m);
  } catch {
    first = null; // MᵀM not numerically positive definite
  }
  if (!first || first.minPivotRatio < CHOLESKY_QR_LIMIT) return qr(m, 'reduced');
  const q = inPlace ? m : mat(m.rows, m.cols);
  // One n×n buffer for both factors' inverses and then R: fresh buffers are costly to touch (see
  // averagedInverseGram).
  const spare = lowerTriangularInverse(first.l);
  timesInverseTranspose(m.data, q.data, m.rows, m.cols, spare);
  let second;
  try {
    second = gramFactor(q);
  } catch {
    // Q₁ = M·R₁⁻¹ (M may be gone) still spans M's columns: Q₁ = Q'R' by Householder gives M = Q'·(R'R₁).
    const householder = qr(q, 'reduced');
    const r = mat(m.cols, m.cols);
    gemmInto(view(householder.R), view(first.l, true), m.cols, m.cols, m.cols, r.data, 0, { aTriangle: 'upper', bTriangle: 'upper' });
    return { Q: householder.Q, R: r };
  }
  timesInverseTranspose(q.data, q.data, q.rows, q.cols, lowerTriangularInverse(second.l, false, spare));
  return { Q: q, R: upperProduct(second.l, first.l, spare) };
}

/** Below this ratio of R's smallest to largest diagonal entry, CholeskyQR2 may lose orthogonality. */
const CHOLESKY_QR_LIMIT = 1e-5;

/**
 * The regularised average T = (1/L) Σ_i (Q_iᵀQ_i + αI)⁻¹, Q_i the row blocks of `q`. Each term goes through
 * the Cholesky factor of its shifted Gram block, G + αI = L·Lᵀ, as (L⁻ᵀ·L⁻¹); every product is on the lower
 * triangle only (Gram block by syrk, the inverse added straight into T's lower triangle) and T is mirrored
 * at the end, so it is exactly symmetric. The Gram buffer (factored in place) and the buffer of its factor's
 * inverse serve every layer.
 */
export function averagedInverseGram(q: Mat, rowCounts: readonly number[], alpha: number): Mat {
  const n = q.cols;
  const t = mat(n, n);
  // One buffer for every layer's Gram block (factored in place) and one for its factor's inverse: fresh n×n
  // buffers per layer would each be touched for the first time (page faults; 2 × 16 × 512 MiB at n = 8192).
  const gram = mat(n, n);
  const lInverse = mat(n, n);
  let start = 0;
  for (const count of rowCounts) {
    const block = subView(q.data, n, start, 0);
    gemmInto(subView(q.data, n, start, 0, true), block, n, count, n, gram.data, 0, { lowerOnly: true });
    start += count;
    for (let i = 0; i < n; i++) gram.data[i * n + i] += alpha;
    lowerTriangularInverse(cholesky(gram, { overwriteA: true }), false, lInverse);
    gemmInto(view(lInverse, true), view(lInverse), n, n, n, t.data, 0,
      { accumulate: true, lowerOnly: true, aTriangle: 'upper', bTriangle: 'lower' });
  }
  const scale = 1 / rowCounts.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) t.data[i * n + j] *= scale;
  }
  mirrorLower(t.data, n);
  return t;
}

/**
 * T and R of the stack. Q (the stack's size) lives only in here, so that a Q of its own can be freed before
 * eigh and V; a Q written over the stack goes with the caller's weights.
 */
function inverseGramAndR(stacked: Mat, rowCounts: readonly number[], alpha: number, inPlace: boolean): { t: Mat; r: Mat } {
  const { Q, R } = tallQr(stacked, inPlace);
  return { t: averagedInverseGram(Q, rowCounts, alpha), r: R };
}

/** rows ≥ in: reduced QR, averaged regularised inverse Gram matrices, eigenvectors, V = RᵀE. */
function qrEigProjection(stacked: Mat, rowCounts: readonly number[], alpha: number, inPlace: boolean): CategoryProjection {
  const { t, r } = inverseGramAndR(stacked, rowCounts, alpha, inPlace);
  const { eigenvalues, eigenvectors } = eigh(t, { overwriteA: true }); // T is not needed after this
  // V = RᵀE, Rᵀ lower triangular.
  const v = mat(r.cols, eigenvectors.cols);
  gemmInto(view(r, true), view(eigenvectors), r.cols, r.rows, eigenvectors.cols, v.data, 0, { aTriangle: 'lower' });
  return { v: canonicalizeColumnSigns(v), path: 'qr-eig', spectrum: eigenvalues };
}
