/** The cpu device: typed arrays in host memory, kernels in plain TypeScript. */
import type { Backend, BinaryOp, MatmulArgs, ReduceOp, UnaryOp } from '../backend';
import { registerBackend } from '../backend';
import { allocArray, type DType, type TypedArray } from '../dtype';
import { isContiguousView, CpuStorage, type Storage, type View } from '../storage';
import { binaryKernel, copyView, dataOf, unaryInPlace, whereKernel } from './elementwise';
import { gatherRowsKernel, indexAddKernel, indexSelectKernel, sampledDotKernel, scatterAddRowsKernel, sparseMmKernel } from './gather';
import { withHalfPrecision } from './half';
import { gemm } from './matmul';
import { reduceRowsKernel, reduceViewKernel } from './reduce';

const wrap = (data: TypedArray, dtype: DType): CpuStorage => new CpuStorage(data, dtype);

/** Contiguous data of a view without copying when it already is. */
function contiguousData(view: View): TypedArray {
  const data = dataOf(view);
  let n = 1;
  for (const d of view.shape) n *= d;
  if (isContiguousView(view.shape, view.strides)) return data.subarray(view.offset, view.offset + n);
  return copyView(view, view.dtype);
}

/** The float32/float64/int32 kernels; half precision is added around them by ./half.ts. */
const fullPrecisionBackend: Backend = {
  device: 'cpu',
  fromArray: (data, dtype) => {
    const copy = allocArray(dtype, data.length);
    copy.set(data);
    return wrap(copy, dtype);
  },
  toArray: (view) => contiguousData(view),
  full: (size, value, dtype) => wrap(allocArray(dtype, size).fill(value), dtype),
  copy: (view, dtype) => wrap(copyView(view, dtype), dtype),
  unary: (op: UnaryOp, x, dtype) => {
    const out = copyView(x, dtype);
    unaryInPlace(op, out);
    return wrap(out, dtype);
  },
  binary: (op: BinaryOp, a, b, dtype) => wrap(binaryKernel(op, a, b, dtype), dtype),
  where: (cond, a, b, dtype) => wrap(whereKernel(cond, a, b, dtype), dtype),
  reduceRows: (op: ReduceOp, x: Storage, outer, inner) => {
    const out = reduceRowsKernel(op, dataOf(x as CpuStorage), x.dtype, outer, inner);
    return wrap(out, op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype);
  },
  reduceView: (op: ReduceOp, x: View, reducedDims: number) =>
    wrap(reduceViewKernel(op, x, reducedDims), op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype),
  matmul: (a, b, { batch, m, k, n }: MatmulArgs, dtype) => {
    const out = allocArray(dtype, batch * m * n);
    const da = dataOf(a);
    const db = dataOf(b);
    for (let t = 0; t < batch; t++) {
      gemm(
        { data: da, offset: a.offset + t * a.strides[0], rowStride: a.strides[1], colStride: a.strides[2] },
        { data: db, offset: b.offset + t * b.strides[0], rowStride: b.strides[1], colStride: b.strides[2] },
        m, k, n, out, t * m * n, dtype,
      );
    }
    return wrap(out, dtype);
  },
  gatherRows: (x, index, outer, inner, count) => {
    const out = allocArray(x.dtype, outer * count);
    gatherRowsKernel(dataOf(x as CpuStorage), dataOf(index as CpuStorage), out, outer, inner, count);
    return wrap(out, x.dtype);
  },
  scatterAddRows: (src, index, outer, inner, count) => {
    const out = allocArray(src.dtype, outer * inner);
    scatterAddRowsKernel(dataOf(src as CpuStorage), dataOf(index as CpuStorage), out, outer, inner, count);
    return wrap(out, src.dtype);
  },
  indexSelect: (x, index, outer, dimSize, inner, count) => {
    const out = allocArray(x.dtype, outer * count * inner);
    indexSelectKernel(dataOf(x as CpuStorage), dataOf(index as CpuStorage), out, outer, dimSize, inner, count);
    return wrap(out, x.dtype);
  },
  indexAdd: (src, index, outer, dimSize, inner, count) => {
    const out = allocArray(src.dtype, outer * dimSize * inner);
    indexAddKernel(dataOf(src as CpuStorage), dataOf(index as CpuStorage), out, outer, dimSize, inner, count);
    return wrap(out, src.dtype);
  },
  sparseMm: (rows, cols, values, dense, m, n, dtype) => {
    const acc = new Float64Array(m * n);
    sparseMmKernel(dataOf(rows as CpuStorage), dataOf(cols as CpuStorage), dataOf(values as CpuStorage), contiguousData(dense), acc, n);
    const out = allocArray(dtype, m * n);
    out.set(acc);
    return wrap(out, dtype);
  },
  sampledDot: (rows, cols, a, b, dtype) => {
    const out = allocArray(dtype, rows.length);
    const n = a.shape[a.shape.length - 1];
    sampledDotKernel(dataOf(rows as CpuStorage), dataOf(cols as CpuStorage), contiguousData(a), contiguousData(b), out, n);
    return wrap(out, dtype);
  },
};

export const cpuBackend: Backend = withHalfPrecision(fullPrecisionBackend);

registerBackend(cpuBackend);
