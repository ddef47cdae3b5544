/**
 * Packing for the cpu matmul (./matmul.ts): copies of the operands' blocks in the order the tile kernels read
 * them. B's rows k0…k0+kc−1 become column panels of NR (kc rows of NR values each, zero-padded), A's rows
 * become row panels of MR (kc steps of MR values each, zero-padded). Operands of any strides are read here, so
 * transposed views are never copied first.
 */
import type { TypedArray } from '../dtype';

/** A matrix view: entry (i, j) at data[offset + i·rowStride + j·colStride]. */
export interface StridedMatrix {
  data: TypedArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

export type FloatArray = Float32Array | Float64Array;

/**
 * Packs panels q0…q1−1 of B[k0:k0+kc, 0:n] (panel q holds columns q·nr…q·nr+nr−1, zero-padded past n) at
 * bp[at + q·kc·nr …]. Row-major B (the usual case) is read row by row and dealt out four values at a time —
 * unrolled, which is twice as fast as the general strided loop that handles everything else and the last,
 * partial panel.
 */
export function packB(
  b: StridedMatrix, k0: number, kc: number, n: number, nr: number, q0: number, q1: number, bp: FloatArray, at: number,
): void {
  const { data, offset, rowStride, colStride } = b;
  const panel = kc * nr;
  const fullPanels = Math.min(q1, Math.floor(n / nr));
  let q = q0;
  if (colStride === 1 && nr % 4 === 0 && fullPanels > q0) {
    for (let kk = 0; kk < kc; kk++) {
      const row = offset + (k0 + kk) * rowStride;
      for (let p = q0, j = q0 * nr, d0 = at + q0 * panel + kk * nr; p < fullPanels; p++, j += nr, d0 += panel) {
        for (let jj = 0; jj < nr; jj += 4) {
          const s = row + j + jj, d = d0 + jj;
          bp[d] = data[s]; bp[d + 1] = data[s + 1]; bp[d + 2] = data[s + 2]; bp[d + 3] = data[s + 3];
        }
      }
    }
    q = fullPanels;
  }
  for (; q < q1; q++) {
    const j0 = q * nr;
    const width = Math.min(nr, n - j0);
    for (let kk = 0, dst = at + q * panel; kk < kc; kk++, dst += nr) {
      const src = offset + (k0 + kk) * rowStride + j0 * colStride;
      for (let jj = 0; jj < width; jj++) bp[dst + jj] = data[src + jj * colStride];
      for (let jj = width; jj < nr; jj++) bp[dst + jj] = 0;
    }
  }
}

/**
 * Packs A[i0:i0+mc, k0:k0+kc] into panels of mr rows at ap[at …], k-major, zero-padded to a multiple of mr
 * rows, negated when `negate` (so that a kernel computing C + A·B computes C − A·B exactly). Full 4-row panels
 * of a row-major A (four sequential row streams) or of a transposed one (four adjacent values per k) take
 * unrolled paths; anything else takes the general loop.
 */
export function packA(
  a: StridedMatrix, i0: number, mc: number, k0: number, kc: number, mr: number, ap: FloatArray, at: number, negate: boolean,
): void {
  const { data, offset, rowStride, colStride } = a;
  const sign = negate ? -1 : 1;
  for (let p = 0, r0 = 0; r0 < mc; p++, r0 += mr) {
    const base = at + p * kc * mr;
    const first = offset + (i0 + r0) * rowStride + k0 * colStride;
    if (mr === 4 && r0 + 4 <= mc && colStride === 1) {
      const s1 = first + rowStride, s2 = s1 + rowStride, s3 = s2 + rowStride;
      if (negate) {
        for (let kk = 0, d = base; kk < kc; kk++, d += 4) {
          ap[d] = -data[first + kk]; ap[d + 1] = -data[s1 + kk]; ap[d + 2] = -data[s2 + kk]; ap[d + 3] = -data[s3 + kk];
        }
      } else {
        for (let kk = 0, d = base; kk < kc; kk++, d += 4) {
          ap[d] = data[first + kk]; ap[d + 1] = data[s1 + kk]; ap[d + 2] = data[s2 + kk]; ap[d + 3] = data[s3 + kk];
        }
      }
      continue;
    }
    if (mr === 4 && r0 + 4 <= mc && rowStride === 1) {
      for (let kk = 0, d = base, s = first; kk < kc; kk++, d += 4, s += colStride) {
        ap[d] = sign * data[s]; ap[d + 1] = sign * data[s + 1]; ap[d + 2] = sign * data[s + 2]; ap[d + 3] = sign * data[s + 3];
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      if (r0 + r >= mc) {
        for (let kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = 0;
        continue;
      }
      const src = first + r * rowStride;
      for (let kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = sign * data[src + kk * colStride];
    }
  }
}
