/** Dropout, as nn.Dropout, with its own seeded Generator so training runs are reproducible. */
import { Generator } from '../../tensor/random';
import type { Tensor } from '../../tensor/tensor';
import { checked, dropout } from '../functional/activation';
import { Module } from '../module';
import { pyFloat } from '../repr';

export interface DropoutLayerOptions {
  /** The random stream (share one across a model's Dropouts); default a new Generator(seed). */
  generator?: Generator;
  /** Seed of the layer's own Generator when none is given (default 0). */
  seed?: number;
}

export class Dropout extends Module {
  readonly generator: Generator;

  /** Zeroes each element with probability p in training mode (scaling the rest by 1/(1−p)); identity in eval. */
  constructor(readonly p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
    this.generator = options.generator ?? new Generator(options.seed ?? 0);
  }

  override forward(x: Tensor): Tensor {
    return dropout(checked(x, 'Dropout'), this.p, { training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
