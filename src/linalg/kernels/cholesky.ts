/**
 * Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix, and the inverse
 * (A + ridge·I)⁻¹ = L⁻ᵀ·L⁻¹ computed through the factor.
 *
 * Row-oriented (Cholesky–Banachiewicz): entry L[i][j] needs the dot product of rows i and j of L
 * over their first j entries, which are contiguous in row-major storage. Cost n³/3 flops. Large
 * matrices go by blocks whose big updates are matrix products on the engine's matmul. Only the
 * lower triangle of A is read, as in LAPACK and PyTorch. The factorization is backward stable: no
 * pivoting is needed for positive definite matrices.
 */
import { gemmInto, mirrorLower, subView, view } from './blas';
import { type Mat, assertSquare, mat } from './mat';
import { dot, subtractRows } from './rowOps';

/** Options of {@link cholesky}. */
export interface CholeskyOptions {
  /**
   * Factor in A's own buffer (scipy's `overwrite_a`): L is returned in it, its strict upper triangle zeroed.
   * For callers that factor many matrices of one size (the FRoD projection's ridge inverses): no fresh n×n
   * buffer per factorization.
   */
  overwriteA?: boolean;
}

/**
 * Lower triangular L with A = L·Lᵀ. Throws `linalg.cholesky: the matrix is not positive definite …`
 * naming the first pivot (0-based) whose leading minor is not positive.
 */
export function cholesky(a: Mat, options: CholeskyOptions = {}): Mat {
  assertSquare(a, 'linalg.cholesky');
  return factor(options.overwriteA ? a : mat(a.rows, a.cols, a.data.slice()), 'linalg.cholesky', 'the matrix');
}

/** Rows per block of the blocked factorization and inverse (at most this size runs unblocked). */
const BLOCK = 64;

/**
 * The factorization itself, in `out`'s buffer (its lower triangle is A's); `fn` and `subject` name the caller
 * and its matrix in the error. Right-looking
 * by blocks of BLOCK columns: factor the diagonal block (row-oriented, as above), solve for the panel below
 * it (a product with the inverse of the diagonal block), and subtract the panel's outer product P·Pᵀ from
 * the trailing lower triangle. Both products — the second is most of the n³/3 flops — run on the engine's
 * matmul, the second on the lower triangle only and straight into the factor.
 */
function factor(out: Mat, fn: string, subject: string): Mat {
  const n = out.rows;
  const L = out.data;
  const diagonalInverse = new Float64Array(BLOCK * BLOCK);
  const panel = new Float64Array(Math.max(0, n - BLOCK) * BLOCK);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK), b = k1 - k0, m = n - k1;
    factorDiagonalBlock(L, n, k0, k1, fn, subject);
    if (m === 0) continue;
    // L21 = A21 · L11⁻ᵀ.
    diagonalInverse.fill(0);
    invertDiagonalBlock(L, n, k0, k1, diagonalInverse, b);
    gemmInto(subView(L, n, k1, k0), { data: diagonalInverse, offset: 0, rowStride: 1, colStride: b }, m, b, b, panel, 0,
      { bTriangle: 'upper' });
    for (let i = 0; i < m; i++) L.set(panel.subarray(i * b, (i + 1) * b), (k1 + i) * n + k0);
    // A22 −= L21·L21ᵀ on the lower triangle.
    gemmInto(subView(L, n, k1, k0), subView(L, n, k1, k0, true), m, b, m, L, k1 * n + k1,
      { ldc: n, accumulate: true, subtract: true, lowerOnly: true });
  }
  for (let i = 0; i < n; i++) L.fill(0, i * n + i + 1, (i + 1) * n);
  return out;
}

/** Cholesky–Banachiewicz on the (already updated) diagonal block k0…k1−1 of L, in place. */
function factorDiagonalBlock(L: Float64Array, n: number, k0: number, k1: number, fn: string, subject: string): void {
  for (let i = k0; i < k1; i++) {
    const ri = i * n;
    for (let j = k0; j < i; j++) {
      const rj = j * n;
      L[ri + j] = (L[ri + j] - dot(L, ri + k0, L, rj + k0, j - k0)) / L[rj + j];
    }
    const d = L[ri + i] - dot(L, ri + k0, L, ri + k0, i - k0);
    if (!(d > 0)) {
      throw new Error(
        `${fn}: ${subject} is not positive definite (pivot ${i} is ${d}: ` +
        `the leading minor of order ${i + 1} is not positive)`,
      );
    }
    L[ri + i] = Math.sqrt(d);
  }
}

