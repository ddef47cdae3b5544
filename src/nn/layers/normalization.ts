/** LayerNorm, as nn.LayerNorm: weight ones, bias zeros, eps 1e-5 by default. */
import { ones, zeros } from '../../tensor/create';
import type { DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { checked } from '../functional/activation';
import { layerNorm } from '../functional/normalization';
import { Module, parameter } from '../module';
import { pyBool, pyFloat } from '../repr';

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether to learn a bias too (default true). */
  bias?: boolean;
  dtype?: DType;
}

export class LayerNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  /** Normalises over the trailing dims `normalizedShape` (a number means one dim of that size). */
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const affine = this.elementwiseAffine;
    this.registerParameter('weight', affine ? parameter(ones(this.normalizedShape, { dtype: options.dtype })) : null);
    const withBias = affine && options.bias !== false;
    this.registerParameter('bias', withBias ? parameter(zeros(this.normalizedShape, { dtype: options.dtype })) : null);
  }

  /** x (..., *normalizedShape) → same shape. */
  override forward(x: Tensor): Tensor {
    return layerNorm(checked(x, 'LayerNorm'), this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
