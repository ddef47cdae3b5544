/**
 * Compact WY block reflectors: the product of a panel of Householder reflectors written as
 * H₀H₁…H_{b−1} = I − V·T·Vᵀ (V unit lower trapezoidal, T upper triangular, as in LAPACK's dlarft).
 *
 * Applying a whole panel this way turns b rank-1 updates into two matrix products, W = Vᵀ·C and
 * C −= V·(T·W), which run on the tensor engine's matmul (src/tensor/cpu/matmul.ts: WebAssembly SIMD, and
 * several threads for large products with the same bits whatever the thread count).
 */
import { gemmInto } from './blas';

/** A panel of reflectors in explicit form, ready to apply to rows `rowOff…rowOff+len−1` of a target. */
export interface BlockReflector {
  /** First row the reflectors touch (the panel's first column index). */
  rowOff: number;
  /** Rows touched: m − rowOff. */
  len: number;
  /** Number of reflector columns, padded up to a multiple of 4 with zero columns. */
  width: number;
  /** Column-major len×width: column j is v_j with its implicit zeros and leading 1 written out. */
  v: Float64Array;
  /** Row-major width×width upper triangular T. */
  t: Float64Array;
}

/**
 * Builds V and T for reflectors j0…j1−1 stored LAPACK-style in the column-major `work` (m rows).
 */
export function buildBlockReflector(
  work: Float64Array, taus: Float64Array, m: number, j0: number, j1: number,
): BlockReflector {
  const len = m - j0;
  const count = j1 - j0;
  const width = (count + 3) & ~3;
  const v = new Float64Array(len * width);
  for (let jj = 0; jj < count; jj++) {
    const src = (j0 + jj) * m + j0;
    const dst = jj * len;
    v[dst + jj] = 1;
    for (let r = jj + 1; r < len; r++) v[dst + r] = work[src + r];
  }
  const t = new Float64Array(width * width);
  const z = new Float64Array(width);
  for (let i = 0; i < count; i++) {
    const tau = taus[j0 + i];
    t[i * width + i] = tau;
    if (tau === 0) continue;
    // z_s = v_sᵀ v_i for s < i (v_i is zero above row i, so the dot starts there).
    const vi = i * len;
    for (let s = 0; s < i; s++) {
      const vs = s * len;
      let dot = 0;
      for (let r = i; r < len; r++) dot += v[vs + r] * v[vi + r];
      z[s] = dot;
    }
    // T[0:i, i] = −τ_i · T[0:i, 0:i] · z
    for (let r = 0; r < i; r++) {
      let acc = 0;
      for (let s = r; s < i; s++) acc += t[r * width + s] * z[s];
      t[r * width + i] = -tau * acc;
    }
  }
  return { rowOff: j0, len, width, v, t };
}

/**
 * C ← (I − V·op(T)·Vᵀ)·C on columns c0…c1−1 of the column-major `target` (m rows), where op(T) is Tᵀ
 * when `transposeT` (applying Qᵀ of the panel, as the factorization does) and T otherwise (applying
 * Q, as when Q is formed). Three products on the engine's matmul (blocked, SIMD, threaded over output
 * blocks): W = Vᵀ·C, then op(T)·W, then C −= V·(op(T)·W), written as Cᵀ −= (op(T)·W)ᵀ·Vᵀ because the
 * column-major C is a row-major Cᵀ.
 */
export function applyBlockReflector(
  br: BlockReflector, transposeT: boolean, target: Float64Array, m: number, c0: number, c1: number,
): void {
  const count = c1 - c0;
  if (count <= 0) return;
  const { v, len, width, rowOff, t } = br;
  const vT = { data: v, offset: 0, rowStride: len, colStride: 1 }; // width × len
  const w = new Float64Array(width * count);
  gemmInto(vT, { data: target, offset: c0 * m + rowOff, rowStride: 1, colStride: m }, width, len, count, w, 0);
  const tw = new Float64Array(width * count);
  const opT = transposeT
    ? { data: t, offset: 0, rowStride: 1, colStride: width }
    : { data: t, offset: 0, rowStride: width, colStride: 1 };
  gemmInto(opT, { data: w, offset: 0, rowStride: count, colStride: 1 }, width, width, count, tw, 0,
    { aTriangle: transposeT ? 'lower' : 'upper' });
  gemmInto({ data: tw, offset: 0, rowStride: 1, colStride: count }, vT, count, width, len, target, c0 * m + rowOff,
    { ldc: m, accumulate: true, subtract: true });
}
