/** A multi-layer perceptron with numbered Linear layers (`layers.0`, `layers.1`, …), for tests and examples. */
import { expectTensor } from '../../tensor/expect';
import type { Tensor } from '../../tensor/tensor';
import { activationByName } from '../functional/activation';
import { ModuleList } from '../layers/containers';
import { Dropout } from '../layers/dropout';
import { Linear } from '../layers/linear';
import { SeededModel } from './blocks';

export interface MLPConfig {
  inFeatures: number;
  /** Widths of the hidden layers (may be empty: a single Linear). */
  hiddenSizes: number[];
  outFeatures: number;
  /** A Hugging Face activation name between layers: 'relu' (default), 'gelu', 'tanh', … */
  activation: string;
  /** Dropout after each hidden activation (default 0). */
  dropout: number;
  bias: boolean;
  /** Seed of the model's Generator (weight init and dropout). */
  seed: number;
}

export const MLP_DEFAULTS: Omit<MLPConfig, 'inFeatures' | 'outFeatures'> = { hiddenSizes: [], activation: 'relu', dropout: 0, bias: true, seed: 0 };

/** Linear → act → dropout → … → Linear, with PyTorch's default Linear initialisation. */
export class MLP extends SeededModel<MLPConfig> {
  declare layers: ModuleList<Linear>;
  declare dropout: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: Partial<MLPConfig> & Pick<MLPConfig, 'inFeatures' | 'outFeatures'>) {
    super({ ...MLP_DEFAULTS, ...config });
    this.act = activationByName(this.config.activation);
    const widths = [this.config.inFeatures, ...this.config.hiddenSizes, this.config.outFeatures];
    const layers = widths.slice(1).map((out, i) => new Linear(widths[i], out, { bias: this.config.bias, generator: this.generator }));
    this.registerModule('layers', new ModuleList(layers));
    this.registerModule('dropout', new Dropout(this.config.dropout, { generator: this.generator }));
  }

  /** x (..., inFeatures) → (..., outFeatures). */
  override forward(x: Tensor): Tensor {
    expectTensor(x, 'MLP');
    const layers = [...this.layers];
    return layers.reduce((h, layer, i) => {
      const y = layer.forward(h);
      return i === layers.length - 1 ? y : this.dropout.forward(this.act(y));
    }, x);
  }
}
