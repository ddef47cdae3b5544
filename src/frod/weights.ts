/**
 * Conversions between Tensors and the float64 matrices of the FRoD math, in the `(out, in)` orientation of
 * spec §1 (a GPT-2 Conv1D weight, stored `(in, out)`, is transposed on the way in and back on the way out).
 */
import { type Mat, mat, transposeInto } from '../linalg/kernels/mat';
import { type DType, type Tensor, tensor } from '../tensor';

/** A base weight as stored in a model or a safetensors file. */
export interface BaseWeight {
  /** `(out, in)`, or `(in, out)` when `fanInFanOut` (GPT-2 Conv1D). */
  readonly weight: Tensor;
  readonly fanInFanOut: boolean;
  /**
   * The stored shape when it is known without reading the weight (a file's header: `frod merge` reads each
   * weight from disk only when its turn comes); default `weight.shape`.
   */
  readonly shape?: readonly number[];
}

/** Module path (without `.weight`) → its weight. */
export type BaseWeights = ReadonlyMap<string, BaseWeight>;

/** `(rows, cols)` of a 2-D weight in the (out, in) orientation. */
export function weightShape(base: BaseWeight, path: string): { outFeatures: number; inFeatures: number } {
  const { fanInFanOut } = base;
  const shape = base.shape ?? base.weight.shape;
  if (shape.length !== 2) {
    throw new Error(`FRoD: module '${path}' has a weight of shape (${shape.join(',')}); only 2-D Linear / Conv1D weights can be adapted`);
  }
  const [rows, cols] = shape;
  return fanInFanOut ? { outFeatures: cols, inFeatures: rows } : { outFeatures: rows, inFeatures: cols };
}

/** The weight as a float64 `(out, in)` matrix (a copy; the tensor is not modified). */
export function weightMatrix(base: BaseWeight, path: string): Mat {
  const { outFeatures, inFeatures } = weightShape(base, path);
  const values = base.weight.data();
  const out = mat(outFeatures, inFeatures);
  if (!base.fanInFanOut) {
    out.data.set(values);
    return out;
  }
  const stored = values instanceof Float64Array ? values : Float64Array.from(values);
  transposeInto(stored, inFeatures, outFeatures, out.data);
  return out;
}

/** A float64 `(out, in)` matrix as a tensor of `dtype`, transposed to `(in, out)` when `fanInFanOut`. */
export function matrixToWeight(m: Mat, dtype: DType, fanInFanOut: boolean): Tensor {
  if (!fanInFanOut) return tensor(m.data, { dtype, shape: [m.rows, m.cols] });
  const t = new Float64Array(m.data.length);
  transposeInto(m.data, m.rows, m.cols, t);
  return tensor(t, { dtype, shape: [m.cols, m.rows] });
}

/** A tensor's values as float64 (a copy). */
export function toFloat64(t: Tensor): Float64Array {
  return Float64Array.from(t.data());
}

/** A 2-D tensor as a float64 matrix (a copy). */
export function tensorToMat(t: Tensor, what: string): Mat {
  if (t.ndim !== 2) throw new Error(`${what}: expected a 2-D tensor, got shape (${t.shape.join(',')})`);
  return mat(t.shape[0], t.shape[1], toFloat64(t));
}

/** Rounds float64 values to what `dtype` stores (float32 rounding; float64 unchanged), as a new array. */
export function roundToDType(values: Float64Array, dtype: DType): Float64Array {
  if (dtype === 'float64') return values.slice();
  if (dtype === 'float32') return Float64Array.from(Float32Array.from(values));
  throw new Error(`FRoD: expected a floating dtype, got ${dtype}`);
}

/** The float dtype FRoD tensors take for a set of weights: float64 only when every weight is float64. */
export function adapterDType(weights: Iterable<Tensor>): DType {
  for (const w of weights) if (w.dtype !== 'float64') return 'float32';
  return 'float64';
}
