/**
 * Singular value decomposition A = U·diag(S)·Vᵀ by one-sided (Hestenes) Jacobi.
 *
 * A wide matrix is transposed first, so Jacobi always works on the smaller Gram side (n×n for an
 * m×n matrix with m ≥ n). A tall matrix is first reduced by Householder QR, A = Q·R, and Jacobi
 * orthogonalizes the columns of the n×n R instead of the m-long columns of A (RᵀR = AᵀA, so the
 * rotations are the same, each m/n times cheaper). The rotations are accumulated into V; the
 * converged columns of R·V are U_R·diag(S), and U = Q·U_R is obtained by applying the Householder
 * reflectors to U_R rather than by forming Q.
 *
 * Singular values come out descending. A singular value at or below max(m, n)·ε·‖A‖_F is
 * indistinguishable from zero (it is below the backward error) and is returned as exactly 0, its
 * left vector completed orthonormally. Jacobi leaves such columns alone: their direction is
 * rounding noise that no rotation could make orthogonal. Signs: the entry of largest magnitude of each column of V is
 * positive (the first such entry on a tie), U's column flipped with it; completion columns beyond
 * min(m, n) follow the same rule on their own.
 */
import { type Mat, EPS, mat, maxAbs, norm2, powerOfTwoScale, transpose, transposeInto } from './mat';
import { type QrFactors, applyQ, extractR, formQColumns, householderFactor } from './qr';
import { orthogonalizeColumns } from './hestenes';
import { fillOrthonormalComplement } from './complete';
import { canonicalSign, negate } from './signs';

/** U (m×k, or m×m when full), S (k, descending), Vh = Vᵀ (k×n, or n×n when full), k = min(m, n). */
export interface SvdResult {
  U: Mat;
  S: Float64Array;
  Vh: Mat;
}

/** The tall-orientation factors, column-major: u is m×uCols, v is n×n. */
interface TallFactors {
  u: Float64Array;
  uCols: number;
  s: Float64Array;
  v: Float64Array;
}

/** A = U·diag(S)·Vh with the conventions above. `fullMatrices` completes U and V to square orthogonal matrices. */
export function svd(a: Mat, fullMatrices = false): SvdResult {
  const m = a.rows, n = a.cols;
  const wide = m < n;
  const tall = tallSvd(wide ? transpose(a) : a, fullMatrices);
  // In A's orientation: left vectors (m×uc) and right vectors (n×vc), both column-major.
  const left = wide ? tall.v : tall.u;
  const uc = wide ? m : tall.uCols;
  const right = wide ? tall.u : tall.v;
  const vc = wide ? tall.uCols : n;
  applySignConvention(left, m, uc, right, n, vc, Math.min(m, n));
  const U = mat(m, uc);
  transposeInto(left, uc, m, U.data);
  return { U, S: tall.s, Vh: mat(vc, n, right) };
}

/** Singular values only (descending), skipping the accumulation of the singular vectors. */
export function svdvals(a: Mat): Float64Array {
  const x = a.rows < a.cols ? transpose(a) : a;
  const { m, n, w, rowsW, scale } = prepareColumns(x);
  if (n === 0 || scale === 0) return new Float64Array(n);
  const zeroTol = negligibleNorm(w, m, n);
  orthogonalizeColumns(w, rowsW, n, Math.max(Math.sqrt(rowsW), 1) * EPS, null, zeroTol);
  const s = columnNorms(w, rowsW, n);
  const order = descendingOrder(s);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) out[r] = s[order[r]] <= zeroTol ? 0 : s[order[r]] / scale;
  return out;
}

/** The scaled matrix's Jacobi work buffer: R (after QR) for a tall matrix, the matrix itself if square. */
function prepareColumns(x: Mat) {
  const m = x.rows, n = x.cols;
  const big = maxAbs(x);
  const scale = big === 0 ? 0 : powerOfTwoScale(big);
  const scaled = mat(m, n);
  for (let i = 0; i < scaled.data.length; i++) scaled.data[i] = x.data[i] * scale;
  const factors = m > n ? householderFactor(scaled) : null;
  const top = factors ? extractR(factors, n) : scaled;
  const rowsW = top.rows;
  const w = new Float64Array(rowsW * n);
  transposeInto(top.data, rowsW, n, w);
  return { m, n, w, rowsW, scale, factors };
}

/** SVD of x (m×n, m ≥ n) in column-major pieces, ordered, zeros exact, signs not yet fixed. */
function tallSvd(x: Mat, full: boolean): TallFactors {
  const { m, n, w, rowsW, scale, factors } = prepareColumns(x);
  const uCols = full ? m : n;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const zeroTol = negligibleNorm(w, m, n);
  if (n > 0 && scale > 0) {
    orthogonalizeColumns(w, rowsW, n, Math.max(Math.sqrt(rowsW), 1) * EPS, { v, len: n }, zeroTol);
  }
  const norms = columnNorms(w, rowsW, n);
  const order = descendingOrder(norms);
  const s = new Float64Array(n);
  const uTop = new Float64Array(rowsW * n);
  const vSorted = new Float64Array(n * n);
  const missing: number[] = [];
  for (let r = 0; r < n; r++) {
    const j = order[r];
    vSorted.set(v.subarray(j * n, j * n + n), r * n);
    const sigma = norms[j];
    if (scale === 0 || sigma <= zeroTol) {
      missing.push(r);
      continue;
    }
    s[r] = sigma / scale;
    const inv = 1 / sigma;
    for (let i = 0; i < rowsW; i++) uTop[r * rowsW + i] = w[j * rowsW + i] * inv;
  }
  fillOrthonormalComplement(uTop, rowsW, n, missing);
  return { u: leftVectors(uTop, factors, m, n, uCols), uCols, s, v: vSorted };
}

/** U = Q·[U_R; 0] (plus Q's trailing columns when full) for a tall matrix; U_R itself for a square one. */
function leftVectors(
  uTop: Float64Array, factors: QrFactors | null, m: number, n: number, uCols: number,
): Float64Array {
  if (!factors) return uTop; // square: no QR, and U_R is already m×m
  const u = new Float64Array(m * uCols);
  for (let c = 0; c < n; c++) u.set(uTop.subarray(c * n, c * n + n), c * m);
  applyQ(factors, u, n);
  if (uCols > n) u.set(formQColumns(factors, n, uCols), n * m);
  return u;
}

/** max(m, n)·ε·‖W‖_F: columns (and singular values) at or below it are numerically zero. */
function negligibleNorm(w: Float64Array, m: number, n: number): number {
  return Math.max(m, n) * EPS * norm2(w, 0, w.length);
}

function columnNorms(w: Float64Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = norm2(w, j * rows, rows);
  return out;
}

/** Indices sorting `values` descending; ties keep index order, so the result is deterministic. */
function descendingOrder(values: Float64Array): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[j] - values[i] || i - j);
}

/**
 * Column r < k of V gets its largest-|entry| positive and U's column r follows; columns beyond k
 * (only present with full matrices) are normalized on their own.
 */
function applySignConvention(
  u: Float64Array, m: number, uc: number, v: Float64Array, n: number, vc: number, k: number,
): void {
  for (let r = 0; r < k; r++) {
    if (canonicalSign(v, r * n, n) < 0) {
      negate(v, r * n, n);
      negate(u, r * m, m);
    }
  }
  for (let r = k; r < uc; r++) if (canonicalSign(u, r * m, m) < 0) negate(u, r * m, m);
  for (let r = k; r < vc; r++) if (canonicalSign(v, r * n, n) < 0) negate(v, r * n, n);
}
