/** Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. */
import { noGrad } from '../../autograd/graph';
import { full } from '../../tensor/create';
import { stack } from '../../tensor/ops/view';
import type { Tensor } from '../../tensor/tensor';

/**
 * Scales every gradient by min(1, maxNorm / (total + 1e-6)), where total is the normType-norm of all
 * gradients together (the norm of the per-parameter norms; Infinity for the max-abs norm). Returns the total
 * norm before clipping as a 0-d tensor. Parameters without a gradient are skipped.
 */
export function clipGradNorm(
  parameters: Iterable<Tensor>, maxNorm: number, normType = 2, options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const grads = [...parameters].map((p) => p.grad).filter((g): g is Tensor => g !== null);
  return noGrad(() => {
    if (grads.length === 0) return full([], 0); // torch returns tensor(0.) when no parameter has a gradient
    const norms = grads.map((g) => (normType === Infinity ? g.abs().amax() : g.norm(normType)));
    const dtype = norms[0].dtype;
    const stacked = stack(norms.map((n) => n.to(dtype)));
    const total = normType === Infinity ? stacked.amax() : stacked.norm(normType);
    const value = total.item();
    if (options.errorIfNonfinite && !Number.isFinite(value)) {
      throw new Error(`The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped.`);
    }
    // In the norm's dtype, as PyTorch: clamp(maxNorm / (total + 1e-6), max=1).
    const coef = full([], maxNorm, { dtype, device: total.device }).div(total.add(1e-6)).clamp(null, 1);
    for (const g of grads) g.copy_(g.mul(coef.to(g.device)));
    return total;
  });
}

/** Clamps every gradient to [−clipValue, clipValue]. */
export function clipGradValue(parameters: Iterable<Tensor>, clipValue: number): void {
  noGrad(() => {
    for (const p of parameters) if (p.grad) p.grad.copy_(p.grad.clamp(-clipValue, clipValue));
  });
}
