/**
 * Symmetric eigendecomposition A = E·diag(w)·Eᵀ by cyclic Jacobi.
 *
 * We run the one-sided (Hestenes) form of Jacobi on the shifted matrix B = A + σI, σ = 2ρ with
 * ρ ≥ ‖A‖₂ (the smaller of ‖A‖_F and ‖A‖_∞). B is symmetric positive definite with all
 * eigenvalues in [ρ, 3ρ], so its singular vectors are A's eigenvectors and every column of the
 * converged W = B·J₁J₂… is an eigenvector scaled by λ + σ ≥ ρ: normalizing the columns gives E,
 * without accumulating the rotations (half the work of the classic two-sided method). Each
 * rotation is the two-sided Jacobi rotation of the Gram matrix BᵀB = (A + σI)², which has A's
 * eigenvectors and, up to the constant σ², the same off-diagonal pattern as A² + 2σA.
 * One step of iterative refinement (eighRefine.ts) then takes the eigenvectors from Jacobi's accuracy,
 * √n·ε·ρ/gap, to that of a backward-stable method (ε·ρ/gap), and gives the eigenvalues.
 *
 * A pair (p, q) is rotated only while |w_pᵀw_q| > √n·ε·‖w_p‖‖w_q‖; all column norms lie within a
 * factor 3 of ‖A‖ + σ, so this threshold is relative to the matrix norm. The eigenvalues are then
 * the Rayleigh quotients eᵢᵀ·A·eᵢ (accurate to ε‖A‖ plus the square of the eigenvector error), taken in
 * the refinement step. Cost: about 4n³ flops per sweep (random matrices take 8–12 sweeps) plus 8n³ for the
 * refinement (four matrix products).
 *
 * Above TRIDIAGONAL_FROM the tridiagonal route (eighTridiagonal.ts: Householder reduction, divide and
 * conquer, back-transformation; about 5n³ flops in all, mostly in gemm) takes over. Both give the same
 * contract: ascending eigenvalues, orthonormal eigenvectors with canonical signs, deterministic results.
 */
import { type Mat, EPS, assertSquare, mat, maxAbs, powerOfTwoScale } from './mat';
import { orthogonalizeColumns } from './hestenes';
import { canonicalSign } from './signs';
import { dot } from './rowOps';
import { gemm } from '../../tensor/cpu/matmul';
import { eighByTridiagonal } from './eighTridiagonal';
import { tridiagonalStaging } from './tridiagonal';
import { divideAndConquerScratch } from './divideConquer';
import { mirrorLower } from './blas';
import { refineEigenpairs } from './eighRefine';

/** Eigenvalues ascending, and the eigenvectors as the columns of an orthogonal matrix. */
export interface EighResult {
  eigenvalues: Float64Array;
  eigenvectors: Mat;
}

/**
 * Which algorithm `eigh` runs: Jacobi (the accurate reference, and faster for small n), the tridiagonal
 * route, or 'auto' (Jacobi below TRIDIAGONAL_FROM, the tridiagonal route from there on).
 */
export type EighRoute = 'auto' | 'jacobi' | 'tridiagonal';

/**
 * The size from which 'auto' takes the tridiagonal route. Measured on this project's 2-core machine
 * (single-threaded gemm, random symmetric matrices, CPU time): Jacobi wins at n = 64 (0.9 vs 2.7 ms),
 * the tridiagonal route at 96 (4.2 vs 6.5 ms), 128 (6 vs 9 ms) and 256 (44 vs 79 ms), by a factor that
 * grows with n; 128 leaves a margin for Jacobi's extra accuracy where the two cost about the same.
 * Nearly diagonal matrices (c·I up to rounding) stay on Jacobi at any size: see nearlyDiagonal. Every FRoD
 * golden case stays far below it, so their Jacobi results (and, for degenerate spectra, Jacobi's choice
 * of basis) are unchanged.
 */
export const TRIDIAGONAL_FROM = 128;

