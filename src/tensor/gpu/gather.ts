/**
 * Index kernels on the gpu: gather / index-select read through an index buffer; their inverses
 * (scatter-add, index-add) and the sparse COO product are written gather-style, since gpu.js kernels have
 * no atomics: the index entries are bucketed on the host by target (a counting sort giving `ptr`, `perm`),
 * and each output thread sums its own bucket. Index values come from the index storage's host mirror
 * (downloaded once when a device op produced it), which also checks them against the bounds.
 */
import type { DType } from '../dtype';
import type { Storage, View } from '../storage';
import { full } from './elementwise';
import { runtime, type DeviceValue, type KernelArg } from './runtime';
import { checkGpuDType, deviceValue, GpuStorage, hostIndex } from './storage';

function checkIndices(ints: Int32Array, size: number, what: string): void {
  for (let t = 0; t < ints.length; t++) {
    const i = ints[t];
    if (i < 0 || i >= size) throw new Error(`${what}: index ${i} is out of bounds for dimension with size ${size}`);
  }
}

/** Entries grouped by target: entries of bucket b are perm[ptr[b] .. ptr[b+1]), in their original order. */
interface Buckets {
  ptr: DeviceValue;
  perm: DeviceValue;
  /** Loop bound of a bucket walk: the largest bucket, rounded up to a power of two so kernels are reused. */
  bound: number;
}

function bucketize(count: number, bucketCount: number, bucketOf: (entry: number) => number): Buckets {
  const ptr = new Float32Array(bucketCount + 1);
  for (let e = 0; e < count; e++) ptr[bucketOf(e) + 1]++;
  let largest = 0;
  for (let b = 0; b < bucketCount; b++) {
    largest = Math.max(largest, ptr[b + 1]);
    ptr[b + 1] += ptr[b];
  }
  const fill = ptr.slice(0, bucketCount);
  const perm = new Float32Array(count);
  for (let e = 0; e < count; e++) perm[fill[bucketOf(e)]++] = e;
  const bound = largest <= 1 ? largest : 2 ** Math.ceil(Math.log2(largest));
  return { ptr: runtime.upload(ptr), perm: runtime.upload(perm), bound };
}

/** Lines summing `term(e)` over the entries e of bucket `bucket` into `s`. */
function bucketSum(bucket: string, bound: number, term: (entry: string) => string): string[] {
  return [
    `const start = ptr[${bucket}];`,
    `const end = ptr[${bucket} + 1];`,
    'let s = 0.0;',
    `for (let q = 0; q < ${bound}; q++) {`,
    '  if (start + q >= end) { break; }',
    '  const e = perm[start + q];',
    `  s = s + ${term('e')};`,
    '}',
    'return s;',
  ];
}

function result(value: DeviceValue, dtype: DType, size: number): GpuStorage {
  return new GpuStorage(value, checkGpuDType(dtype, 'gather'), size);
}

/** out[o, j] = x[o, index[o, j]] over contiguous (outer, inner) x and (outer, count) index. */
export function gatherRows(x: Storage, index: Storage, outer: number, inner: number, count: number): GpuStorage {
  const xs = deviceValue(x, 'gather');
  checkIndices(hostIndex(index, 'gather'), inner, 'gather');
  const value = runtime.run(`gatherRows|${inner},${count}`, () => ({
    params: ['x', 'index'], body: [
      `const o = Math.floor((this.thread.x + 0.5) / ${count});`,
      `return x[o * ${inner} + index[this.thread.x]];`,
    ],
  }), outer * count, [xs, deviceValue(index, 'gather')]);
  return result(value, x.dtype, outer * count);
}

/** out (outer, inner) = zeros; out[o, index[o, j]] += src[o, j]. */
export function scatterAddRows(src: Storage, index: Storage, outer: number, inner: number, count: number): GpuStorage {
  const source = deviceValue(src, 'scatterAdd');
  const ints = hostIndex(index, 'scatterAdd');
  checkIndices(ints, inner, 'scatterAdd');
  if (outer * count === 0) return full(outer * inner, 0, src.dtype);
  const { ptr, perm, bound } = bucketize(outer * count, outer * inner, (e) => Math.floor(e / count) * inner + ints[e]);
  const value = runtime.run(`scatterAddRows|${bound}`, () => ({
    params: ['src', 'ptr', 'perm'], body: bucketSum('this.thread.x', bound, (e) => `src[${e}]`),
  }), outer * inner, [source, ptr, perm]);
  return result(value, src.dtype, outer * inner);
}

/** out (outer, count, inner), out[o, j, i] = x[o, index[j], i]. */
export function indexSelect(x: Storage, index: Storage, outer: number, dimSize: number, inner: number, count: number): GpuStorage {
  const xs = deviceValue(x, 'indexSelect');
  checkIndices(hostIndex(index, 'indexSelect'), dimSize, 'indexSelect');
  const value = runtime.run(`indexSelect|${dimSize},${inner},${count}`, () => ({
    params: ['x', 'index'], body: [
      `const o = Math.floor((this.thread.x + 0.5) / ${count * inner});`,
      `const r = this.thread.x - o * ${count * inner};`,
      `const j = Math.floor((r + 0.5) / ${inner});`,
      `const t = r - j * ${inner};`,
      `return x[(o * ${dimSize} + index[j]) * ${inner} + t];`,
    ],
  }), outer * count * inner, [xs, deviceValue(index, 'indexSelect')]);
  return result(value, x.dtype, outer * count * inner);
}

