/**
 * Parameters, as torch.nn.Parameter: a detached leaf tensor with requiresGrad, marked so that assigning it
 * to a module property registers it (`this.scale = parameter(ones([n]))`), as PyTorch's __setattr__ does.
 */
import type { Tensor } from '../tensor/tensor';

/** The tensors made by {@link parameter} (a WeakSet: the mark costs nothing on the tensor itself). */
const PARAMETERS = new WeakSet<Tensor>();

/** Marks a tensor as a trainable parameter: a detached leaf with requiresGrad (as nn.Parameter). */
export function parameter(t: Tensor, requiresGrad = true): Tensor {
  const leaf = t.detach();
  leaf.requiresGrad_(requiresGrad);
  PARAMETERS.add(leaf);
  return leaf;
}

/** True for a tensor made by {@link parameter} (PyTorch's isinstance(x, nn.Parameter)). */
export function isParameter(value: unknown): value is Tensor {
  return PARAMETERS.has(value as Tensor);
}
