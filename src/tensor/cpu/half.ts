/**
 * float16 and bfloat16 on the cpu device: each primitive runs the float32 kernel and rounds its result to
 * the half format (../half.ts), so kernels never see a half dtype. Inputs need no conversion: a half
 * storage already holds float32 values of its format.
 */
import type { Backend } from '../backend';
import type { DType } from '../dtype';
import { computeDType, isHalf, roundToHalf } from '../half';
import { CpuStorage, type Storage, type View } from '../storage';

/** A view whose dtype names the float32 its values are stored in. */
function asComputeView(view: View): View {
  if (!isHalf(view.dtype)) return view;
  const storage = view.storage as CpuStorage;
  return { ...view, dtype: 'float32', storage: new CpuStorage(storage.data, 'float32') };
}

function asComputeStorage(storage: Storage): Storage {
  return isHalf(storage.dtype) ? new CpuStorage((storage as CpuStorage).data, 'float32') : storage;
}

/** The result of a float32 kernel as a storage of `dtype`, rounded when `dtype` is a half format. */
function asDType(result: Storage, dtype: DType): Storage {
  if (!isHalf(dtype) || result.dtype === 'int32') return result;
  return new CpuStorage(roundToHalf((result as CpuStorage).data as Float32Array, dtype), dtype);
}

/** `backend` (the cpu device) extended to float16 and bfloat16. */
export function withHalfPrecision(backend: Backend): Backend {
  const v = asComputeView;
  const s = asComputeStorage;
  const c = computeDType;
  return {
    ...backend,
    fromArray: (data, dtype) => asDType(backend.fromArray(data, c(dtype)), dtype),
    toArray: (view) => backend.toArray(v(view)),
    full: (size, value, dtype) => asDType(backend.full(size, value, c(dtype)), dtype),
    copy: (view, dtype) => asDType(backend.copy(v(view), c(dtype)), dtype),
    unary: (op, x, dtype) => asDType(backend.unary(op, v(x), c(dtype)), dtype),
    binary: (op, a, b, dtype) => asDType(backend.binary(op, v(a), v(b), c(dtype)), dtype),
    where: (cond, a, b, dtype) => asDType(backend.where(v(cond), v(a), v(b), c(dtype)), dtype),
    reduceRows: (op, x, outer, inner) => asDType(backend.reduceRows(op, s(x), outer, inner), x.dtype),
    reduceView: backend.reduceView && ((op, x, reducedDims) => asDType((backend.reduceView!)(op, v(x), reducedDims), x.dtype)),
    matmul: (a, b, args, dtype) => asDType(backend.matmul(v(a), v(b), args, c(dtype)), dtype),
    gatherRows: (x, index, outer, inner, count) => asDType(backend.gatherRows(s(x), index, outer, inner, count), x.dtype),
    scatterAddRows: (src, index, outer, inner, count) =>
      asDType(backend.scatterAddRows(s(src), index, outer, inner, count), src.dtype),
    indexSelect: (x, index, outer, dimSize, inner, count) =>
      asDType(backend.indexSelect(s(x), index, outer, dimSize, inner, count), x.dtype),
    indexAdd: (src, index, outer, dimSize, inner, count) =>
      asDType(backend.indexAdd(s(src), index, outer, dimSize, inner, count), src.dtype),
    sparseMm: (rows, cols, values, dense, m, n, dtype) =>
      asDType(backend.sparseMm(rows, cols, s(values), v(dense), m, n, c(dtype)), dtype),
    sampledDot: (rows, cols, a, b, dtype) => asDType(backend.sampledDot(rows, cols, v(a), v(b), c(dtype)), dtype),
  };
}
