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
 * Buffers that a sequence of block reflectors, built and applied one at a time, can share instead of new
 * ones per panel: on this project's machine a fresh buffer costs more to touch the first time (page faults,
 * ~20 µs per 4 KiB page) than the products that fill it — V alone is 32 MiB per panel of a 32768-row QR.
 */
export interface ReflectorScratch {
  v: Float64Array;
  wT: Float64Array;
  twT: Float64Array;
}

/** Scratch for reflectors of up to `width` columns over up to `rows` rows, applied to up to `columns` columns. */
export function reflectorScratch(rows: number, width: number, columns: number): ReflectorScratch {
  const padded = (width + 3) & ~3;
  return { v: new Float64Array(rows * padded), wT: new Float64Array(columns * padded), twT: new Float64Array(columns * padded) };
}

/** The first `length` entries of `buffer` (zeroed when `zero`) if it is long enough, else a new buffer. */
function part(buffer: Float64Array | undefined, length: number, zero: boolean): Float64Array {
  if (!buffer || buffer.length < length) return new Float64Array(length);
  const out = buffer.subarray(0, length);
  if (zero) out.fill(0);
  return out;
}

/**
 * Builds V and T for reflectors j0…j1−1 stored LAPACK-style in the column-major `work` (m rows). V is
 * written into `scratch.v` when given (valid until the next reflector built there).
 */
export function buildBlockReflector(
  work: Float64Array, taus: Float64Array, m: number, j0: number, j1: number, scratch?: ReflectorScratch,
): BlockReflector {
  const len = m - j0;
  const count = j1 - j0;
  const width = (count + 3) & ~3;
  const v = part(scratch?.v, len * width, true);
  for (let jj = 0; jj < count; jj++) {
    const src = (j0 + jj) * m + j0;
    const dst = jj * len;
    v[dst + jj] = 1;
    for (let r = jj + 1; r < len; r++) v[dst + r] = work[src + r];
  }
  // z = Vᵀ·v_i for every i at once: one product instead of a dot per pair. The zeros above v_i's leading 1
  // add exact zeros first, so each entry has the bits of the dot over rows i… that dlarft computes.
  const gram = new Float64Array(width * width);
  gemmInto({ data: v, offset: 0, rowStride: len, colStride: 1 }, { data: v, offset: 0, rowStride: 1, colStride: len },
    width, len, width, gram, 0);
  const t = new Float64Array(width * width);
  for (let i = 0; i < count; i++) {
    const tau = taus[j0 + i];
    t[i * width + i] = tau;
    if (tau === 0) continue;
    // T[0:i, i] = −τ_i · T[0:i, 0:i] · z, z_s = v_sᵀ v_i
    for (let r = 0; r < i; r++) {
      let acc = 0;
      for (let s = r; s < i; s++) acc += t[r * width + s] * gram[s * width + i];
      t[r * width + i] = -tau * acc;
    }
  }
  return { rowOff: j0, len, width, v, t };
}

/**
 * C ← (I − V·op(T)·Vᵀ)·C on columns c0…c1−1 of the column-major `target` (m rows), where op(T) is Tᵀ
 * when `transposeT` (applying Qᵀ of the panel, as the factorization does) and T otherwise (applying
 * Q, as when Q is formed). Three products on the engine's matmul (blocked, SIMD, threaded over output
 * blocks): W = Vᵀ·C, then op(T)·W, then C −= V·(op(T)·W) — each taken transposed (Wᵀ = Cᵀ·V, …,
 * Cᵀ −= (op(T)·W)ᵀ·Vᵀ) because the column-major C is a row-major Cᵀ, which the engine packs fastest.
 * Its two intermediate products go to `scratch` when given.
 */
export function applyBlockReflector(
  br: BlockReflector, transposeT: boolean, target: Float64Array, m: number, c0: number, c1: number,
  scratch?: ReflectorScratch,
): void {
  const count = c1 - c0;
  if (count <= 0) return;
  const { v, len, width, rowOff, t } = br;
  // The column-major C is the row-major Cᵀ (count × len), and V (len × width) is read through strides:
  // the products are taken transposed so that the large operand, C, is always read along its rows.
  const cT = { data: target, offset: c0 * m + rowOff, rowStride: m, colStride: 1 };
  const vT = { data: v, offset: 0, rowStride: len, colStride: 1 }; // width × len
  const wT = part(scratch?.wT, count * width, false); // Wᵀ = Cᵀ·V
  gemmInto(cT, { data: v, offset: 0, rowStride: 1, colStride: len }, count, len, width, wT, 0);
  const twT = part(scratch?.twT, count * width, false); // (op(T)·W)ᵀ = Wᵀ·op(T)ᵀ
  const opTTransposed = transposeT
    ? { data: t, offset: 0, rowStride: width, colStride: 1 }
    : { data: t, offset: 0, rowStride: 1, colStride: width };
  gemmInto({ data: wT, offset: 0, rowStride: width, colStride: 1 }, opTTransposed, count, width, width, twT, 0,
    { bTriangle: transposeT ? 'upper' : 'lower' });
  gemmInto({ data: twT, offset: 0, rowStride: width, colStride: 1 }, vT, count, width, len, target, c0 * m + rowOff,
    { ldc: m, accumulate: true, subtract: true });
}
