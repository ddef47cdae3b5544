/**
 * CPU elementwise kernels. Strided inputs are walked row by row (the innermost axis with its own stride);
 * the op is chosen once per row, never per element, so the inner loops are plain arithmetic.
 */
import type { BinaryOp, UnaryOp } from '../backend';
import { allocArray, type DType, type TypedArray } from '../dtype';
import { contiguousStrides, numelOf } from '../shape';
import { erf32, erf64 } from './erf';
import { CpuStorage, type View } from '../storage';

export function dataOf(view: View | CpuStorage): TypedArray {
  const storage = view instanceof CpuStorage ? view : view.storage;
  if (!(storage instanceof CpuStorage)) throw new Error(`cpu kernel: storage is on '${storage.device}', expected 'cpu'`);
  return storage.data;
}

/**
 * Merges adjacent dims that every operand walks as one (stride[i] = stride[i+1]·size[i+1]) and drops size-1
 * dims, so a contiguous (1000, 3) walk becomes one row of 3000. Returns the shape and each operand's strides.
 */
export function coalesce(shape: readonly number[], ...strides: (readonly number[])[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * shape[i])) {
      outShape[last] *= shape[i];
      strides.forEach((s, k) => { outStrides[k][last] = s[i]; });
    } else {
      outShape.push(shape[i]);
      strides.forEach((s, k) => outStrides[k].push(s[i]));
    }
  }
  return [outShape, outStrides];
}

/**
 * Calls `row(offsetA, offsetB, offsetOut, length)` for every innermost row of `shape`, with the offsets of
 * up to two strided inputs (the output is row-major). Scalars and empty shapes are handled.
 */
export function forEachRow(
  shape: readonly number[],
  stridesA: readonly number[], offsetA: number,
  stridesB: readonly number[], offsetB: number,
  row: (ia: number, ib: number, io: number, n: number) => void,
): void {
  const nd = shape.length;
  const total = numelOf(shape);
  if (total === 0) return;
  if (nd === 0) { row(offsetA, offsetB, 0, 1); return; }
  const n = shape[nd - 1];
  const rows = total / n;
  const counter = new Array<number>(nd - 1).fill(0);
  let ia = offsetA;
  let ib = offsetB;
  for (let r = 0; r < rows; r++) {
    row(ia, ib, r * n, n);
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]++;
      ia += stridesA[d];
      ib += stridesB[d];
      if (counter[d] < shape[d]) break;
      ia -= stridesA[d] * shape[d];
      ib -= stridesB[d] * shape[d];
      counter[d] = 0;
    }
  }
}

/** forEachRow after coalescing: the fewest, longest rows (the row stride of each input is returned too). */
function forEachLongRow(
  shape: readonly number[], a: View, b: View,
  row: (ia: number, sa: number, ib: number, sb: number, io: number, n: number) => void,
): void {
  const contiguous = contiguousStrides(shape);
  const [merged, [sa, sb]] = coalesce(shape, a.strides, b.strides, contiguous);
  const nd = merged.length;
  const innerA = nd ? sa[nd - 1] : 0;
  const innerB = nd ? sb[nd - 1] : 0;
  forEachRow(merged, sa, a.offset, sb, b.offset, (ia, ib, io, n) => row(ia, innerA, ib, innerB, io, n));
}

/**
 * Row-major copy of a view, converting to `dtype` (to int32 truncates toward zero and wraps, as a typed-array
 * store does).
 */