/**
 * Inverse of a lower triangular L with nonzero diagonal (lower triangular, row-major). By block rows I:
 * X_II = L_II⁻¹ row by row, and left of it X_I,<I = −X_II·(L_I,<I · X_<I,<I), two engine matmuls that skip
 * the zero triangles of X. With `unitDiagonal`, L's diagonal is taken as ones (and not read). Written into
 * `out` (n×n, its contents replaced) when given, so that a caller inverting many factors reuses one buffer.
 */
export function lowerTriangularInverse(l: Mat, unitDiagonal = false, out: Mat = mat(l.rows, l.rows)): Mat {
  const n = l.rows;
  const L = l.data;
  const X = out.data;
  X.fill(0, 0, n * n);
  const y = new Float64Array(Math.min(n, BLOCK) * n);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK), b = i1 - i0;
    invertDiagonalBlock(L, n, i0, i1, X, n, i0 * n + i0, unitDiagonal);
    if (i0 === 0) continue;
    gemmInto(subView(L, n, i0, 0), subView(X, n, 0, 0), b, i0, i0, y, 0, { bTriangle: 'lower' });
    gemmInto(subView(X, n, i0, i0), { data: y, offset: 0, rowStride: i0, colStride: 1 }, b, b, i0, X, i0 * n,
      { ldc: n, subtract: true, aTriangle: 'lower' });
  }
  return out;
}

/**
 * The inverse of the lower triangular diagonal block i0…i1−1 of L (row stride n), row by row, written to
 * `x` at `at` with row stride `ldx` (its strict upper triangle is left alone: zero it first).
 */
function invertDiagonalBlock(
  L: Float64Array, n: number, i0: number, i1: number, x: Float64Array, ldx: number, at = 0, unitDiagonal = false,
): void {
  // Row r of L⁻¹ is (e_r − Σ_{k<r} L[r][k]·row_k(L⁻¹)) / L[r][r]; row k is zero beyond column k.
  for (let r = 0; r < i1 - i0; r++) {
    const ri = (i0 + r) * n + i0, xr = at + r * ldx;
    for (let k = 0; k < r; k += 4) subtractRows(x, xr, Math.min(k + 4, r), L, ri, x, ldx, at, k, Math.min(k + 4, r));
    const inv = unitDiagonal ? 1 : 1 / L[ri + r];
    for (let j = 0; j < r; j++) x[xr + j] *= inv;
    x[xr + r] = inv;
  }
}

/**
 * (A + ridge·I)⁻¹ for symmetric A with A + ridge·I positive definite, through its Cholesky factor:
 * (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹. The result is exactly symmetric. Cost about n³ flops.
 */
export function choleskyInverse(a: Mat, ridge = 0): Mat {
  assertSquare(a, 'linalg.choleskyInverse');
  if (!Number.isFinite(ridge)) throw new Error(`linalg.choleskyInverse: ridge must be a finite number, got ${ridge}`);
  const n = a.rows;
  const shifted = { rows: n, cols: n, data: a.data.slice() };
  if (ridge !== 0) for (let i = 0; i < n; i++) shifted.data[i * n + i] += ridge;
  const subject = ridge === 0 ? 'the matrix' : `A + ridge·I (ridge = ${ridge})`;
  const linv = lowerTriangularInverse(factor(shifted, 'linalg.choleskyInverse', subject));
  return inverseFromFactorInverse(linv);
}

/**
 * (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹ from L⁻¹ (lower triangular): the lower triangle as one product that skips both zero
 * triangles (n³/3 flops), mirrored, so the result is exactly symmetric.
 */
export function inverseFromFactorInverse(linv: Mat): Mat {
  const n = linv.rows;
  const out = mat(n, n);
  gemmInto(view(linv, true), view(linv), n, n, n, out.data, 0, { lowerOnly: true, aTriangle: 'upper', bTriangle: 'lower' });
  mirrorLower(out.data, n);
  return out;
}
