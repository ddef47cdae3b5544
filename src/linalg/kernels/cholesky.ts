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
import { type Mat, assertSquare, mat, transposeInto } from './mat';
import { dot, subtractRows } from './rowOps';
import { gemm } from '../../tensor/cpu/matmul';

/**
 * Lower triangular L with A = L·Lᵀ. Throws `linalg.cholesky: the matrix is not positive definite …`
 * naming the first pivot (0-based) whose leading minor is not positive.
 */
export function cholesky(a: Mat): Mat {
  assertSquare(a, 'linalg.cholesky');
  return factor(a, 'linalg.cholesky', 'the matrix');
}

/** Rows per block of the blocked factorization and inverse (at most this size runs unblocked). */
const BLOCK = 64;

const strided = (data: Float64Array, offset: number, rowStride: number, colStride = 1) => ({ data, offset, rowStride, colStride });

/**
 * The factorization itself; `fn` and `subject` name the caller and its matrix in the error. Right-looking
 * by blocks of BLOCK columns: factor the diagonal block (row-oriented, as above), solve for the panel
 * below it, and subtract the panel's outer product P·Pᵀ from the trailing lower triangle — that product,
 * most of the n³/3 flops, runs on the engine's matmul.
 */
function factor(a: Mat, fn: string, subject: string): Mat {
  const n = a.rows;
  const out = mat(n, n, a.data.slice());
  const L = out.data;
  const product = new Float64Array(Math.max(0, n - BLOCK) ** 2);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK);
    factorDiagonalBlock(L, n, k0, k1, fn, subject);
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      for (let k = k0; k < k1; k++) L[ri + k] = (L[ri + k] - dot(L, ri + k0, L, k * n + k0, k - k0)) / L[k * n + k];
    }
    const m = n - k1;
    if (m === 0) continue;
    const panel = k1 * n + k0;
    gemm(strided(L, panel, n), strided(L, panel, 1, n), m, k1 - k0, m, product, 0, 'float64');
    for (let i = 0; i < m; i++) {
      const row = (k1 + i) * n + k1;
      for (let j = 0; j <= i; j++) L[row + j] -= product[i * m + j];
    }
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
 * X_II = L_II⁻¹ row by row, and left of it X_I,<I = −X_II·(L_I,<I · X_<I,<I), two engine matmuls.
 */
export function lowerTriangularInverse(l: Mat): Mat {
  const n = l.rows;
  const L = l.data;
  const out = mat(n, n);
  const X = out.data;
  const y = new Float64Array(Math.min(n, BLOCK) * n);
  const z = new Float64Array(Math.min(n, BLOCK) * n);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK), b = i1 - i0;
    invertDiagonalBlock(L, X, n, i0, i1);
    if (i0 === 0) continue;
    gemm(strided(L, i0 * n, n), strided(X, 0, n), b, i0, i0, y, 0, 'float64');
    gemm(strided(X, i0 * n + i0, n), strided(y, 0, i0), b, b, i0, z, 0, 'float64');
    for (let r = 0; r < b; r++) {
      const row = (i0 + r) * n;
      for (let c = 0; c < i0; c++) X[row + c] = -z[r * i0 + c];
    }
  }
  return out;
}

/** X_II = L_II⁻¹ for the diagonal block i0…i1−1, row by row. */
function invertDiagonalBlock(L: Float64Array, X: Float64Array, n: number, i0: number, i1: number): void {
  // Row i of L⁻¹ is (e_i − Σ_{k<i} L[i][k]·row_k(L⁻¹)) / L[i][i]; row k is zero beyond column k,
  // so a group of rows k…k+3 only spans columns i0…k+3.
  for (let i = i0; i < i1; i++) {
    const ri = i * n;
    for (let k = i0; k < i; k += 4) {
      const k1 = Math.min(k + 4, i);
      subtractRows(X, ri + i0, k1 - i0, L, ri, X, n, i0, k, k1);
    }
    const inv = 1 / L[ri + i];
    for (let j = i0; j < i; j++) X[ri + j] *= inv;
    X[ri + i] = inv;
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
  const linv = lowerTriangularInverse(factor(shifted, 'linalg.choleskyInverse', subject)).data;
  // Row p of L⁻ᵀL⁻¹, first p+1 entries: Σ_{k≥p} L⁻¹[k][p] · row_k(L⁻¹). The coefficients form
  // column p of L⁻¹, so take them (negated, since subtractRows subtracts) from a transposed copy.
  const negT = new Float64Array(n * n);
  transposeInto(linv, n, n, negT);
  for (let i = 0; i < negT.length; i++) negT[i] = -negT[i];
  const out = mat(n, n);
  const X = out.data;
  for (let p = 0; p < n; p++) subtractRows(X, p * n, p + 1, negT, p * n, linv, n, 0, p, n);
  for (let p = 0; p < n; p++) for (let q = 0; q < p; q++) X[q * n + p] = X[p * n + q];
  return out;
}
