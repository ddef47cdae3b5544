/**
 * Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix, and the inverse
 * (A + ridge·I)⁻¹ = L⁻ᵀ·L⁻¹ computed through the factor.
 *
 * Row-oriented (Cholesky–Banachiewicz): entry L[i][j] needs the dot product of rows i and j of L
 * over their first j entries, which are contiguous in row-major storage. Cost n³/3 flops. Only the
 * lower triangle of A is read, as in LAPACK and PyTorch. The factorization is backward stable: no
 * pivoting is needed for positive definite matrices.
 */
import { type Mat, assertSquare, mat, transposeInto } from './mat';
import { dot, subtractRows } from './rowOps';

/**
 * Lower triangular L with A = L·Lᵀ. Throws `linalg.cholesky: the matrix is not positive definite …`
 * naming the first pivot (0-based) whose leading minor is not positive.
 */
export function cholesky(a: Mat): Mat {
  assertSquare(a, 'linalg.cholesky');
  return factor(a, 'linalg.cholesky', 'the matrix');
}

/** The factorization itself; `fn` and `subject` name the caller and its matrix in the error. */
function factor(a: Mat, fn: string, subject: string): Mat {
  const n = a.rows;
  const A = a.data;
  const out = mat(n, n);
  const L = out.data;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      L[ri + j] = (A[ri + j] - dot(L, ri, L, rj, j)) / L[rj + j];
    }
    const d = A[ri + i] - dot(L, ri, L, ri, i);
    if (!(d > 0)) {
      throw new Error(
        `${fn}: ${subject} is not positive definite (pivot ${i} is ${d}: ` +
        `the leading minor of order ${i + 1} is not positive)`,
      );
    }
    L[ri + i] = Math.sqrt(d);
  }
  return out;
}

/** Inverse of a lower triangular L with nonzero diagonal (lower triangular, row-major). */
export function lowerTriangularInverse(l: Mat): Mat {
  const n = l.rows;
  const L = l.data;
  const out = mat(n, n);
  const X = out.data;
  // Row i of L⁻¹ is (e_i − Σ_{k<i} L[i][k]·row_k(L⁻¹)) / L[i][i]; row k is zero beyond column k,
  // so a group of rows k…k+3 only spans columns 0…k+3.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k += 4) {
      const k1 = Math.min(k + 4, i);
      subtractRows(X, ri, k1, L, ri, X, n, 0, k, k1);
    }
    const inv = 1 / L[ri + i];
    for (let j = 0; j < i; j++) X[ri + j] *= inv;
    X[ri + i] = inv;
  }
  return out;
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