/** out (outer, dimSize, inner) = zeros; out[o, index[j], i] += src[o, j, i]. */
export function indexAdd(src: Storage, index: Storage, outer: number, dimSize: number, inner: number, count: number): GpuStorage {
  const source = deviceValue(src, 'indexAdd');
  const ints = hostIndex(index, 'indexAdd');
  checkIndices(ints, dimSize, 'indexAdd');
  const size = outer * dimSize * inner;
  if (count === 0 || size === 0) return full(size, 0, src.dtype);
  const { ptr, perm, bound } = bucketize(count, dimSize, (j) => ints[j]);
  const value = runtime.run(`indexAdd|${dimSize},${inner},${count},${bound}`, () => ({
    params: ['src', 'ptr', 'perm'], body: [
      `const o = Math.floor((this.thread.x + 0.5) / ${dimSize * inner});`,
      `const r = this.thread.x - o * ${dimSize * inner};`,
      `const d = Math.floor((r + 0.5) / ${inner});`,
      `const t = r - d * ${inner};`,
      ...bucketSum('d', bound, (e) => `src[(o * ${count} + ${e}) * ${inner} + t]`),
    ],
  }), size, [source, ptr, perm]);
  return result(value, src.dtype, size);
}

/** `base + index·stride` as source. */
function strided(base: string, index: string, stride: number): string {
  if (stride === 0) return base;
  return stride === 1 ? `${base} + ${index}` : `${base} + ${index} * ${stride}`;
}

/** COO (rows, cols, values) × strided dense (k, n) → (m, n), each output row summing its own entries. */
export function sparseMm(rows: Storage, cols: Storage, values: Storage, dense: View, m: number, n: number, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, 'sparseMm');
  const denseValue = deviceValue(dense.storage, 'sparseMm');
  const vals = deviceValue(values, 'sparseMm');
  const rowInts = hostIndex(rows, 'sparseMm');
  checkIndices(rowInts, m, 'sparseMm');
  checkIndices(hostIndex(cols, 'sparseMm'), dense.shape[0], 'sparseMm');
  const nnz = rowInts.length;
  if (nnz === 0 || m * n === 0) return full(m * n, 0, out);
  const { ptr, perm, bound } = bucketize(nnz, m, (e) => rowInts[e]);
  const [s0, s1] = dense.strides;
  const args: KernelArg[] = [vals, deviceValue(cols, 'sparseMm'), denseValue, dense.offset, ptr, perm];
  const value = runtime.run(`sparseMm|${n},${s0},${s1},${bound}`, () => ({
    params: ['vals', 'cols', 'dense', 'denseo', 'ptr', 'perm'], body: [
      `const r = Math.floor((this.thread.x + 0.5) / ${n});`,
      `const c = this.thread.x - r * ${n};`,
      ...bucketSum('r', bound, (e) => `vals[${e}] * dense[${strided(strided('denseo', `cols[${e}]`, s0), 'c', s1)}]`),
    ],
  }), m * n, args);
  return new GpuStorage(value, out, m * n);
}

/** out[t] = Σ_j a[rows[t], j] · b[cols[t], j] over strided 2-D views a and b. */
export function sampledDot(rows: Storage, cols: Storage, a: View, b: View, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, 'sampledDot');
  const rowInts = hostIndex(rows, 'sampledDot');
  checkIndices(rowInts, a.shape[0], 'sampledDot');
  checkIndices(hostIndex(cols, 'sampledDot'), b.shape[0], 'sampledDot');
  const count = rowInts.length;
  const n = a.shape[a.shape.length - 1];
  if (count === 0 || n === 0) return full(count, 0, out);
  const [a0, a1] = a.strides;
  const [b0, b1] = b.strides;
  const args: KernelArg[] = [deviceValue(rows, 'sampledDot'), deviceValue(cols, 'sampledDot'),
    deviceValue(a.storage, 'sampledDot'), a.offset, deviceValue(b.storage, 'sampledDot'), b.offset];
  const value = runtime.run(`sampledDot|${n},${a0},${a1},${b0},${b1}`, () => ({
    params: ['rows', 'cols', 'a', 'ao', 'b', 'bo'], body: [
      `const ai = ${strided('ao', 'rows[this.thread.x]', a0)};`,
      `const bi = ${strided('bo', 'cols[this.thread.x]', b0)};`,
      'let s = 0.0;',
      `for (let j = 0; j < ${n}; j++) {`,
      `  s = s + a[${strided('ai', 'j', a1)}] * b[${strided('bi', 'j', b1)}];`,
      '}',
      'return s;',
    ],
  }), count, args);
  return new GpuStorage(value, out, count);
}
