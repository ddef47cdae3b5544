/**
 * The shared basis V of one category: the hierarchical joint decomposition (spec §2).
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
import { cholesky, lowerTriangularInverse } from '../linalg/kernels/cholesky';
import { eigh } from '../linalg/kernels/eigh';
import { type Mat, mat, transpose } from '../linalg/kernels/mat';
import { qr } from '../linalg/kernels/qr';
import { canonicalSign, negate } from '../linalg/kernels/signs';
import { svd } from '../linalg/kernels/svd';
import { gemm, rowBlock } from './gemm';

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

/**
 * The basis V of a category from its weights (each (out_i, in), float64, in layer order).
 * `alpha` is the ridge term of the qr-eig path (`regularization_alpha`).
 */
export function categoryProjection(weights: readonly Mat[], alpha: number): CategoryProjection {
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new Error(`FRoD projection: regularization_alpha must be > 0, got ${alpha}`);
  const stacked = stackedView(weights) ?? stackWeights(weights);
  for (const value of stacked.data) {
    if (!Number.isFinite(value)) throw new Error('FRoD projection: the weights contain NaN or infinite values');
  }
  return stacked.rows < stacked.cols ? svdProjection(stacked) : qrEigProjection(stacked, weights, alpha);
}

/** rows < in: V = the full set of right singular vectors (Vhᵀ), descending singular values. */
function svdProjection(stacked: Mat): CategoryProjection {
  const { S, Vh } = svd(stacked, true);
  return { v: canonicalizeColumnSigns(transpose(Vh)), path: 'svd', spectrum: S };
}

/**
 * One CholeskyQR step: MᵀM = L·Lᵀ, R = Lᵀ, Q = M·R⁻¹ = M·L⁻ᵀ (the big products on the engine's matmul).
 */
function choleskyQrStep(m: Mat): { q: Mat; r: Mat; minPivotRatio: number } {
  const l = cholesky(gemm(m, m, true, false));
  const n = l.rows;
  let low = Infinity, high = 0;
  for (let i = 0; i < n; i++) {
    low = Math.min(low, l.data[i * n + i]);
    high = Math.max(high, l.data[i * n + i]);
  }
  return { q: gemm(m, lowerTriangularInverse(l), false, true), r: transpose(l), minPivotRatio: low / high };
}

/** Below this ratio of R's smallest to largest diagonal entry, CholeskyQR2 may lose orthogonality. */
const CHOLESKY_QR_LIMIT = 1e-5;

/**
 * Reduced QR of a tall matrix (rows ≥ cols). CholeskyQR2 — two CholeskyQR steps, Q = (M R₁⁻¹) R₂⁻¹,
 * R = R₂R₁ — gives a Q orthonormal to working precision for any M with condition number below ~1e7, at the
 * cost of three large matrix products; M that are rank deficient or worse conditioned go through the
 * Householder QR. R's diagonal may differ in sign from Householder's; V = RᵀE does not depend on it
 * (flipping rows of R flips the same rows and columns of T, hence rows of E).
 */
export function tallQr(m: Mat): { Q: Mat; R: Mat } {
  try {
    const first = choleskyQrStep(m);
    if (first.minPivotRatio >= CHOLESKY_QR_LIMIT) {
      const second = choleskyQrStep(first.q);
      return { Q: second.q, R: gemm(second.r, first.r) };
    }
  } catch {
    // MᵀM not numerically positive definite: fall through to Householder.
  }
  return qr(m, 'reduced');
}

/**
 * (G + αI)⁻¹ for a Gram matrix G through its Cholesky factor: L⁻ᵀL⁻¹, the factor and its inverse from the
 * linalg kernels, the product on the engine's matmul (what linalg's choleskyInverse does with plain loops).
 */
function ridgeInverse(g: Mat, alpha: number): Mat {
  const n = g.rows;
  const shifted = mat(n, n, g.data.slice());
  for (let i = 0; i < n; i++) shifted.data[i * n + i] += alpha;
  const lInverse = lowerTriangularInverse(cholesky(shifted));
  return gemm(lInverse, lInverse, true, false);
}

/** The regularised average T = (1/L) Σ_i (Q_iᵀQ_i + αI)⁻¹ (symmetrised), Q_i the row blocks of `q`. */
export function averagedInverseGram(q: Mat, rowCounts: readonly number[], alpha: number): Mat {
  const n = q.cols;
  const t = mat(n, n);
  let start = 0;
  for (const count of rowCounts) {
    const block = rowBlock(q, start, start + count);
    const inverse = ridgeInverse(gemm(block, block, true, false), alpha);
    start += count;
    for (let k = 0; k < t.data.length; k++) t.data[k] += inverse.data[k];
  }
  const scale = 1 / rowCounts.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = 0.5 * (t.data[i * n + j] + t.data[j * n + i]) * scale;
      t.data[i * n + j] = value;
      t.data[j * n + i] = value;
    }
  }
  return t;
}

/** rows ≥ in: reduced QR, averaged regularised inverse Gram matrices, eigenvectors, V = RᵀE. */
function qrEigProjection(stacked: Mat, weights: readonly Mat[], alpha: number): CategoryProjection {
  const { Q, R } = tallQr(stacked);
  const t = averagedInverseGram(Q, weights.map((w) => w.rows), alpha);
  const { eigenvalues, eigenvectors } = eigh(t);
  const v = gemm(R, eigenvectors, true, false);
  return { v: canonicalizeColumnSigns(v), path: 'qr-eig', spectrum: eigenvalues };
}
