/**
 * From digit sets to model inputs: normalised pixel tensors `(B, 1, 28, 28)` and int32 label tensors, and a
 * seeded sampler that walks the training set in a fresh shuffled order every epoch.
 */
import { fromTypedArray } from '../tensor';
import type { Device } from '../tensor/dtype';
import { Generator } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { IMAGE_PIXELS, type DigitSet } from './data';

/** Pixel normalisation (ViTImageProcessor's defaults for one channel): x ↦ (x − mean) / std. */
export const PIXEL_MEAN = 0.5;
export const PIXEL_STD = 0.5;

/** One batch: pixels `(B, 1, 28, 28)` float32 and labels `(B,)` int32. */
export interface Batch {
  pixels: Tensor;
  labels: Tensor;
}

/** The samples of `set` at `indices` as a batch on `device`. */
export function makeBatch(set: DigitSet, indices: ArrayLike<number>, device: Device = 'cpu'): Batch {
  const n = indices.length;
  const pixels = new Float32Array(n * IMAGE_PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    const from = k * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) pixels[i * IMAGE_PIXELS + p] = (set.images[from + p] - PIXEL_MEAN) / PIXEL_STD;
    labels[i] = set.labels[k];
  }
  return {
    pixels: fromTypedArray(pixels, [n, 1, 28, 28], { device }),
    labels: fromTypedArray(labels, [n], { device }),
  };
}

/** Consecutive index ranges [start, end) of at most `size` covering 0..count. */
export function* chunks(count: number, size: number): IterableIterator<Int32Array> {
  for (let start = 0; start < count; start += size) {
    const end = Math.min(count, start + size);
    const indices = new Int32Array(end - start);
    for (let i = 0; i < indices.length; i++) indices[i] = start + i;
    yield indices;
  }
}

/**
 * Draws training batches without replacement within an epoch; each epoch's order is a new permutation from
 * a generator seeded by `seed`, so two samplers with the same seed give the same batches.
 */
export class BatchSampler {
  private readonly generator: Generator;
  private order: Int32Array = new Int32Array(0);
  private position = 0;

  constructor(private readonly count: number, private readonly batchSize: number, seed: number) {
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`BatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    if (count < batchSize) throw new Error(`BatchSampler: need at least batchSize = ${batchSize} samples, got ${count}`);
    this.generator = new Generator(`batches-${seed}`);
  }

  /** The indices of the next batch (a partial batch at an epoch's end is dropped). */
  next(): Int32Array {
    if (this.position + this.batchSize > this.order.length) {
      this.order = this.generator.permutation(this.count);
      this.position = 0;
    }
    const batch = this.order.slice(this.position, this.position + this.batchSize);
    this.position += this.batchSize;
    return batch;
  }
}
