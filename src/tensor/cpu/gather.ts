/** CPU index kernels: gather/scatter-add along a last axis, index-select/index-add along a middle axis. */
import type { TypedArray } from '../dtype';

function checkIndex(i: number, size: number, what: string): void {
  if (i < 0 || i >= size || !Number.isInteger(i)) {
    throw new Error(`${what}: index ${i} is out of bounds for dimension with size ${size}`);
  }
}

export function gatherRowsKernel(x: TypedArray, index: TypedArray, out: TypedArray, outer: number, inner: number, count: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const i = index[o * count + j];
      checkIndex(i, inner, 'gather');
      out[o * count + j] = x[o * inner + i];
    }
  }
}

export function scatterAddRowsKernel(src: TypedArray, index: TypedArray, out: TypedArray, outer: number, inner: number, count: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const i = index[o * count + j];
      checkIndex(i, inner, 'scatterAdd');
      out[o * inner + i] += src[o * count + j];
    }
  }
}

export function indexSelectKernel(
  x: TypedArray, index: TypedArray, out: TypedArray, outer: number, dimSize: number, inner: number, count: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const i = index[j];
      checkIndex(i, dimSize, 'indexSelect');
      const src = (o * dimSize + i) * inner;
      const dst = (o * count + j) * inner;
      if (inner === 1) out[dst] = x[src];
      else out.set(x.subarray(src, src + inner), dst);
    }
  }
}

export function indexAddKernel(
  src: TypedArray, index: TypedArray, out: TypedArray, outer: number, dimSize: number, inner: number, count: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const i = index[j];
      checkIndex(i, dimSize, 'indexAdd');
      const from = (o * count + j) * inner;
      const to = (o * dimSize + i) * inner;
      for (let t = 0; t < inner; t++) out[to + t] += src[from + t];
    }
  }
}

/** out (m×n) += Σ_t values[t] · dense[cols[t], :] placed in row rows[t]; dense is row-major (k×n). */
export function sparseMmKernel(
  rows: TypedArray, cols: TypedArray, values: TypedArray, dense: TypedArray, out: Float64Array, n: number,
): void {
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    const dst = rows[t] * n;
    const src = cols[t] * n;
    for (let j = 0; j < n; j++) out[dst + j] += v * dense[src + j];
  }
}

/** out[t] = Σ_j a[rows[t], j] · b[cols[t], j], both row-major with `n` columns. */
export function sampledDotKernel(rows: TypedArray, cols: TypedArray, a: TypedArray, b: TypedArray, out: TypedArray, n: number): void {
  for (let t = 0; t < rows.length; t++) {
    const ra = rows[t] * n;
    const rb = cols[t] * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += a[ra + j] * b[rb + j];
    out[t] = s;
  }
}
