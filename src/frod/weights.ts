/**
 * Conversions between Tensors and the float64 matrices of the FRoD math, in the `(out, in)` orientation of
 * docs/frod-math.md §3 (a GPT-2 Conv1D weight, stored `(in, out)`, is transposed on the way in and back on the way out).
 */
import { type Mat, mat, transposeInto } from '../linalg/kernels/mat';
import { type DType, type Tensor, tensor } from '../tensor';
import { isHalf, roundToHalf } from '../tensor/half';

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

/**
 * The largest `in_features` FRoD accepts: the category's projection V and the matrices of its decomposition
 * are (in, in), and frod-ts keeps each matrix in one typed array of fewer than 2^31 values.
 */
export const MAX_IN_FEATURES = 46_340;

/**
 * The largest weight magnitude FRoD accepts per dtype: the square root of the dtype's maximum (2^64 ≈ 1.8e19
 * for float32, 2^512 for float64). FRoD's factors grow with the weight (V = RᵀE carries its scale, λ its
 * singular values) and the forward multiplies them by the input, so past this they overflow to infinity where
 * the base layer's own products may not. Trained models stay many orders of magnitude below.
 */
export function maxWeightMagnitude(dtype: DType): number {
  return dtype === 'float64' ? 2 ** 512 : 2 ** 64;
}

/**
 * The weight as a float64 `(out, in)` matrix, checked to be one FRoD can decompose: every value finite and
 * within {@link maxWeightMagnitude}, `in` at most {@link MAX_IN_FEATURES}. Errors name the module.
 */
export function decomposableWeightMatrix(base: BaseWeight, path: string): Mat {
  const { inFeatures } = weightShape(base, path);
  if (inFeatures > MAX_IN_FEATURES) {
    throw new Error(`FRoD: module '${path}' has in_features ${inFeatures}; its projection V would be (${inFeatures}, ${inFeatures}), more values than frod-ts holds in one matrix (in_features up to ${MAX_IN_FEATURES})`);
  }
  const m = weightMatrix(base, path);
  const limit = maxWeightMagnitude(base.weight.dtype);
  for (let i = 0; i < m.data.length; i++) {
    const value = m.data[i];
    if (Number.isFinite(value) && Math.abs(value) <= limit) continue;
    const where = `row ${Math.floor(i / m.cols)}, column ${i % m.cols} of its (out, in) weight`;
    if (!Number.isFinite(value)) throw new Error(`FRoD: module '${path}': the weight holds ${value} (${where}); FRoD needs finite weights`);
    throw new Error(`FRoD: module '${path}': the weight holds ${value.toExponential(2)} (${where}); FRoD needs |w| ≤ ${limit.toExponential(2)} for ${base.weight.dtype} weights, beyond which its factors overflow (scale the weights down or store them as float64)`);
  }
  return m;
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

/** Rounds float64 values to what `dtype` stores (through float32 for the half formats), as a new array. */
export function roundToDType(values: Float64Array, dtype: DType): Float64Array {
  if (dtype === 'float64') return values.slice();
  if (dtype === 'float32') return Float64Array.from(Float32Array.from(values));
  if (isHalf(dtype)) return Float64Array.from(roundToHalf(Float32Array.from(values), dtype));
  throw new Error(`FRoD: expected a floating dtype, got ${dtype}`);
}

/**
 * The dtype V (and U) take for a set of weights: the weights' own when they all share one floating dtype
 * (float64, float32, float16 or bfloat16: PEFT stores V in the base dtype), else float32.
 */
export function adapterDType(weights: Iterable<Tensor>): DType {
  const dtypes = new Set([...weights].map((w) => w.dtype));
  const [only] = dtypes;
  return dtypes.size === 1 && only !== 'int32' ? only : 'float32';
}