/** Options of {@link eigh}. */
export interface EighOptions {
  route?: EighRoute;
  /**
   * A's buffer may serve as the solver's first n×n workspace (its contents are then lost), as scipy's
   * `overwrite_a`: one n×n copy fewer, 512 MiB at n = 8192. For callers that are done with A (the FRoD
   * projection's T).
   */
  overwriteA?: boolean;
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix; only the lower
 * triangle of A is read, as in PyTorch. Each eigenvector's entry of largest magnitude is positive
 * (the first such entry on a tie). Repeated eigenvalues still give an orthonormal, deterministic
 * basis: for c·I no rotation is needed and E = I (on both routes).
 */
export function eigh(a: Mat, options: EighOptions = {}): EighResult {
  assertSquare(a, 'linalg.eigh');
  const n = a.rows;
  // From TRIDIAGONAL_FROM on, eigh's copy of A goes to memory the tridiagonal route keeps between calls, where
  // it later serves divide and conquer as scratch: no fresh n×n buffer to touch (see tridiagonalStaging).
  const staging = !options.overwriteA && n >= TRIDIAGONAL_FROM ? tridiagonalStaging(n, divideAndConquerScratch(n)) : null;
  const sym = options.overwriteA ? mirrorInPlace(a) : symmetricFromLower(a, staging);
  const scale = powerOfTwoScale(maxAbs(mat(n, n, sym)));
  for (let i = 0; i < sym.length; i++) sym[i] *= scale;
  const route = options.route ?? 'auto';
  if (route === 'tridiagonal' || (route === 'auto' && n >= TRIDIAGONAL_FROM && allFinite(sym) && !nearlyDiagonal(sym, n))) {
    // The scaled symmetric matrix, row-major, is its own column-major form: the reduction's input. It is
    // eigh's own copy (or A's buffer, handed over), so it can be the solver's scratch once T is formed.
    const { values, vectors } = eighByTridiagonal(sym, n, { scratch: staging ?? sym });
    return sortedPairs(values, vectors, n, 1 / scale);
  }
  const sigma = 2 * normBound(sym, n);
  // The zero matrix has σ = 0 and B = 0: then I is a perfectly good eigenbasis.
  const w = sigma > 0 ? sym.slice() : new Float64Array(n * n);
  for (let i = 0; i < n; i++) w[i * n + i] += sigma > 0 ? sigma : 1;
  if (sigma > 0) orthogonalizeColumns(w, n, n, Math.max(Math.sqrt(n), 1) * EPS);
  normalizeColumns(w, n, n);
  // Jacobi's eigenvectors are accurate to √n·ε·ρ/gap; one refinement step brings them to the tridiagonal
  // route's accuracy, so both routes agree (eighRefine.ts). Nearly diagonal matrices skip it: Jacobi
  // rotates (next to) nothing there, and the step's four products would cost more than the whole solve.
  if (!(sigma > 0 && allFinite(sym)) || nearlyDiagonal(sym, n)) {
    return sortedPairs(rayleighQuotients(sym, w, n), w, n, 1 / scale);
  }
  const values = refineEigenpairs(sym, w, n, sigma / 2);
  normalizeColumns(w, n, n);
  return sortedPairs(values, w, n, 1 / scale);
}

/**
 * Whether every off-diagonal entry is below √n·ε·ρ (ρ as in normBound): then Jacobi rotates nothing, or
 * next to nothing, and returns the basis it always gives such matrices — E = I for c·I up to rounding,
 * FRoD's one-square-layer case (docs/frod-math.md §7). The tridiagonal route would instead return an
 * arbitrary rotation built from the rounding noise, so 'auto' keeps Jacobi for these at any size.
 */
function nearlyDiagonal(s: Float64Array, n: number): boolean {
  const limit = Math.sqrt(n) * EPS * normBound(s, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (Math.abs(s[i * n + j]) > limit) return false;
  return true;
}

/** Whether every entry is finite (NaN or ±∞ keep the Jacobi route, whose handling of them is tested). */
function allFinite(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** A's own buffer made the full symmetric matrix of its lower triangle (for `overwriteA`). */
function mirrorInPlace(a: Mat): Float64Array {
  mirrorLower(a.data, a.rows);
  return a.data;
}

/**
 * The full symmetric matrix whose lower triangle is A's (row-major; equally its column-major form), in the
 * first n² entries of `staging` when given, else in a new buffer.
 */
function symmetricFromLower(a: Mat, staging: Float64Array | null): Float64Array {
  const n = a.rows;
  const s = staging ? staging.subarray(0, n * n) : new Float64Array(n * n);
  s.set(a.data);
  mirrorLower(s, n);
  return s;
}

/** ρ = min(‖S‖_F, ‖S‖_∞), an upper bound on the spectral norm of the symmetric S. */
function normBound(s: Float64Array, n: number): number {
  let frob = 0;
  let rowMax = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) {
      const v = s[i * n + j];
      frob += v * v;
      row += Math.abs(v);
    }
    rowMax = Math.max(rowMax, row);
  }
  return Math.min(Math.sqrt(frob), rowMax);
}

/** Scales each column of the column-major m×n buffer to unit length (zero columns stay zero). */
function normalizeColumns(w: Float64Array, m: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const off = j * m;
    const norm = Math.sqrt(dot(w, off, w, off, m));
    if (norm === 0) continue;
    const inv = 1 / norm;
    for (let i = off; i < off + m; i++) w[i] *= inv;
  }
}

