/** CPU reductions over the inner axis of a contiguous (outer, inner) buffer, accumulating in float64. */
import type { ReduceOp } from '../backend';
import { allocArray, type DType, type TypedArray } from '../dtype';
import { numelOf } from '../shape';
import { isContiguousView, type View } from '../storage';
import { copyView, dataOf, forEachRow } from './elementwise';

export function reduceRowsKernel(op: ReduceOp, x: TypedArray, dtype: DType, outer: number, inner: number): TypedArray {
  const outDtype: DType = op === 'argmax' || op === 'argmin' ? 'int32' : dtype;
  const out = allocArray(outDtype, outer);
  if (inner === 0 && op !== 'sum') {
    throw new Error(`${op}: cannot reduce over an empty dimension (it has no identity)`);
  }
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    switch (op) {
      case 'sum': {
        // Four partial sums: fewer dependent adds, and slightly better rounding than one running sum.
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let j = 0;
        for (; j + 4 <= inner; j += 4) {
          s0 += x[base + j]; s1 += x[base + j + 1]; s2 += x[base + j + 2]; s3 += x[base + j + 3];
        }
        for (; j < inner; j++) s0 += x[base + j];
        out[o] = (s0 + s1) + (s2 + s3);
        break;
      }
      case 'max': case 'argmax': {
        let best = x[base], at = 0;
        for (let j = 1; j < inner; j++) {
          const v = x[base + j];
          if (v > best || (v !== v && best === best)) { best = v; at = j; }
        }
        out[o] = op === 'max' ? best : at;
        break;
      }
      case 'min': case 'argmin': {
        let best = x[base], at = 0;
        for (let j = 1; j < inner; j++) {
          const v = x[base + j];
          if (v < best || (v !== v && best === best)) { best = v; at = j; }
        }
        out[o] = op === 'min' ? best : at;
        break;
      }
    }
  }
  return out;
}

/**
 * Reduces a strided view laid out as (kept dims..., `reducedDims` reduced dims) without copying it first:
 * contiguous views are reduced in place; views whose kept dims have the smaller strides (a sum over the batch
 * dim, as every bias gradient does) are accumulated slab by slab in memory order. Other layouts (and
 * argmax/argmin, which need each row's first hit) are copied to rows first.
 */
export function reduceViewKernel(op: ReduceOp, x: View, reducedDims: number): TypedArray {
  const data = dataOf(x);
  const split = x.shape.length - reducedDims;
  const keptShape = x.shape.slice(0, split);
  const keptStrides = x.strides.slice(0, split);
  const reducedShape = x.shape.slice(split);
  const reducedStrides = x.strides.slice(split);
  const outer = numelOf(keptShape);
  const inner = numelOf(reducedShape);
  if (isContiguousView(x.shape, x.strides)) {
    return reduceRowsKernel(op, data.subarray(x.offset, x.offset + outer * inner), x.dtype, outer, inner);
  }
  const smallest = (strides: readonly number[], shape: readonly number[]) =>
    Math.min(Infinity, ...strides.filter((_, i) => shape[i] > 1).map(Math.abs));
  const slabs = op !== 'argmax' && op !== 'argmin' && inner > 0 &&
    smallest(keptStrides, keptShape) < smallest(reducedStrides, reducedShape);
  if (!slabs) return reduceRowsKernel(op, copyView(x, x.dtype), x.dtype, outer, inner);
  // acc[o] ∘= x[slab + o] for every position (slab) of the reduced dims, walking the kept dims innermost.
  const acc = op === 'sum' ? new Float64Array(outer) : allocArray(x.dtype, outer);
  const rowStride = keptStrides[keptStrides.length - 1];
  let first = true;
  forEachRow([...reducedShape, 1], [...reducedStrides, 0], x.offset, [...reducedStrides, 0], 0, (slab) => {
    forEachRow(keptShape, keptStrides, slab, keptStrides, 0, (ia, _ib, io, n) => {
      accumulateRow(op, acc, io, data, ia, rowStride, n, first);
    });
    first = false;
  });
  if (op !== 'sum') return acc;
  const out = allocArray(x.dtype, outer);
  out.set(acc);
  return out;
}

function accumulateRow(op: ReduceOp, acc: TypedArray, io: number, x: TypedArray, ia: number, s: number, n: number, first: boolean): void {
  if (first) {
    for (let j = 0; j < n; j++) acc[io + j] = x[ia + j * s];
    return;
  }
  switch (op) {
    case 'sum': for (let j = 0; j < n; j++) acc[io + j] += x[ia + j * s]; return;
    case 'max':
      for (let j = 0; j < n; j++) {
        const v = x[ia + j * s], best = acc[io + j];
        if (v > best || (v !== v && best === best)) acc[io + j] = v;
      }
      return;
    case 'min':
      for (let j = 0; j < n; j++) {
        const v = x[ia + j * s], best = acc[io + j];
        if (v < best || (v !== v && best === best)) acc[io + j] = v;
      }
      return;
    default: throw new Error(`reduce: ${op} has no slab form`);
  }
}
