/**
 * The one inner loop that triangular solves and inverses are made of: subtract a linear
 * combination of rows from a row. Four source rows are combined per pass, so the target row is
 * loaded and stored once per four rows instead of once per row — in JavaScript, without SIMD, the
 * loads and stores are what bound these loops.
 */

/**
 * x[xo + c] −= Σ_{j=j0}^{j1−1} coef[co + j] · y[j·stride + yo + c] for c = 0…len−1.
 * Rows whose coefficient is zero still cost nothing extra beyond their share of the pass.
 */
export function subtractRows(
  x: Float64Array, xo: number, len: number,
  coef: Float64Array, co: number,
  y: Float64Array, stride: number, yo: number,
  j0: number, j1: number,
): void {
  let j = j0;
  for (; j + 3 < j1; j += 4) {
    const a0 = coef[co + j], a1 = coef[co + j + 1], a2 = coef[co + j + 2], a3 = coef[co + j + 3];
    const y0 = j * stride + yo, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
    for (let c = 0; c < len; c++) {
      x[xo + c] -= a0 * y[y0 + c] + a1 * y[y1 + c] + a2 * y[y2 + c] + a3 * y[y3 + c];
    }
  }
  for (; j < j1; j++) {
    const a = coef[co + j];
    if (a === 0) continue;
    const y0 = j * stride + yo;
    for (let c = 0; c < len; c++) x[xo + c] -= a * y[y0 + c];
  }
}

/** Σ_{c<len} x[xo + c] · y[yo + c]. */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0, s1 = 0;
  let c = 0;
  for (; c + 1 < len; c += 2) {
    s0 += x[xo + c] * y[yo + c];
    s1 += x[xo + c + 1] * y[yo + c + 1];
  }
  if (c < len) s0 += x[xo + c] * y[yo + c];
  return s0 + s1;
}

/**
 * A plane rotation of two `len`-long rows, x at `xo` and y at `yo` of `data`: (x, y) ← (c·x + s·y, c·y − s·x),
 * LAPACK's drot. Used by the tridiagonal QL sweeps and the divide-and-conquer deflation.
 */
export function rotateRows(data: Float64Array, xo: number, yo: number, len: number, c: number, s: number): void {
  for (let k = 0; k < len; k++) {
    const x = data[xo + k], y = data[yo + k];
    data[xo + k] = c * x + s * y;
    data[yo + k] = c * y - s * x;
  }
}
