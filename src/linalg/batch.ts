/**
 * Between tensors and kernels: read a (..., m, n) tensor as a batch of float64 matrices, check it,
 * run a kernel on each matrix, and stack the results back into float64 tensors.
 */
import { type Tensor, broadcastShapes, formatShape, tensor } from '../tensor';
import { type Mat, mat } from './kernels/mat';

/** A tensor of shape (...batch, rows, cols) seen as `count` row-major float64 matrices. */
export interface MatrixBatch {
  batchShape: number[];
  rows: number;
  cols: number;
  count: number;
  /** Matrix i (a view into the tensor's values: kernels only read their inputs). */
  at(i: number): Mat;
}

/** The tensor's values as float64 (a copy only when the dtype is not already float64). */
export function float64Values(t: Tensor): Float64Array {
  const values = t.data();
  return values instanceof Float64Array ? values : Float64Array.from(values);
}

/**
 * Reads `t` as a batch of matrices for `fn`, checking that it has at least two dimensions, that
 * its matrices are square when `square`, and that every value is finite.
 */
export function matrixBatch(t: Tensor, fn: string, square = false): MatrixBatch {
  const shape = t.shape;
  if (shape.length < 2) {
    throw new Error(`${fn}: expected a tensor of shape (..., m, n) with at least 2 dimensions, got shape ${formatShape(shape)}`);
  }
  const rows = shape[shape.length - 2], cols = shape[shape.length - 1];
  if (square && rows !== cols) {
    throw new Error(`${fn}: expected square matrices (..., n, n), got shape ${formatShape(shape)}`);
  }
  const values = float64Values(t);
  assertFinite(values, fn, shape);
  const batchShape = shape.slice(0, -2);
  const size = rows * cols;
  return {
    batchShape, rows, cols,
    count: batchShape.reduce((a, b) => a * b, 1),
    at: (i) => mat(rows, cols, values.subarray(i * size, (i + 1) * size)),
  };
}

/** Throws `<fn>: expected finite values, got NaN or Infinity in the input of shape (…)`. */
export function assertFinite(values: Float64Array, fn: string, shape: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${fn}: expected finite values, got ${values[i]} in the input of shape ${formatShape(shape)}`);
    }
  }
}

/**
 * Runs `kernel` on each matrix of the batch; an error from batch element i of a batched input is
 * rethrown as `<fn>: (batch element i) …` so the caller knows which matrix failed.
 */
export function mapBatch<T>(batch: MatrixBatch, fn: string, kernel: (a: Mat) => T): T[] {
  const out: T[] = [];
  const batched = batch.batchShape.length > 0;
  for (let i = 0; i < batch.count; i++) out.push(atBatchElement(fn, i, batched, () => kernel(batch.at(i))));
  return out;
}

/** Runs `work`; when the input is batched, its error message names batch element `index`. */
export function atBatchElement<T>(fn: string, index: number, batched: boolean, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (!batched || !(err instanceof Error)) throw err;
    const detail = err.message.startsWith(`${fn}: `) ? err.message.slice(fn.length + 2) : err.message;
    throw new Error(`${fn}: (batch element ${index}) ${detail}`);
  }
}

/** Stacks equally shaped matrices into a float64 tensor of shape (...batchShape, rows, cols). */
export function stackMatrices(batchShape: readonly number[], mats: readonly Mat[], rows: number, cols: number): Tensor {
  const size = rows * cols;
  const data = new Float64Array(mats.length * size);
  mats.forEach((m, i) => data.set(m.data, i * size));
  return tensor(data, { dtype: 'float64', shape: [...batchShape, rows, cols] });
}

/** Stacks equally long vectors into a float64 tensor of shape (...batchShape, length). */
export function stackVectors(batchShape: readonly number[], vectors: readonly Float64Array[], length: number): Tensor {
  const data = new Float64Array(vectors.length * length);
  vectors.forEach((v, i) => data.set(v, i * length));
  return tensor(data, { dtype: 'float64', shape: [...batchShape, length] });
}

/** One number per matrix as a float64 tensor of shape batchShape (0-d for a single matrix). */
export function stackScalars(batchShape: readonly number[], values: readonly number[]): Tensor {
  return tensor(Float64Array.from(values), { dtype: 'float64', shape: [...batchShape] });
}

/**
 * For `solve`: the broadcast batch shape of A's and B's batch dimensions and, for each output
 * matrix, which matrix of A and of B it uses.
 */
export function broadcastBatches(
  aBatch: readonly number[], bBatch: readonly number[], fn: string,
): { shape: number[]; aIndex: number[]; bIndex: number[] } {
  const shape = broadcastShapes(aBatch, bBatch, fn);
  const count = shape.reduce((x, y) => x * y, 1);
  const aIndex: number[] = [], bIndex: number[] = [];
  for (let flat = 0; flat < count; flat++) {
    aIndex.push(sourceIndex(flat, shape, aBatch));
    bIndex.push(sourceIndex(flat, shape, bBatch));
  }
  return { shape, aIndex, bIndex };
}

/** The flat index into a (broadcast) source batch of the output batch element `flat`. */
function sourceIndex(flat: number, shape: readonly number[], source: readonly number[]): number {
  let index = 0, stride = 1, rest = flat;
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  for (let d = source.length - 1; d >= 0; d--) {
    const coord = coords[d + shape.length - source.length];
    index += (source[d] === 1 ? 0 : coord) * stride;
    stride *= source[d];
  }
  return index;
}