export function copyView(view: View, dtype: DType): TypedArray {
  const src = dataOf(view);
  const out = allocArray(dtype, numelOf(view.shape));
  forEachLongRow(view.shape, view, view, (ia, sa, _ib, _sb, io, n) => {
    if (sa === 1) out.set(src.subarray(ia, ia + n), io);
    else for (let j = 0; j < n; j++) out[io + j] = src[ia + j * sa];
  });
  return out;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Applies a unary op in place over a contiguous array. */
export function unaryInPlace(op: UnaryOp, a: TypedArray): void {
  const n = a.length;
  const erf = a instanceof Float64Array ? erf64 : erf32;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) a[i] = -a[i]; return;
    case 'abs': for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]); return;
    case 'sign': for (let i = 0; i < n; i++) a[i] = Math.sign(a[i]); return;
    case 'exp': for (let i = 0; i < n; i++) a[i] = Math.exp(a[i]); return;
    case 'log': for (let i = 0; i < n; i++) a[i] = Math.log(a[i]); return;
    case 'sqrt': for (let i = 0; i < n; i++) a[i] = Math.sqrt(a[i]); return;
    case 'rsqrt': for (let i = 0; i < n; i++) a[i] = 1 / Math.sqrt(a[i]); return;
    case 'sin': for (let i = 0; i < n; i++) a[i] = Math.sin(a[i]); return;
    case 'cos': for (let i = 0; i < n; i++) a[i] = Math.cos(a[i]); return;
    case 'tanh': for (let i = 0; i < n; i++) a[i] = Math.tanh(a[i]); return;
    case 'sigmoid': for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-a[i])); return;
    case 'relu': for (let i = 0; i < n; i++) a[i] = a[i] <= 0 ? 0 : a[i]; return; // NaN stays NaN
    case 'step': for (let i = 0; i < n; i++) a[i] = a[i] > 0 ? 1 : 0; return;
    case 'erf': for (let i = 0; i < n; i++) a[i] = erf(a[i]); return;
    case 'gelu': for (let i = 0; i < n; i++) { const x = a[i]; a[i] = 0.5 * x * (1 + erf(x * Math.SQRT1_2)); } return;
    case 'geluGrad': // d/dx x·Φ(x) = Φ(x) + x·φ(x)
      for (let i = 0; i < n; i++) {
        const x = a[i];
        a[i] = 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      }
      return;
    case 'geluTanh':
      for (let i = 0; i < n; i++) {
        const x = a[i];
        a[i] = 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
      }
      return;
    case 'geluTanhGrad':
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
        a[i] = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
      }
      return;
    case 'reciprocal': for (let i = 0; i < n; i++) a[i] = 1 / a[i]; return;
    case 'square': for (let i = 0; i < n; i++) a[i] = a[i] * a[i]; return;
    case 'floor': for (let i = 0; i < n; i++) a[i] = Math.floor(a[i]); return;
    case 'ceil': for (let i = 0; i < n; i++) a[i] = Math.ceil(a[i]); return;
    case 'round': for (let i = 0; i < n; i++) a[i] = roundHalfEven(a[i]); return;
    case 'log1p': for (let i = 0; i < n; i++) a[i] = Math.log1p(a[i]); return;
    case 'expm1': for (let i = 0; i < n; i++) a[i] = Math.expm1(a[i]); return;
  }
}

/** Rounds half to even, as torch.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** out[io + j] = a[ia + j·sa] ∘ b[ib + j·sb] for j < n. */
function binaryRow(
  op: BinaryOp, out: TypedArray, io: number,
  a: TypedArray, ia: number, sa: number, b: TypedArray, ib: number, sb: number, n: number,
): void {
  switch (op) {
    case 'add': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] + b[ib + j * sb]; return;
    case 'sub': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] - b[ib + j * sb]; return;
    case 'mul': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] * b[ib + j * sb]; return;
    case 'div': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] / b[ib + j * sb]; return;
    case 'pow': for (let j = 0; j < n; j++) out[io + j] = Math.pow(a[ia + j * sa], b[ib + j * sb]); return;
    case 'maximum': for (let j = 0; j < n; j++) out[io + j] = maxNaN(a[ia + j * sa], b[ib + j * sb]); return;
    case 'minimum': for (let j = 0; j < n; j++) out[io + j] = minNaN(a[ia + j * sa], b[ib + j * sb]); return;
    case 'eq': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] === b[ib + j * sb] ? 1 : 0; return;
    case 'ne': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] !== b[ib + j * sb] ? 1 : 0; return;
    case 'lt': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] < b[ib + j * sb] ? 1 : 0; return;
    case 'le': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] <= b[ib + j * sb] ? 1 : 0; return;
    case 'gt': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] > b[ib + j * sb] ? 1 : 0; return;
    case 'ge': for (let j = 0; j < n; j++) out[io + j] = a[ia + j * sa] >= b[ib + j * sb] ? 1 : 0; return;
  }
}

function maxNaN(x: number, y: number): number {
  return x !== x || y !== y ? NaN : x > y ? x : y;
}
function minNaN(x: number, y: number): number {
  return x !== x || y !== y ? NaN : x < y ? x : y;
}

/** a ∘ b over views of the same (broadcast) shape, stored as `dtype` (comparisons give 0/1). */
export function binaryKernel(op: BinaryOp, a: View, b: View, dtype: DType): TypedArray {
  if (dtype === 'int32' && op === 'div') throw new Error('div: integer division is not supported; convert to float first');
  const out = allocArray(dtype, numelOf(a.shape));
  const da = dataOf(a);
  const db = dataOf(b);
  forEachLongRow(a.shape, a, b, (ia, sa, ib, sb, io, n) => binaryRow(op, out, io, da, ia, sa, db, ib, sb, n));
  return out;
}

/** cond ? a : b over three views of one shape, in one pass. */
export function whereKernel(cond: View, a: View, b: View, dtype: DType): TypedArray {
  const out = copyView(a, dtype);
  const dc = dataOf(cond);
  const db = dataOf(b);
  forEachLongRow(cond.shape, cond, b, (ic, sc, ib, sb, io, n) => {
    for (let j = 0; j < n; j++) if (dc[ic + j * sc] === 0) out[io + j] = db[ib + j * sb];
  });
  return out;
}
