/**
 * Householder reflectors on column-major buffers (column c of an m-row buffer is `buf[c*m .. c*m+m)`).
 *
 * A reflector H = I − τ·v·vᵀ maps x = (α, x₂…) to (β, 0…, 0). As in LAPACK's dlarfg, v is stored
 * below the diagonal in the column it annihilated (its leading 1 is implicit) and β takes the
 * diagonal slot, so a factored column-major buffer holds R in its upper triangle and all the
 * reflectors below it. Every loop here runs down one column: contiguous memory.
 */
import { norm2 } from './mat';

/**
 * Turns rows j…m−1 of column j (at offset `colOff`) into a reflector in place: the diagonal slot
 * gets β, the slots below get v (v_j = 1 implicit). Returns τ (0 when the column is already zero
 * below the diagonal, meaning H = I).
 */
export function makeReflector(buf: Float64Array, colOff: number, j: number, m: number): number {
  const alpha = buf[colOff + j];
  const tailNorm = norm2(buf, colOff + j + 1, m - j - 1);
  if (tailNorm === 0) return 0;
  const beta = alpha >= 0 ? -Math.hypot(alpha, tailNorm) : Math.hypot(alpha, tailNorm);
  const tau = (beta - alpha) / beta;
  const scale = 1 / (alpha - beta);
  const end = colOff + m;
  for (let i = colOff + j + 1; i < end; i++) buf[i] *= scale;
  buf[colOff + j] = beta;
  return tau;
}

/**
 * Applies reflector j (stored in column j of `refl`, m rows) to one column of `target` at offset
 * `tOff`: y ← y − τ·v·(vᵀy), touching rows j…m−1 only.
 */
export function applyReflector(
  refl: Float64Array, j: number, tau: number, m: number, target: Float64Array, tOff: number,
): void {
  if (tau === 0) return;
  const vOff = j * m;
  let dot = target[tOff + j];
  for (let i = j + 1; i < m; i++) dot += refl[vOff + i] * target[tOff + i];
  dot *= tau;
  target[tOff + j] -= dot;
  const shift = tOff - vOff;
  for (let i = vOff + j + 1; i < vOff + m; i++) target[i + shift] -= dot * refl[i];
}

/**
 * Applies reflector j to two columns of `target` at once (offsets `t0`, `t1`), reading v once for
 * both: the loads of v are the memory traffic that bounds this loop.
 */
export function applyReflectorPair(
  refl: Float64Array, j: number, tau: number, m: number, target: Float64Array, t0: number, t1: number,
): void {
  if (tau === 0) return;
  const vOff = j * m;
  let d0 = target[t0 + j];
  let d1 = target[t1 + j];
  const s0 = t0 - vOff;
  const s1 = t1 - vOff;
  const end = vOff + m;
  for (let i = vOff + j + 1; i < end; i++) {
    const v = refl[i];
    d0 += v * target[i + s0];
    d1 += v * target[i + s1];
  }
  d0 *= tau;
  d1 *= tau;
  target[t0 + j] -= d0;
  target[t1 + j] -= d1;
  for (let i = vOff + j + 1; i < end; i++) {
    const v = refl[i];
    target[i + s0] -= d0 * v;
    target[i + s1] -= d1 * v;
  }
}

/**
 * Applies reflectors `from`, `from+1`, … `to−1` (in that order, i.e. the product H_{to−1}…H_from
 * acting on the left) to columns `c0…c1−1` of `target`. Columns are taken two at a time so each
 * reflector is read once per pair, and all reflectors of the block are applied to a pair before
 * moving on, so the pair stays in cache while the (smaller) block of reflectors streams past.
 */
export function applyBlockForward(
  refl: Float64Array, taus: Float64Array, from: number, to: number, m: number,
  target: Float64Array, c0: number, c1: number,
): void {
  let c = c0;
  for (; c + 1 < c1; c += 2) {
    const t0 = c * m, t1 = t0 + m;
    for (let j = from; j < to; j++) applyReflectorPair(refl, j, taus[j], m, target, t0, t1);
  }
  if (c < c1) {
    const t0 = c * m;
    for (let j = from; j < to; j++) applyReflector(refl, j, taus[j], m, target, t0);
  }
}
