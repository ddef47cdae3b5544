/** SGD with momentum, dampening, Nesterov momentum and L2 weight decay: PyTorch's update rule. */
import type { Tensor } from '../../tensor/tensor';
import { checkNonNegative, descentGrad, Optimizer, optimizerOptions, type ParamState, type Params } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * torch.optim.SGD. Per step, with g the gradient:
 *   g ← g + weightDecay·p;
 *   with momentum: b ← g on the first step, else b ← momentum·b + (1 − dampening)·g;
 *                  g ← g + momentum·b (Nesterov) or g ← b;
 *   p ← p − lr·g.
 * Defaults: lr 1e-3, momentum 0, dampening 0, weightDecay 0, nesterov false.
 */
export class SGD extends Optimizer<SGDOptions> {
  /** @param options the hyper-parameters, or the learning rate alone (`new SGD(params, 0.1)`, as PyTorch's positional lr) */
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> | number = {}) {
    super(params, optimizerOptions('SGD', { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options));
  }

  protected validate(group: SGDOptions): void {
    checkNonNegative(group.lr, 'learning rate');
    checkNonNegative(group.momentum, 'momentum value');
    checkNonNegative(group.weightDecay, 'weight_decay value');
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new Error('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected update(p: Tensor, grad: Tensor, group: SGDOptions, state: ParamState): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let d = descentGrad(grad, maximize);
    if (weightDecay !== 0) d = d.add(p.mul(weightDecay));
    if (momentum !== 0) {
      const previous = state.momentumBuffer as Tensor | undefined;
      const buffer = previous === undefined ? d.clone() : previous.mul(momentum).add(d.mul(1 - dampening));
      state.momentumBuffer = buffer;
      d = nesterov ? d.add(buffer.mul(momentum)) : buffer;
    }
    p.copy_(p.sub(d.mul(lr)));
  }
}
