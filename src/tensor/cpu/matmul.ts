/**
 * CPU matrix multiply, cache-blocked with a 4×4 register tile.
 *
 * C (m×n) = A (m×k) · B (k×n). B is packed once per k-block into column panels of width 4 (each panel
 * walks k contiguously); A's rows are read in place when A is row-major. The inner tile keeps 16
 * accumulators in locals, doing 16 multiply-adds per 8 loads.
 */
import { allocArray, type DType, type TypedArray } from '../dtype';

const KC = 256; // k-block: a packed B panel of KC×4 doubles (8 KiB) stays in L1
const NR = 4;

/** Packs B[k0:k1, :] into panels of 4 columns: panel p holds rows k0..k1 of columns 4p..4p+3. */
function packB(b: TypedArray, bo: number, rsb: number, csb: number, k0: number, k1: number, n: number, packed: Float64Array): void {
  const kc = k1 - k0;
  const panels = Math.ceil(n / NR);
  for (let p = 0; p < panels; p++) {
    const base = p * kc * NR;
    const j0 = p * NR;
    const width = Math.min(NR, n - j0);
    for (let kk = 0; kk < kc; kk++) {
      const src = bo + (k0 + kk) * rsb + j0 * csb;
      const dst = base + kk * NR;
      for (let jj = 0; jj < width; jj++) packed[dst + jj] = b[src + jj * csb];
      for (let jj = width; jj < NR; jj++) packed[dst + jj] = 0;
    }
  }
}

/** Packs A[:, k0:k1] row-major (m × kc) so the tile reads four rows contiguously. */
function packA(a: TypedArray, ao: number, rsa: number, csa: number, m: number, k0: number, k1: number, packed: Float64Array): void {
  const kc = k1 - k0;
  for (let i = 0; i < m; i++) {
    const src = ao + i * rsa + k0 * csa;
    const dst = i * kc;
    for (let kk = 0; kk < kc; kk++) packed[dst + kk] = a[src + kk * csa];
  }
}

/** C[m×n] += Apacked[m×kc] · Bpanels[kc×n] (C is a row-major float64 accumulator). */
function kernelBlock(ap: Float64Array, bp: Float64Array, c: Float64Array, m: number, n: number, kc: number): void {
  const panels = Math.ceil(n / NR);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * kc, a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc;
    for (let p = 0; p < panels; p++) {
      const bBase = p * kc * NR;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let kk = 0; kk < kc; kk++) {
        const bo = bBase + kk * NR;
        const b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
        const x0 = ap[a0 + kk], x1 = ap[a1 + kk], x2 = ap[a2 + kk], x3 = ap[a3 + kk];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const j0 = p * NR;
      const w = Math.min(NR, n - j0);
      const r0 = i * n + j0, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      if (w === NR) {
        c[r0] += c00; c[r0 + 1] += c01; c[r0 + 2] += c02; c[r0 + 3] += c03;
        c[r1] += c10; c[r1 + 1] += c11; c[r1 + 2] += c12; c[r1 + 3] += c13;
        c[r2] += c20; c[r2 + 1] += c21; c[r2 + 2] += c22; c[r2 + 3] += c23;
        c[r3] += c30; c[r3 + 1] += c31; c[r3 + 2] += c32; c[r3 + 3] += c33;
      } else {
        const t = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < 4; r++) for (let jj = 0; jj < w; jj++) c[r0 + r * n + jj] += t[r * 4 + jj];
      }
    }
  }
  for (; i < m; i++) { // leftover rows, one at a time
    const a0 = i * kc;
    for (let p = 0; p < panels; p++) {
      const bBase = p * kc * NR;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let kk = 0; kk < kc; kk++) {
        const bo = bBase + kk * NR;
        const x = ap[a0 + kk];
        c0 += x * bp[bo]; c1 += x * bp[bo + 1]; c2 += x * bp[bo + 2]; c3 += x * bp[bo + 3];
      }
      const j0 = p * NR;
      const w = Math.min(NR, n - j0);
      const r0 = i * n + j0;
      if (w > 0) c[r0] += c0;
      if (w > 1) c[r0 + 1] += c1;
      if (w > 2) c[r0 + 2] += c2;
      if (w > 3) c[r0 + 3] += c3;
    }
  }
}

export interface StridedMatrix {
  data: TypedArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * One (m×k)·(k×n) product into `out` at `outOffset` (row-major), accumulating in float64 and rounding once
 * to the output dtype. Scratch buffers are reused across calls of one batch.
 */
export function gemm(
  a: StridedMatrix, b: StridedMatrix, m: number, k: number, n: number,
  out: TypedArray, outOffset: number, scratch: GemmScratch,
): void {
  const c = scratch.accumulator(m * n);
  c.fill(0);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const k1 = Math.min(k, k0 + KC);
    const kc = k1 - k0;
    const ap = scratch.packedA(m * kc);
    const bp = scratch.packedB(Math.ceil(n / NR) * NR * kc);
    packA(a.data, a.offset, a.rowStride, a.colStride, m, k0, k1, ap);
    packB(b.data, b.offset, b.rowStride, b.colStride, k0, k1, n, bp);
    kernelBlock(ap, bp, c, m, n, kc);
  }
  for (let i = 0; i < m * n; i++) out[outOffset + i] = c[i];
}

/** Reusable float64 work buffers for gemm. */
export class GemmScratch {
  private a = new Float64Array(0);
  private b = new Float64Array(0);
  private c = new Float64Array(0);
  packedA(size: number): Float64Array {
    if (this.a.length < size) this.a = new Float64Array(size);
    return this.a;
  }
  packedB(size: number): Float64Array {
    if (this.b.length < size) this.b = new Float64Array(size);
    return this.b;
  }
  accumulator(size: number): Float64Array {
    if (this.c.length < size) this.c = new Float64Array(size);
    return this.c.length === size ? this.c : this.c.subarray(0, size);
  }
}

/** Allocates the output of a batched product. */
export function allocProduct(dtype: DType, batch: number, m: number, n: number): TypedArray {
  return allocArray(dtype, batch * m * n);
}
