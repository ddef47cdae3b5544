/**
 * `linalg`: PyTorch's torch.linalg for frod-ts tensors, in float64.
 *
 * Every function reads its input as float64 whatever the dtype, computes in float64 and returns
 * float64 tensors on the cpu device. Inputs of shape (..., m, n) are batches of matrices, as in
 * PyTorch. These functions are not differentiable: their results never require grad (FRoD only
 * needs them to build its frozen basis). The plain-matrix kernels behind them are exported as
 * `kernels` (see ./kernels) for code that works on {@link Mat} directly.
 */
import { type Tensor, formatShape, tensor } from '../tensor';
import { transpose } from './kernels/mat';
import * as k from './kernels';
import {
  assertFinite, atBatchElement, broadcastBatches, float64Values, mapBatch, matrixBatch, stackMatrices, stackScalars,
  stackVectors,
} from './batch';

export * as kernels from './kernels';
export type { Mat } from './kernels/mat';

/** Options of {@link qr}. */
export interface QrOptions {
  /** 'reduced' (default): Q (..., m, k), R (..., k, n), k = min(m, n); 'complete': Q (..., m, m), R (..., m, n); 'r': R only (Q empty). */
  mode?: 'reduced' | 'complete' | 'r';
}

/**
 * Householder QR, A = Q·R with Q orthonormal columns and R upper triangular (LAPACK's signs, so the
 * diagonal of R may be negative, as in PyTorch).
 * @param A (..., m, n)
 */
export function qr(A: Tensor, options: QrOptions = {}): { Q: Tensor; R: Tensor } {
  const fn = 'linalg.qr';
  const mode = options.mode ?? 'reduced';
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') {
    throw new Error(`${fn}: mode must be 'reduced', 'complete' or 'r', got '${String(mode)}'`);
  }
  const batch = matrixBatch(A, fn);
  const { rows: m, cols: n } = batch;
  const qCols = mode === 'complete' ? m : Math.min(m, n);
  if (mode === 'r') {
    const R = stackMatrices(batch.batchShape, mapBatch(batch, fn, (a) => k.qrR(a)), qCols, n);
    return { Q: tensor(new Float64Array(0), { dtype: 'float64', shape: [0] }), R };
  }
  const results = mapBatch(batch, fn, (a) => k.qr(a, mode));
  return {
    Q: stackMatrices(batch.batchShape, results.map((f) => f.Q), m, qCols),
    R: stackMatrices(batch.batchShape, results.map((f) => f.R), qCols, n),
  };
}

/**
 * Cholesky factor of a symmetric positive definite matrix: L lower triangular with A = L·Lᵀ (or
 * U = Lᵀ with `upper`). Only the lower triangle of A is read. A matrix that is not positive
 * definite throws, naming the failing pivot.
 * @param A (..., n, n)
 */
export function cholesky(A: Tensor, options: { upper?: boolean } = {}): Tensor {
  const fn = 'linalg.cholesky';
  const batch = matrixBatch(A, fn, true);
  const factors = mapBatch(batch, fn, (a) => (options.upper ? transpose(k.cholesky(a)) : k.cholesky(a)));
  return stackMatrices(batch.batchShape, factors, batch.rows, batch.rows);
}

/**
 * (A + ridge·I)⁻¹ of a symmetric positive definite A + ridge·I, through its Cholesky factor; the
 * result is exactly symmetric. (Unlike torch.cholesky_inverse, this takes A itself, not its factor.)
 * @param A (..., n, n)
 */
export function choleskyInverse(A: Tensor, options: { ridge?: number } = {}): Tensor {
  const fn = 'linalg.choleskyInverse';
  const batch = matrixBatch(A, fn, true);
  const inverses = mapBatch(batch, fn, (a) => k.choleskyInverse(a, options.ridge ?? 0));
  return stackMatrices(batch.batchShape, inverses, batch.rows, batch.rows);
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices, by cyclic
 * Jacobi. Only the triangle named by `UPLO` ('L', default, or 'U') is read. Each eigenvector's
 * largest-magnitude entry is positive (the first such entry on a tie); repeated eigenvalues still
 * give an orthonormal, deterministic basis.
 * @param A (..., n, n)
 * @returns eigenvalues (..., n), eigenvectors (..., n, n)
 */
export function eigh(A: Tensor, options: { UPLO?: 'L' | 'U' } = {}): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const fn = 'linalg.eigh';
  const uplo = options.UPLO ?? 'L';
  if (uplo !== 'L' && uplo !== 'U') throw new Error(`${fn}: UPLO must be 'L' or 'U', got '${String(uplo)}'`);
  const batch = matrixBatch(A, fn, true);
  const results = mapBatch(batch, fn, (a) => k.eigh(uplo === 'U' ? transpose(a) : a));
  const n = batch.rows;
  return {
    eigenvalues: stackVectors(batch.batchShape, results.map((r) => r.eigenvalues), n),
    eigenvectors: stackMatrices(batch.batchShape, results.map((r) => r.eigenvectors), n, n),
  };
}

/**
 * Singular value decomposition A = U·diag(S)·Vh by one-sided Jacobi. S is descending; rank
 * deficiency gives exact zeros. Each column of V = Vhᵀ has its largest-magnitude entry positive,
 * U's columns follow. `fullMatrices` (default true, as in PyTorch) completes U and V to square
 * orthogonal matrices.
 * @param A (..., m, n)
 * @returns U (..., m, m | k), S (..., k), Vh (..., n | k, n) with k = min(m, n)
 */
