/**
 * The JavaScript tile kernel of the cpu matmul, used where WebAssembly SIMD is missing (and by the tests, to
 * check both paths). Same contract as the wasm kernels in ./wasm/gemmKernel.ts: a 4×4 tile of C at `co`
 * (row stride `ldc`) gets C[r, j] = C[r, j] + A[r, k]·B[k, j] for k in order, starting from C's values when
 * `load` is set and from zero otherwise; A and B are packed panels (4 values per k step each). Sixteen
 * accumulators live in locals: 16 multiply-adds per 8 loads. JavaScript arithmetic is float64, so every
 * dtype runs here in float64 (rounding float32 products once, at the end: per-step Math.fround is 5× slower).
 */

export const JS_TILE = { mr: 4, nr: 4 } as const;

/** Bit-for-bit the naive float64 loop. */
export function tileF64(
  ap: Float64Array, ao: number, bp: Float64Array, bo: number, c: Float64Array, co: number,
  kc: number, ldc: number, load: boolean,
): void {
  const r0 = co, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  if (load) {
    c00 = c[r0]; c01 = c[r0 + 1]; c02 = c[r0 + 2]; c03 = c[r0 + 3];
    c10 = c[r1]; c11 = c[r1 + 1]; c12 = c[r1 + 2]; c13 = c[r1 + 3];
    c20 = c[r2]; c21 = c[r2 + 1]; c22 = c[r2 + 2]; c23 = c[r2 + 3];
    c30 = c[r3]; c31 = c[r3 + 1]; c32 = c[r3 + 2]; c33 = c[r3 + 3];
  }
  for (let kk = 0, a = ao, b = bo; kk < kc; kk++, a += 4, b += 4) {
    const b0 = bp[b], b1 = bp[b + 1], b2 = bp[b + 2], b3 = bp[b + 3];
    const x0 = ap[a], x1 = ap[a + 1], x2 = ap[a + 2], x3 = ap[a + 3];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
    c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
    c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
  }
  c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
  c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
  c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
  c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
}
