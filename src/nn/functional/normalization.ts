/** Layer normalisation as one graph node with its closed-form gradients. */
import { noGrad, record } from '../../autograd/graph';
import { fromTypedArray } from '../../tensor/create';
import { expectTensor } from '../../tensor/expect';
import { formatShape, numelOf } from '../../tensor/shape';
import { layerNormBackward, layerNormForward } from './layerNormKernel';
import type { Tensor } from '../../tensor/tensor';

/**
 * F.layer_norm: normalises x (..., *normalizedShape) over its last normalizedShape.length dims with the
 * biased variance, then applies weight and bias (shape normalizedShape) when given.
 *
 * Gradient w.r.t. x, with x̂ = (x − μ)·r, r = 1/√(σ² + eps), ĝ = g·weight, means over the normalised dims:
 *   dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
 */
export function layerNorm(
  x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  expectTensor(x, 'layerNorm');
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`layerNorm: input of shape ${formatShape(x.shape)} does not end with normalized_shape ${formatShape(normalizedShape)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== k || t.shape.some((d, i) => d !== normalizedShape[i]))) {
      throw new Error(`layerNorm: ${name} of shape ${formatShape(t.shape)} does not match normalized_shape ${formatShape(normalizedShape)}`);
    }
  }
  if (x.dtype === 'int32') throw new Error('layerNorm: expected a floating point input, got int32');
  if (x.device === 'cpu' && (!weight || weight.device === 'cpu') && (!bias || bias.device === 'cpu')) {
    return fusedLayerNorm(x, normalizedShape, weight ?? null, bias ?? null, eps);
  }
  return composedLayerNorm(x, normalizedShape, weight ?? null, bias ?? null, eps);
}

/** The cpu path: one fused kernel each way (see ./layerNormKernel). */
function fusedLayerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const width = numelOf(normalizedShape);
  const rows = width === 0 ? 0 : x.numel() / width;
  const dtype = x.dtype;
  const w = weight ? weight.to(dtype).data() : null;
  const { y, saved } = layerNormForward(x.data(), rows, width, w, bias ? bias.to(dtype).data() : null, eps, dtype);
  const out = fromTypedArray(y, x.shape, { dtype });
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, 'NativeLayerNormBackward', inputs, (g) => {
    const { gx, gw, gb } = layerNormBackward(g.to(dtype).data(), saved, rows, width, w, dtype);
    const grads: (Tensor | null)[] = [x.requiresGrad ? fromTypedArray(gx, x.shape, { dtype }) : null];
    if (weight) grads.push(weight.requiresGrad ? fromTypedArray(gw, normalizedShape, { dtype }).to(weight.dtype) : null);
    if (bias) grads.push(bias.requiresGrad ? fromTypedArray(gb, normalizedShape, { dtype }).to(bias.dtype) : null);
    return grads;
  });
}

/** Any device (and the reference for the cpu kernel): the same math from tensor ops. */
export function composedLayerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const k = normalizedShape.length;
  const normDims = normalizedShape.map((_, i) => x.ndim - k + i);
  const batchDims = x.shape.slice(0, x.ndim - k).map((_, i) => i);
  const { xhat, rstd, out } = noGrad(() => {
    const centered = x.sub(x.mean(normDims, true));
    const r = centered.square().mean(normDims, true).add(eps).rsqrt();
    const normalized = centered.mul(r);
    let y = weight ? normalized.mul(weight) : normalized;
    if (bias) y = y.add(bias);
    return { xhat: normalized, rstd: r, out: y };
  });
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const sumBatch = (t: Tensor) => (batchDims.length ? t.sum(batchDims) : t);
  return record(out, 'NativeLayerNormBackward', inputs, (g) => {
    const ghat = weight ? g.mul(weight) : g;
    const gx = x.requiresGrad
      ? ghat.sub(ghat.mean(normDims, true)).sub(xhat.mul(ghat.mul(xhat).mean(normDims, true))).mul(rstd)
      : null;
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(weight.requiresGrad ? sumBatch(g.mul(xhat)) : null);
    if (bias) grads.push(bias.requiresGrad ? sumBatch(g) : null);
    return grads;
  });
}
