/** Test-time measurement: accuracy, mean cross-entropy and the predicted classes of a classifier on a set. */
import { noGrad } from '../autograd/graph';
import { crossEntropy } from '../nn/functional/loss';
import type { Module } from '../nn/module';
import type { Device } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { chunks, makeBatch } from './batches';
import type { DigitSet } from './data';

/** Maps a batch of pixels `(B, 1, 28, 28)` to class logits `(B, classes)`. */
export type LogitsFn = (pixels: Tensor) => Tensor;

/** What {@link evaluate} measures. */
export interface Evaluation {
  /** Fraction of correct predictions, in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy over the set. */
  loss: number;
  /** The predicted class of every sample, in the set's order. */
  predictions: Int32Array;
}

/**
 * Runs `logits` over `set` in batches, without recording gradients and with `module` in eval mode (its
 * previous mode is restored afterwards).
 */
export function evaluate(module: Module, logits: LogitsFn, set: DigitSet, options: { batchSize?: number; device?: Device } = {}): Evaluation {
  const { batchSize = 250, device = 'cpu' } = options;
  const wasTraining = module.training;
  module.eval();
  try {
    return noGrad(() => {
      const predictions = new Int32Array(set.count);
      let lossSum = 0;
      let correct = 0;
      for (const indices of chunks(set.count, batchSize)) {
        const batch = makeBatch(set, indices, device);
        const out = logits(batch.pixels);
        lossSum += crossEntropy(out, batch.labels, { reduction: 'sum' }).item();
        const predicted = out.argmax(-1).cpu().data();
        for (let i = 0; i < indices.length; i++) {
          predictions[indices[i]] = predicted[i];
          if (predicted[i] === set.labels[indices[i]]) correct++;
        }
      }
      return { accuracy: set.count === 0 ? NaN : correct / set.count, loss: lossSum / set.count, predictions };
    });
  } finally {
    module.train(wasTraining);
  }
}
