/** Adam and AdamW (decoupled weight decay), with bias correction and optional AMSGrad: PyTorch's update rules. */
import type { Tensor } from '../../tensor/tensor';
import { checkNonNegative, descentGrad, Optimizer, optimizerOptions, type ParamState, type Params } from './optimizer';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * One Adam step (after any weight decay has been applied), as PyTorch's single-tensor Adam:
 *   m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²,  t ← t + 1
 *   v̂ = max(v̂, v) with AMSGrad, else v
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
 */
function adamStep(p: Tensor, grad: Tensor, group: AdamOptions, state: ParamState): void {
  const { lr, betas: [beta1, beta2], eps, amsgrad } = group;
  const step = ((state.step as number | undefined) ?? 0) + 1;
  const expAvg = ((state.expAvg as Tensor | undefined) ?? p.zerosLike()).mul(beta1).add(grad.mul(1 - beta1));
  const expAvgSq = ((state.expAvgSq as Tensor | undefined) ?? p.zerosLike()).mul(beta2).add(grad.mul(grad).mul(1 - beta2));
  Object.assign(state, { step, expAvg, expAvgSq });
  const stepSize = lr / (1 - beta1 ** step);
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
  let second = expAvgSq;
  if (amsgrad) {
    second = ((state.maxExpAvgSq as Tensor | undefined) ?? p.zerosLike()).maximum(expAvgSq);
    state.maxExpAvgSq = second;
  }
  const denom = second.sqrt().div(biasCorrection2Sqrt).add(eps);
  p.copy_(p.sub(expAvg.div(denom).mul(stepSize)));
}

function validateAdam(group: AdamOptions): void {
  checkNonNegative(group.lr, 'learning rate');
  checkNonNegative(group.eps, 'epsilon value');
  const [beta1, beta2] = group.betas;
  if (!(beta1 >= 0 && beta1 < 1)) throw new Error(`Invalid beta parameter at index 0: ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new Error(`Invalid beta parameter at index 1: ${beta2}`);
  checkNonNegative(group.weightDecay, 'weight_decay value');
}

/**
 * torch.optim.Adam: weight decay is L2 regularisation added to the gradient (g ← g + wd·p) before the
 * moments. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0, amsgrad false.
 */
export class Adam extends Optimizer<AdamOptions> {
  /** @param options the hyper-parameters, or the learning rate alone (`new Adam(params, 1e-3)`, as PyTorch's positional lr) */
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super(params, optimizerOptions('Adam', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options));
  }

  protected validate(group: AdamOptions): void {
    validateAdam(group);
  }

  protected update(p: Tensor, grad: Tensor, group: AdamOptions, state: ParamState): void {
    let g = descentGrad(grad, group.maximize);
    if (group.weightDecay !== 0) g = g.add(p.mul(group.weightDecay));
    adamStep(p, g, group, state);
  }
}

/**
 * torch.optim.AdamW: decoupled weight decay, p ← p·(1 − lr·wd), applied before the Adam step.
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 1e-2, amsgrad false.
 */
export class AdamW extends Optimizer<AdamOptions> {
  /** @param options the hyper-parameters, or the learning rate alone (`new AdamW(params, 1e-3)`, as PyTorch's positional lr) */
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super(params, optimizerOptions('AdamW', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options));
  }

  protected validate(group: AdamOptions): void {
    validateAdam(group);
  }

  protected update(p: Tensor, grad: Tensor, group: AdamOptions, state: ParamState): void {
    if (group.weightDecay !== 0) p.copy_(p.mul(1 - group.lr * group.weightDecay));
    adamStep(p, descentGrad(grad, group.maximize), group, state);
  }
}
