/**
 * LU factorization with partial pivoting, P·A = L·U, and what it gives cheaply: solve, inv, det and
 * slogdet.
 *
 * Right-looking elimination on a row-major copy: at step k the row with the largest |entry| in
 * column k becomes the pivot row, and every row below subtracts a multiple of it. Columns go by panels
 * of BLOCK (as LAPACK's getrf): the elimination runs inside the panel, then the rows of U right of it are
 * solved for (a product with the inverse of the panel's unit-lower block) and the trailing matrix
 * loses L21·U12, one product on the engine's matmul that carries most of the 2n³/3 flops. Backward
 * stable in practice (growth factors are tiny except for contrived matrices).
 */
import { gemmInto, subView, view } from './blas';
import { lowerTriangularInverse } from './cholesky';
import { type Mat, assertSquare, mat, shapeText, transpose } from './mat';
import { subtractRows } from './rowOps';

/** Columns per panel of the blocked factorization. */
const BLOCK = 64;

/** L (unit lower, below the diagonal) and U (on and above it) packed in one row-major n×n buffer. */
export interface LuFactors {
  n: number;
  lu: Float64Array;
  /** Row k of P·A is row perm[k] of A. */
  perm: Int32Array;
  /** +1 or −1: the sign of the permutation. */
  permSign: number;
  /** Index of the first exactly-zero pivot, or −1 when U is nonsingular. */
  zeroPivot: number;
}

/** P·A = L·U with partial pivoting. A zero pivot column is skipped (and recorded), never divided by. */
export function luFactor(a: Mat): LuFactors {
  assertSquare(a, 'linalg.lu');
  const n = a.rows;
  const lu = a.data.slice();
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const f: LuFactors = { n, lu, perm, permSign: 1, zeroPivot: -1 };
  const unitLowerInverse = new Float64Array(BLOCK * BLOCK);
  const u12 = new Float64Array(BLOCK * Math.max(0, n - BLOCK));
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK), b = k1 - k0, rest = n - k1;
    for (let k = k0; k < k1; k++) pivotAndEliminate(f, k, k1);
    if (rest === 0) continue;
    // U12 = L11⁻¹·A12, then A22 −= L21·U12.
    const block = mat(b, b);
    for (let i = 0; i < b; i++) block.data.set(lu.subarray((k0 + i) * n + k0, (k0 + i) * n + k0 + i), i * b);
    unitLowerInverse.set(lowerTriangularInverse(block, true).data);
    gemmInto({ data: unitLowerInverse, offset: 0, rowStride: b, colStride: 1 }, subView(lu, n, k0, k1), b, b, rest, u12, 0,
      { aTriangle: 'lower' });
    for (let i = 0; i < b; i++) lu.set(u12.subarray(i * rest, (i + 1) * rest), (k0 + i) * n + k1);
    gemmInto(subView(lu, n, k1, k0), { data: u12, offset: 0, rowStride: rest, colStride: 1 }, rest, b, rest, lu, k1 * n + k1,
      { ldc: n, accumulate: true, subtract: true });
  }
  return f;
}

/**
 * Step k inside the panel ending at column k1: the largest |entry| of column k (rows k…) becomes the
 * pivot (its whole row is swapped up), and the rows below store their multipliers and subtract them
 * times the pivot row's panel part.
 */
function pivotAndEliminate(f: LuFactors, k: number, k1: number): void {
  const { n, lu, perm } = f;
  let p = k;
  let best = Math.abs(lu[k * n + k]);
  for (let i = k + 1; i < n; i++) {
    const v = Math.abs(lu[i * n + k]);
    if (v > best) { best = v; p = i; }
  }
  if (best === 0) {
    if (f.zeroPivot < 0) f.zeroPivot = k;
    return;
  }
  if (p !== k) {
    swapRows(lu, n, p, k);
    const t = perm[p]; perm[p] = perm[k]; perm[k] = t;
    f.permSign = -f.permSign;
  }
  eliminateBelow(lu, n, k, k1);
}

function swapRows(x: Float64Array, n: number, a: number, b: number): void {
  const ra = a * n, rb = b * n;
  for (let j = 0; j < n; j++) {
    const t = x[ra + j]; x[ra + j] = x[rb + j]; x[rb + j] = t;
  }
}

/** Stores the multipliers of column k and subtracts them times the pivot row (columns k+1…k1−1) from the rows below. */
function eliminateBelow(lu: Float64Array, n: number, k: number, k1: number): void {
  const rk = k * n;
  const pivot = lu[rk + k];
  let i = k + 1;
  for (; i + 1 < n; i += 2) {
    const r0 = i * n, r1 = r0 + n;
    const l0 = (lu[r0 + k] /= pivot);
    const l1 = (lu[r1 + k] /= pivot);
    for (let j = k + 1; j < k1; j++) {
      const u = lu[rk + j];
      lu[r0 + j] -= l0 * u;
      lu[r1 + j] -= l1 * u;
    }
  }
  if (i < n) {
    const r0 = i * n;
    const l0 = (lu[r0 + k] /= pivot);
    for (let j = k + 1; j < k1; j++) lu[r0 + j] -= l0 * lu[rk + j];
  }
}

