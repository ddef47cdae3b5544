/**
 * Householder tridiagonalisation of a symmetric matrix, Qᵀ·A·Q = T, blocked as LAPACK's dsytrd (lower).
 *
 * Reflector H_j = I − τ_j·v_j·v_jᵀ (j = 0…n−2) annihilates column j below its subdiagonal: v_j is zero
 * above row j+1, has a 1 at row j+1 and its tail in rows j+2…n−1 of column j. Q = H₀H₁…H_{n−2}.
 *
 * Blocking (dlatrd): a panel of NB reflectors is made one column at a time against the trailing matrix
 * as it was at the start of the panel, with each column first brought up to date by the panel's earlier
 * reflectors through an n×NB matrix W, so that the trailing matrix receives the whole panel at once as
 * the symmetric rank-2·NB update A −= V·Wᵀ + W·Vᵀ. That update is a matrix-matrix product (gemm) and is
 * computed on the lower triangle only, in column blocks, which halves its cost. What cannot be blocked is
 * one symmetric matrix-vector product per column (half the 4n³/3 flops) and the panel's own updates: the
 * kernels of ./tridiagonalKernels.ts, WebAssembly SIMD where available, on the workspace the whole reduction
 * runs in. The product reads the whole trailing matrix each time (memory-bound at large n) and is shared
 * between threads from a trailing size of about 1450 (./tridiagonalSymv.ts).
 */
import { gemm } from '../../tensor/cpu/matmul';
import { makeReflector } from './householder';
import { type TridiagonalWorkspace, stagingBuffer, tridiagonalWorkspace } from './tridiagonalKernels';

/** Reflectors per panel: wide enough that the rank-2·NB update runs near gemm speed. */
const NB = 48;
/** Columns of the trailing matrix per gemm in the rank-2·NB update (the diagonal blocks are computed whole). */
const UPDATE_COLUMNS = 256;

/**
 * `length` elements of memory that outlives one reduction and does not overlap the next one's workspace, for
 * the reduction's n×n input and the solver's scratch (see stagingBuffer in ./tridiagonalKernels.ts); a fresh
 * buffer where the kernels are not WebAssembly.
 */
export function tridiagonalStaging(n: number, length: number): Float64Array {
  return stagingBuffer(n, NB, length) ?? new Float64Array(length);
}

/** T's diagonal and subdiagonal, and Q in compact form. */
export interface Tridiagonal {
  n: number;
  /** T's diagonal (n). */
  d: Float64Array;
  /** T's subdiagonal (n−1): e[j] = T[j+1, j]. */
  e: Float64Array;
  /**
   * Column-major n×n; column j+1 holds v_j in rows j+2…n−1 (its leading 1 at row j+1 implicit), so the
   * buffer has the layout of a QR factorisation's reflectors (see qr.ts) with the first column empty.
   */
  reflectors: Float64Array;
  /** τ_j at index j+1 (index 0 is 0), matching `reflectors`. */
  taus: Float64Array;
}

/**
 * Reduces the symmetric matrix whose lower triangle is in the column-major n×n `input` to tridiagonal form.
 * `input` is not modified (the reduction runs on a copy in its workspace); its upper triangle is never read.
 */
export function tridiagonalize(input: Float64Array, n: number): Tridiagonal {
  const ws = tridiagonalWorkspace(input, n, NB);
  const a = ws.a, w = ws.w;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tau = new Float64Array(n);
  const scratch = updateScratch(n);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    reducePanel(ws, n, k0, k1, w, d, e, tau);
    if (k1 < n) rank2kUpdate(a, n, k0, k1, w, scratch);
  }
  // Reflector j in column j+1 (and τ_j at index j+1): the QR layout the block reflectors read, a view of
  // the workspace shifted by one column.
  const reflectors = ws.reflectors;
  const taus = new Float64Array(n);
  for (let j = 0; j + 1 < n; j++) taus[j + 1] = tau[j];
  return { n, d, e, reflectors, taus };
}

/**
 * Makes reflectors k0…k1−1 (dlatrd). Column i of `w` (n rows, rows j+1… used) is w_j for j = k0 + i,
 * defined so that the trailing matrix after the panel is A − V·Wᵀ − W·Vᵀ. The unit entry of each v_j is
 * stored in A[j+1, j] during the panel, so that V can be read straight from A's columns.
 */
