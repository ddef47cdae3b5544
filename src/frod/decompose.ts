/**
 * The float64 math of one adapted layer (docs/frod-math.md §3), on plain row-major matrices:
 *
 *   B = W V^{-T}            (out, in)   from the solve V·Bᵀ = Wᵀ (pinv fallback when V is singular)
 *   λ_j = ‖B[:, j]‖         (in,)
 *   U = B / λ               column j zero when λ_j ≤ 1e-12
 *   W' = U (S + diag λ) Vᵀ  the adapted weight; W' = W when S = 0 (up to rounding)
 *
 * Tensors are converted at the edges (./tensors.ts); everything here works on {@link Mat}.
 */
import { inv, luFactor } from '../linalg/kernels/lu';
import { type Mat, mat, norm2, transpose, transposeInto } from '../linalg/kernels/mat';
import { pinv } from '../linalg/kernels/pinv';
import { gemm } from './gemm';
import type { SparsePattern } from './pattern';

/** Column norms at or below this are treated as zero: their column of U is all zeros. */
export const LAMBDA_EPS = 1e-12;

/**
 * A basis V prepared for all the layers of its category: V⁻¹ (from the LU factors), or pinv(V) when V is
 * singular (an exactly zero pivot, as LAPACK's solve reports it).
 */
export interface PreparedBasis {
  readonly v: Mat;
  /** V⁻¹, or pinv(V) when `singular`. */
  readonly inverse: Mat;
  readonly singular: boolean;
}

/** Inverts V once so that each layer's B costs one matrix product. */
export function prepareBasis(v: Mat): PreparedBasis {
  if (v.rows !== v.cols) throw new Error(`FRoD: the basis V must be square, got (${v.rows},${v.cols})`);
  const singular = luFactor(v).zeroPivot >= 0;
  return { v, inverse: singular ? pinv(v) : inv(v), singular };
}

/** U and λ of one layer: W = U diag(λ) Vᵀ. */
export interface LayerFactors {
  /** (out, in), unit (or zero) columns. */
  readonly u: Mat;
  /** (in,) column norms of B. */
  readonly lambda: Float64Array;
}

/**
 * Splits a weight `w` (out, in) in the basis V: X = V⁻¹Wᵀ (in, out) is Bᵀ, so λ_j is the norm of row j of X
 * and U is Xᵀ with its columns normalised.
 */
export function decomposeWeight(basis: PreparedBasis, w: Mat): LayerFactors {
  const n = basis.v.rows;
  if (w.cols !== n) {
    throw new Error(`FRoD: a weight of shape (${w.rows},${w.cols}) does not fit a basis V of shape (${n},${n})`);
  }
  // X = V⁻¹ Wᵀ (the solution of V X = Wᵀ), or with the pseudo-inverse X = pinv(V) Wᵀ = (W pinv(V)ᵀ)ᵀ.
  const x = gemm(basis.inverse, w, false, true);
  const out = w.rows;
  const lambda = new Float64Array(n);
  const X = x.data;
  for (let j = 0; j < n; j++) {
    const norm = norm2(X, j * out, out);
    lambda[j] = norm;
    const scale = norm > LAMBDA_EPS ? 1 / norm : 0;
    for (let i = 0; i < out; i++) X[j * out + i] *= scale;
  }
  const u = mat(out, n);
  transposeInto(X, n, out, u.data);
  return { u, lambda };
}

/**
 * The inner factor C = (S + diag λ) Vᵀ (in, in): row r is λ_r·(column r of V) plus, for every pattern
 * entry (r, c) with value s, s·(column c of V). Duplicate pattern entries add up (as a COO sum does).
 */
export function rotatedBasis(v: Mat, lambda: ArrayLike<number>, pattern: SparsePattern, values: ArrayLike<number>): Mat {
  const n = v.rows;
  if (lambda.length !== n) throw new Error(`FRoD: λ has ${lambda.length} entries, V is (${n},${n})`);
  if (values.length !== pattern.nnz) throw new Error(`FRoD: ${values.length} S values for a pattern of ${pattern.nnz} entries`);
  const vt = transpose(v).data;
  const c = mat(n, n);
  const C = c.data;
  for (let r = 0; r < n; r++) {
    const l = lambda[r];
    for (let j = 0; j < n; j++) C[r * n + j] = l * vt[r * n + j];
  }
  for (let t = 0; t < pattern.nnz; t++) {
    const r = pattern.rows[t], col = pattern.cols[t], s = values[t];
    if (s === 0) continue;
    for (let j = 0; j < n; j++) C[r * n + j] += s * vt[col * n + j];
  }
  return c;
}

/** The adapted weight W' = U (S + diag λ) Vᵀ (out, in). */
export function adaptedWeight(u: Mat, v: Mat, lambda: ArrayLike<number>, pattern: SparsePattern, values: ArrayLike<number>): Mat {
  return gemm(u, rotatedBasis(v, lambda, pattern, values));
}