export function svd(A: Tensor, options: { fullMatrices?: boolean } = {}): { U: Tensor; S: Tensor; Vh: Tensor } {
  const fn = 'linalg.svd';
  const full = options.fullMatrices ?? true;
  const batch = matrixBatch(A, fn);
  const { rows: m, cols: n } = batch;
  const kk = Math.min(m, n);
  const results = mapBatch(batch, fn, (a) => k.svd(a, full));
  return {
    U: stackMatrices(batch.batchShape, results.map((r) => r.U), m, full ? m : kk),
    S: stackVectors(batch.batchShape, results.map((r) => r.S), kk),
    Vh: stackMatrices(batch.batchShape, results.map((r) => r.Vh), full ? n : kk, n),
  };
}

/**
 * Singular values only, descending (cheaper than {@link svd}: no singular vectors are accumulated).
 * @param A (..., m, n)
 * @returns (..., min(m, n))
 */
export function svdvals(A: Tensor): Tensor {
  const fn = 'linalg.svdvals';
  const batch = matrixBatch(A, fn);
  const values = mapBatch(batch, fn, (a) => k.svdvals(a));
  return stackVectors(batch.batchShape, values, Math.min(batch.rows, batch.cols));
}

/**
 * X with A·X = B, by LU with partial pivoting. B is a batch of vectors (..., n) when it has one
 * dimension, or one fewer than A with matching leading sizes (as in PyTorch); otherwise a batch
 * of matrices (..., n, k). Batch dimensions broadcast. Throws "… the matrix is singular …" when
 * elimination meets an exactly zero pivot (LAPACK's and PyTorch's criterion).
 * @param A (..., n, n)
 * @param B (..., n) or (..., n, k)
 */
export function solve(A: Tensor, B: Tensor): Tensor {
  const fn = 'linalg.solve';
  const a = matrixBatch(A, fn, true);
  const n = a.rows;
  const isVector = B.ndim === 1 || (B.ndim === A.ndim - 1 && B.shape.every((d, i) => d === A.shape[i]));
  const bShape = isVector ? [...B.shape, 1] : [...B.shape];
  if (bShape.length < 2 || bShape[bShape.length - 2] !== n) {
    throw new Error(`${fn}: A of shape ${formatShape(A.shape)} and B of shape ${formatShape(B.shape)} do not match (B needs ${n} rows)`);
  }
  const rhs = bShape[bShape.length - 1];
  const bValues = float64Values(B);
  assertFinite(bValues, fn, B.shape);
  const { shape, aIndex, bIndex } = broadcastBatches(a.batchShape, bShape.slice(0, -2), fn);
  const bSize = n * rhs;
  const factors = new Map<number, k.LuFactors>();
  const outputs = aIndex.map((ai, i) => atBatchElement(fn, i, shape.length > 0, () => {
    let f = factors.get(ai);
    if (!f) {
      f = k.luFactor(a.at(ai));
      factors.set(ai, f);
    }
    return k.luSolve(f, k.mat(n, rhs, bValues.subarray(bIndex[i] * bSize, (bIndex[i] + 1) * bSize)), fn);
  }));
  const result = stackMatrices(shape, outputs, n, rhs);
  return isVector ? result.reshape(...shape, n) : result;
}

/**
 * Inverse of square matrices by LU with partial pivoting; throws "… the matrix is singular …" on an
 * exactly zero pivot.
 * @param A (..., n, n)
 */
export function inv(A: Tensor): Tensor {
  const fn = 'linalg.inv';
  const batch = matrixBatch(A, fn, true);
  return stackMatrices(batch.batchShape, mapBatch(batch, fn, (a) => k.inv(a)), batch.rows, batch.rows);
}

/**
 * Moore–Penrose pseudoinverse through the SVD. Singular values at or below max(atol, rtol·σ_max)
 * are treated as zero; rtol defaults to max(m, n)·ε when atol is not given (else 0), as in PyTorch.
 * @param A (..., m, n)
 * @returns (..., n, m)
 */
export function pinv(A: Tensor, options: { rtol?: number; atol?: number } = {}): Tensor {
  const fn = 'linalg.pinv';
  const batch = matrixBatch(A, fn);
  const results = mapBatch(batch, fn, (a) => k.pinv(a, options));
  return stackMatrices(batch.batchShape, results, batch.cols, batch.rows);
}

/**
 * Determinant through LU (0 for an exactly singular matrix).
 * @param A (..., n, n)
 * @returns (...) — a 0-d tensor for one matrix
 */
export function det(A: Tensor): Tensor {
  const fn = 'linalg.det';
  const batch = matrixBatch(A, fn, true);
  return stackScalars(batch.batchShape, mapBatch(batch, fn, (a) => k.det(a)));
}

/**
 * Sign and natural log of |det A| without overflow: sign ∈ {−1, 0, 1}; a singular matrix gives
 * sign 0 and logabsdet −∞ (PyTorch's convention).
 * @param A (..., n, n)
 * @returns sign (...), logabsdet (...)
 */
export function slogdet(A: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const fn = 'linalg.slogdet';
  const batch = matrixBatch(A, fn, true);
  const results = mapBatch(batch, fn, (a) => k.slogdet(a));
  return {
    sign: stackScalars(batch.batchShape, results.map((r) => r.sign)),
    logabsdet: stackScalars(batch.batchShape, results.map((r) => r.logabsdet)),
  };
}