function reducePanel(
  ws: TridiagonalWorkspace, n: number, k0: number, k1: number, w: Float64Array,
  d: Float64Array, e: Float64Array, tau: Float64Array,
): void {
  const a = ws.a, wAt = ws.wAt;
  const proj = new Float64Array(2 * NB), pair = new Float64Array(2);
  for (let j = k0; j < k1; j++) {
    const i = j - k0;
    const col = j * n;
    // Bring column j (rows j…n−1) up to date with the panel's earlier reflectors.
    for (let p = 0; p < i; p++) {
      const vp = (k0 + p) * n, wp = p * n;
      ws.axpy2(col + j, vp + j, wAt + wp + j, w[wp + j], a[vp + j], n - j);
    }
    d[j] = a[col + j];
    if (j + 1 >= n) continue;
    tau[j] = makeReflector(a, col, j + 1, n);
    e[j] = a[col + j + 1];
    a[col + j + 1] = 1;
    const wi = i * n;
    if (tau[j] === 0) {
      w.fill(0, wi, wi + n);
      continue;
    }
    // y = A·v over the trailing block (into w's column), v = the reflector in rows j+1….
    ws.v.set(a.subarray(col + j + 1, col + n), j + 1);
    ws.symv(j + 1);
    w.set(ws.y.subarray(j + 1, n), wi + j + 1);
    // Remove what the panel's earlier reflectors contribute: y −= V·(Wᵀv) + W·(Vᵀv), over rows j+1….
    const m = n - j - 1;
    for (let p = 0; p < i; p++) {
      ws.dot2(wAt + p * n + j + 1, (k0 + p) * n + j + 1, col + j + 1, m, pair);
      proj[2 * p] = pair[0];
      proj[2 * p + 1] = pair[1];
    }
    for (let p = 0; p < i; p++) {
      ws.axpy2(wAt + wi + j + 1, (k0 + p) * n + j + 1, wAt + p * n + j + 1, proj[2 * p], proj[2 * p + 1], m);
    }
    // w = τ·y − ½τ²(yᵀv)·v, so that H·A·H = A − v·wᵀ − w·vᵀ.
    const t = tau[j];
    let yv = 0;
    for (let r = j + 1; r < n; r++) {
      w[wi + r] *= t;
      yv += w[wi + r] * a[col + r];
    }
    const alpha = -0.5 * t * yv;
    for (let r = j + 1; r < n; r++) w[wi + r] += alpha * a[col + r];
  }
}

/** The rank-2·NB update's operands and products, sized for the first (largest) panel. */
interface UpdateScratch {
  r: Float64Array;
  lt: Float64Array;
  out: Float64Array;
}

/**
 * One set of buffers for every panel's update, not new ones per panel: on this project's machine a fresh
 * buffer costs more to touch the first time (page faults, ~20 µs per 4 KiB page) than the loops that fill it.
 */
function updateScratch(n: number): UpdateScratch {
  const len = Math.max(n - Math.min(NB, n), 0), width = 2 * NB;
  return { r: new Float64Array(len * width), lt: new Float64Array(width * len), out: new Float64Array(Math.min(UPDATE_COLUMNS, len) * len) };
}

/**
 * The trailing update A[k1:n, k1:n] −= V·Wᵀ + W·Vᵀ on the lower triangle, V = A[k1:n, k0:k1] (with its
 * unit entries still in place) and W = w's rows k1…. As products: with L = [V W] and R = [W V] (rows
 * k1…n−1), column block [c0, c1) of the update is Lᵀ's columns c0… against R's rows c0…c1−1.
 */
function rank2kUpdate(a: Float64Array, n: number, k0: number, k1: number, w: Float64Array, scratch: UpdateScratch): void {
  const nb = k1 - k0, len = n - k1, width = 2 * nb;
  // R row-major (len × 2nb) and Lᵀ row-major (2nb × len): the layouts gemm packs fastest.
  const { r, lt, out } = scratch;
  for (let p = 0; p < nb; p++) {
    const vp = (k0 + p) * n + k1, wp = p * n + k1;
    for (let row = 0; row < len; row++) {
      const vv = a[vp + row], ww = w[wp + row];
      r[row * width + p] = ww;
      r[row * width + nb + p] = vv;
    }
    lt.set(a.subarray(vp, vp + len), p * len);
    lt.set(w.subarray(wp, wp + len), (nb + p) * len);
  }
  for (let c0 = 0; c0 < len; c0 += UPDATE_COLUMNS) {
    const cw = Math.min(UPDATE_COLUMNS, len - c0);
    const rows = len - c0;
    // out (cw × rows): out[c][q] = R[c0+c]·L[c0+q] = update of A[k1+c0+q, k1+c0+c].
    gemm(
      { data: r, offset: c0 * width, rowStride: width, colStride: 1 },
      { data: lt, offset: c0, rowStride: len, colStride: 1 },
      cw, width, rows, out, 0, 'float64',
    );
    for (let c = 0; c < cw; c++) {
      const dst = (k1 + c0 + c) * n + k1 + c0, src = c * rows;
      for (let q = c; q < rows; q++) a[dst + q] -= out[src + q];
    }
  }
}
