/**
 * Linear (weight (out, in), y = x·Wᵀ + b) and GPT-2's Conv1D (weight (in, out), y = x·W + b), with
 * PyTorch's / Hugging Face's default initialisations.
 */
import { randn, rand, zeros } from '../../tensor/create';
import type { DType } from '../../tensor/dtype';
import type { Generator } from '../../tensor/random';
import type { Tensor } from '../../tensor/tensor';
import { affine } from '../functional/activation';
import { Module, parameter } from '../module';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

/** Uniform(−bound, bound) of a shape. */
function uniform(shape: number[], bound: number, options: LinearOptions): Tensor {
  return rand(shape, { dtype: options.dtype, generator: options.generator }).mul(2 * bound).sub(bound);
}

export class Linear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;

  /** kaiming_uniform(a=√5) for the weight and U(±1/√in) for the bias, as nn.Linear. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.registerParameter('weight', parameter(uniform([outFeatures, inFeatures], bound, options)));
    this.registerParameter('bias', options.bias === false ? null : parameter(uniform([outFeatures], bound, options)));
  }

  /** x (..., in) → (..., out). */
  override forward(x: Tensor): Tensor {
    return affine(x, this.weight.t(), this.bias, 'Linear');
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/**
 * GPT-2's Conv1D: a linear layer whose weight is stored transposed, (nx = in, nf = out). Weight ~ N(0, 0.02²),
 * bias zeros, as Hugging Face initialises it.
 */
export class Conv1D extends Module {
  declare weight: Tensor;
  declare bias: Tensor;

  constructor(readonly nf: number, readonly nx: number, options: Omit<LinearOptions, 'bias'> = {}) {
    super();
    this.registerParameter('weight', parameter(randn([nx, nf], { dtype: options.dtype, generator: options.generator }).mul(0.02)));
    this.registerParameter('bias', parameter(zeros([nf], { dtype: options.dtype })));
  }

  get inFeatures(): number {
    return this.nx;
  }

  get outFeatures(): number {
    return this.nf;
  }

  /** x (..., nx) → (..., nf). */
  override forward(x: Tensor): Tensor {
    return affine(x, this.weight, this.bias, 'Conv1D');
  }

  override extraRepr(): string {
    return `nf=${this.nf}, nx=${this.nx}`;
  }
}
