/**
 * The few primitives a device must provide. Everything else in the engine (broadcasting, reductions over
 * several dims, softmax, losses, the gradients) is built on these by the front end, tinygrad-style, so a new
 * device only implements this interface. Inputs are strided views; outputs are fresh contiguous storages.
 */
import type { Device, DType, TypedArray } from './dtype';
import type { Storage, View } from './storage';

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu'
  | 'gelu' | 'geluTanh' | 'erf' | 'reciprocal' | 'square' | 'floor' | 'ceil' | 'round' | 'log1p' | 'expm1'
  | 'step' | 'geluGrad' | 'geluTanhGrad';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

export interface MatmulArgs {
  /** Broadcast batch count; a and b are views already expanded to (batch, m, k) and (batch, k, n). */
  batch: number;
  m: number;
  k: number;
  n: number;
}

export interface Backend {
  readonly device: Device;
  /** Uploads host values (copied). */
  fromArray(data: TypedArray, dtype: DType): Storage;
  /** Downloads a view as a row-major typed array of its dtype (may share memory when already contiguous). */
  toArray(view: View): TypedArray;
  /** Storage of `size` elements, all equal to `value`. */
  full(size: number, value: number, dtype: DType): Storage;
  /** Row-major copy of a view, converted to `dtype`. */
  copy(view: View, dtype: DType): Storage;
  /** out[i] = op(x[i]) (same shape as the view), computed and stored in `dtype`. */
  unary(op: UnaryOp, x: View, dtype: DType): Storage;
  /** out[i] = op(a[i], b[i]); a and b have the same (broadcast) shape, possibly with zero strides. */
  binary(op: BinaryOp, a: View, b: View, dtype: DType): Storage;
  /** out[i] = cond[i] != 0 ? a[i] : b[i], all three of the same (broadcast) shape. */
  where(cond: View, a: View, b: View, dtype: DType): Storage;
  /** Reduces a contiguous (outer, inner) storage over `inner`: outer results (argmax/argmin give int32). */
  reduceRows(op: ReduceOp, x: Storage, outer: number, inner: number): Storage;
  /**
   * Optional: reduceRows over a strided view laid out as (kept dims..., `reducedDims` reduced dims), for
   * devices that can do it without first copying the view to rows (the cpu device does).
   */
  reduceView?(op: ReduceOp, x: View, reducedDims: number): Storage;
  /** Batched (batch, m, k) × (batch, k, n) → contiguous (batch, m, n). */
  matmul(a: View, b: View, args: MatmulArgs, dtype: DType): Storage;
  /**
   * Gather along the last axis of contiguous (outer, inner) `x` with int32 `index` of shape (outer, count):
   * out[o, j] = x[o, index[o, j]].
   */
  gatherRows(x: Storage, index: Storage, outer: number, inner: number, count: number): Storage;
  /** Inverse of gatherRows: out (outer, inner) zeros, out[o, index[o, j]] += src[o, j]. */
  scatterAddRows(src: Storage, index: Storage, outer: number, inner: number, count: number): Storage;
  /**
   * Select along the middle axis of contiguous (outer, dimSize, inner) `x` with int32 `index` of length
   * `count`: out (outer, count, inner), out[o, j, i] = x[o, index[j], i].
   */
  indexSelect(x: Storage, index: Storage, outer: number, dimSize: number, inner: number, count: number): Storage;
  /** Inverse of indexSelect: out (outer, dimSize, inner) zeros, out[o, index[j], i] += src[o, j, i]. */
  indexAdd(src: Storage, index: Storage, outer: number, dimSize: number, inner: number, count: number): Storage;
  /** COO (rows, cols) × dense (k, n) → (m, n): out[rows[t], :] += values[t] · dense[cols[t], :]. */
  sparseMm(rows: Storage, cols: Storage, values: Storage, dense: View, m: number, n: number, dtype: DType): Storage;
  /** Per-entry dot products: out[t] = Σ_j a[rows[t], j] · b[cols[t], j] (the gradient of sparseMm's values). */
  sampledDot(rows: Storage, cols: Storage, a: View, b: View, dtype: DType): Storage;
}

const backends = new Map<Device, Backend>();

/** Installs the implementation of a device (the gpu device registers itself when loaded). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.device, backend);
}

export function backendFor(device: Device): Backend {
  const backend = backends.get(device);
  if (!backend) throw new Error(`device '${device}' is not available (no backend registered for it)`);
  return backend;
}