/** Throws `<fn>: the matrix is singular …` when the factorization met an exactly-zero pivot. */
function assertNonsingular(f: LuFactors, fn: string): void {
  if (f.zeroPivot >= 0) {
    throw new Error(
      `${fn}: the matrix is singular (pivot ${f.zeroPivot} is exactly zero after partial pivoting)`,
    );
  }
}

/**
 * X with A·X = B through the factors (B is n×k, row-major; a vector is n×1). Forward substitution
 * with the unit L, then back substitution with U, each step an axpy over a contiguous row of X.
 */
export function luSolve(f: LuFactors, b: Mat, fn = 'linalg.solve'): Mat {
  const { n, lu, perm } = f;
  if (b.rows !== n) {
    throw new Error(`${fn}: the right-hand side of shape ${shapeText(b)} does not match a ${n}×${n} matrix`);
  }
  assertNonsingular(f, fn);
  const k = b.cols;
  const out = mat(n, k);
  const X = out.data, B = b.data;
  for (let i = 0; i < n; i++) X.set(B.subarray(perm[i] * k, perm[i] * k + k), i * k);
  for (let i = 1; i < n; i++) subtractRows(X, i * k, k, lu, i * n, X, k, 0, 0, i);
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * k;
    subtractRows(X, xi, k, lu, i * n, X, k, 0, i + 1, n);
    const pivot = lu[i * n + i];
    for (let c = 0; c < k; c++) X[xi + c] /= pivot;
  }
  return out;
}

/** X with A·X = B (A square n×n, B n×k). Throws "… the matrix is singular …" on an exactly-zero pivot. */
export function solve(a: Mat, b: Mat): Mat {
  assertSquare(a, 'linalg.solve');
  return luSolve(luFactor(a), b);
}

/**
 * A⁻¹ = U⁻¹·L⁻¹·P. Cost about 2n³ flops in total, like LAPACK's getrf + getri.
 */
export function inv(a: Mat): Mat {
  assertSquare(a, 'linalg.inv');
  return inverseFromFactors(luFactor(a));
}

/**
 * A⁻¹ from the LU factors (throws on a zero pivot): L⁻¹ and U⁻ᵀ by the blocked triangular inverse (each
 * n³/3 flops; it reads only the lower triangle, so L's unit diagonal and U's transpose come for free), their
 * product U⁻¹·L⁻¹ skipping both zero triangles (2n³/3), then the columns unpermuted.
 */
export function inverseFromFactors(f: LuFactors): Mat {
  assertNonsingular(f, 'linalg.inv');
  const { n, lu, perm } = f;
  const factors = mat(n, n, lu);
  const lInverse = lowerTriangularInverse(factors, true);
  const uInverseT = lowerTriangularInverse(transpose(factors));
  const x = new Float64Array(n * n);
  gemmInto(view(uInverseT, true), view(lInverse), n, n, n, x, 0, { aTriangle: 'upper', bTriangle: 'lower' });
  const out = mat(n, n);
  const Y = out.data;
  for (let r = 0; r < n; r++) {
    const rr = r * n;
    for (let c = 0; c < n; c++) Y[rr + perm[c]] = x[rr + c];
  }
  return out;
}

/** det(A) = sign(P)·Π U[i][i]; exactly 0 for a matrix with a zero pivot. */
export function det(a: Mat): number {
  assertSquare(a, 'linalg.det');
  const f = luFactor(a);
  if (f.zeroPivot >= 0) return 0;
  let d = f.permSign;
  for (let i = 0; i < f.n; i++) d *= f.lu[i * f.n + i];
  return d;
}

/**
 * sign and log|det A| without overflow: {sign: ±1, logabsdet}, or {sign: 0, logabsdet: −∞} for a
 * singular matrix (PyTorch's convention). The empty matrix has determinant 1.
 */
export function slogdet(a: Mat): { sign: number; logabsdet: number } {
  assertSquare(a, 'linalg.slogdet');
  const f = luFactor(a);
  if (f.zeroPivot >= 0) return { sign: 0, logabsdet: -Infinity };
  let sign = f.permSign;
  let logabsdet = 0;
  for (let i = 0; i < f.n; i++) {
    const u = f.lu[i * f.n + i];
    if (u < 0) sign = -sign;
    logabsdet += Math.log(Math.abs(u));
  }
  return { sign, logabsdet };
}
