/** CPU reductions over the inner axis of a contiguous (outer, inner) buffer, accumulating in float64. */
import type { ReduceOp } from '../backend';
import { allocArray, type DType, type TypedArray } from '../dtype';

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
