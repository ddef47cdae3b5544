/**
 * Householder QR, A = Q·R, blocked by column panels.
 *
 * The matrix is copied once into column-major order so that every reflector operation runs down a
 * contiguous column. Columns are factored a panel of `PANEL` at a time (in sub-panels, see below); the
 * panel's reflectors are then gathered into one block reflector I − V·T·Vᵀ and applied to all the
 * trailing columns as matrix products on the engine's matmul (see blockReflector.ts). For a tall
 * 9216×768 matrix this replaces one sweep over the whole trailing matrix per reflector by two per panel.
 *
 * Cost: 2mn² − 2n³/3 flops for R, the same again for the reduced Q (m×n), more for the complete Q.
 */
import { type Mat, mat, transposeInto } from './mat';
import { applyBlockForward, makeReflector } from './householder';
import { applyBlockReflector, buildBlockReflector, reflectorScratch } from './blockReflector';

/**
 * Columns per panel: the trailing matrix is updated once per panel, by a rank-PANEL product, so wider panels
 * run the bulk of the flops nearer the engine's peak. Inside a panel, columns are factored SUBPANEL at a time
 * with plain reflectors (level-2 work, which grows with the width) and the rest of the panel is brought up
 * to date by that sub-panel's block reflector.
 */
const PANEL = 128;
const SUBPANEL = 32;

/** The compact factorization: R in the upper triangle of `work`, the reflectors below it, their τ in `taus`. */
export interface QrFactors {
  m: number;
  n: number;
  /** min(m, n): the number of reflectors. */
  k: number;
  /** Column-major m×n: column c is `work[c*m .. c*m+m)`. */
  work: Float64Array;
  taus: Float64Array;
}

/** Factors A (m×n) in compact Householder form. A is not modified. */
export function householderFactor(a: Mat): QrFactors {
  const m = a.rows, n = a.cols, k = Math.min(m, n);
  const work = new Float64Array(m * n);
  transposeInto(a.data, m, n, work);
  const taus = new Float64Array(k);
  const scratch = reflectorScratch(m, PANEL, n);
  for (let j0 = 0; j0 < k; j0 += PANEL) {
    const j1 = Math.min(j0 + PANEL, k);
    for (let s0 = j0; s0 < j1; s0 += SUBPANEL) {
      const s1 = Math.min(s0 + SUBPANEL, j1);
      for (let j = s0; j < s1; j++) {
        taus[j] = makeReflector(work, j * m, j, m);
        applyBlockForward(work, taus, j, j + 1, m, work, j + 1, s1);
      }
      if (s1 < j1) applyBlockReflector(buildBlockReflector(work, taus, m, s0, s1, scratch), true, work, m, s1, j1, scratch);
    }
    if (j1 < n) applyBlockReflector(buildBlockReflector(work, taus, m, j0, j1, scratch), true, work, m, j1, n, scratch);
  }
  return { m, n, k, work, taus };
}

/** R (rows×n, upper triangular) from the compact factors; rows beyond k are zero. */
export function extractR(f: QrFactors, rows: number): Mat {
  const { m, n, work } = f;
  const r = mat(rows, n);
  const R = r.data;
  for (let j = 0; j < n; j++) {
    const colOff = j * m;
    const top = Math.min(j, rows - 1, m - 1);
    for (let i = 0; i <= top; i++) R[i * n + j] = work[colOff + i];
  }
  return r;
}

/**
 * Overwrites the column-major m×c `target` with Q·target, Q = H₀H₁…H_{k−1}: the panels' block
 * reflectors are applied last panel first. Cheaper than forming Q and multiplying.
 */
export function applyQ(f: QrFactors, target: Float64Array, c: number): void {
  const { m, k, work, taus } = f;
  const lastPanel = k === 0 ? -1 : Math.floor((k - 1) / PANEL) * PANEL;
  const scratch = reflectorScratch(m, PANEL, c);
  for (let j0 = lastPanel; j0 >= 0; j0 -= PANEL) {
    const j1 = Math.min(j0 + PANEL, k);
    applyBlockReflector(buildBlockReflector(work, taus, m, j0, j1, scratch), false, target, m, 0, c, scratch);
  }
}

/**
 * Columns from…to−1 of Q = H₀H₁…H_{k−1} as a column-major m×(to−from) buffer. Accumulated backwards
 * from unit vectors: column c is still e_c until the panel containing c is reached (H_j leaves e_c
 * alone for j > c), so each panel only touches the columns it can change.
 */
export function formQColumns(f: QrFactors, from: number, to: number): Float64Array {
  const { m, k, work, taus } = f;
  const width = to - from;
  const q = new Float64Array(m * width);
  for (let c = from; c < Math.min(to, m); c++) q[(c - from) * m + c] = 1;
  const lastPanel = k === 0 ? -1 : Math.floor((k - 1) / PANEL) * PANEL;
  const scratch = reflectorScratch(m, PANEL, width);
  for (let j0 = lastPanel; j0 >= 0; j0 -= PANEL) {
    const j1 = Math.min(j0 + PANEL, k);
    const first = Math.max(j0, from);
    if (first >= to) continue;
    applyBlockReflector(buildBlockReflector(work, taus, m, j0, j1, scratch), false, q, m, first - from, width, scratch);
  }
  return q;
}

/** The first `cols` columns of Q (m×cols, row-major). */
export function formQ(f: QrFactors, cols: number): Mat {
  const qColMajor = formQColumns(f, 0, cols);
  const q = mat(f.m, cols);
  transposeInto(qColMajor, cols, f.m, q.data);
  return q;
}

/** Which factors `qr` returns: reduced Q is m×k and R k×n; complete Q is m×m and R m×n (k = min(m, n)). */
export type QrMode = 'reduced' | 'complete';

/**
 * Householder QR of A (m×n): Q has orthonormal columns, R is upper triangular, A = Q·R.
 * Signs follow LAPACK (R's diagonal may be negative), so results match numpy/PyTorch up to rounding.
 */
export function qr(a: Mat, mode: QrMode = 'reduced'): { Q: Mat; R: Mat } {
  const f = householderFactor(a);
  const qCols = mode === 'complete' ? f.m : f.k;
  return { Q: formQ(f, qCols), R: extractR(f, qCols) };
}

/** R alone (k×n), skipping the cost of forming Q. */
export function qrR(a: Mat): Mat {
  const f = householderFactor(a);
  return extractR(f, f.k);
}