/**
 * eⱼᵀ·S·eⱼ for every unit column eⱼ of the column-major `e`: the rows of P = Eᵀ·S (on the engine's matmul,
 * the same bits on its WebAssembly and JavaScript paths) dotted with the matching columns of E.
 */
function rayleighQuotients(s: Float64Array, e: Float64Array, n: number): Float64Array {
  const p = new Float64Array(n * n);
  const rowMajor = (data: Float64Array) => ({ data, offset: 0, rowStride: n, colStride: 1 });
  gemm(rowMajor(e), rowMajor(s), n, n, n, p, 0, 'float64');
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = dot(e, j * n, p, j * n, n);
  return out;
}

/**
 * Eigenvalues ascending (ties keep their order), eigenvectors as columns with canonical signs, from
 * eigenvectors as rows (row i of the row-major `e` belongs to values[i]). When the values are already in
 * order (divide and conquer sorts them), `e` itself is transposed in place and becomes the result.
 */
function sortedPairs(values: Float64Array, e: Float64Array, n: number, unscale: number): EighResult {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i] - values[j] || i - j);
  const eigenvalues = Float64Array.from(order, (i) => values[i] * unscale);
  const signs = Float64Array.from(order, (i) => canonicalSign(e, i * n, n));
  if (order.every((src, dst) => src === dst)) {
    transposeScaledInPlace(e, n, signs);
    return { eigenvalues, eigenvectors: mat(n, n, e) };
  }
  const eigenvectors = mat(n, n);
  const E = eigenvectors.data;
  // E[i, r] = sign_r · e[order_r, i]: a transposed copy, in 8×8 blocks written as runs for the reason
  // transposeInto (mat.ts) gives — column by column, every write of a power-of-two n lands in one cache set.
  const tile = 8;
  for (let r0 = 0; r0 < n; r0 += tile) {
    const r1 = Math.min(r0 + tile, n);
    for (let i0 = 0; i0 < n; i0 += tile) {
      const i1 = Math.min(i0 + tile, n);
      for (let i = i0; i < i1; i++) {
        for (let r = r0; r < r1; r++) E[i * n + r] = signs[r] * e[order[r] * n + i];
      }
    }
  }
  return { eigenvalues, eigenvectors };
}

/** x ← (x·diag(signs))ᵀ for the square row-major n×n x, in place: x[i, r] becomes signs[r]·x[r, i]. */
function transposeScaledInPlace(x: Float64Array, n: number, signs: Float64Array): void {
  const tile = 8;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(i0 + tile, n);
    for (let r0 = 0; r0 <= i0; r0 += tile) {
      const r1 = Math.min(r0 + tile, n);
      for (let i = i0; i < i1; i++) {
        for (let r = r0; r < Math.min(r1, i); r++) {
          const below = x[i * n + r], above = x[r * n + i];
          x[i * n + r] = signs[r] * above;
          x[r * n + i] = signs[i] * below;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) x[i * n + i] *= signs[i];
}
