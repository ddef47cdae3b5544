/**
 * matmul with PyTorch's rules: 1-D operands are promoted (and the added dim removed afterwards); batch
 * dims broadcast. Gradients: dA = dC·Bᵀ, dB = Aᵀ·dC, summed back over broadcast batch dims.
 */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { broadcastShapes, formatShape, numelOf } from '../shape';
import type { Tensor } from '../tensor';
import { broadcastView, checkSameDevice, fromStorage, sumToShape } from './util';

/** Raw batched product of ≥2-D operands of one dtype (no graph). */
function matmulRaw(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2];
  const n = b.shape[b.ndim - 1];
  if (k !== k2) throw new Error(`matmul: ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied`);
  const backend = backendFor(a.device);
  if (b.ndim === 2) {
    // (..., m, k) · (k, n) is one (rows × k) · (k × n) product: B is packed once for all the rows.
    const rows = numelOf(a.shape.slice(0, -1));
    const storage = backend.matmul(a.reshape([1, rows, k]), b.reshape([1, k, n]), { batch: 1, m: rows, k, n }, a.dtype);
    return fromStorage(storage, [...a.shape.slice(0, -1), n]);
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const batch = numelOf(batchShape);
  // Flatten the (broadcast) batch dims into one; expand keeps zero strides, so reshape copies only if needed.
  const va = broadcastView(a, [...batchShape, m, k]).reshape([batch, m, k]);
  const vb = broadcastView(b, [...batchShape, k, n]).reshape([batch, k, n]);
  const storage = backend.matmul(va, vb, { batch, m, k, n }, a.dtype);
  return fromStorage(storage, [...batchShape, m, n]);
}

/** Matrix product of a and b with 1-D promotion and broadcast batch dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkSameDevice('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both arguments need at least 1 dimension, got ${a.ndim}D and ${b.ndim}D`);
  }
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim === 1 ? 0 : b.ndim - 2]) {
    throw new Error(`matmul: ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied`);
  }
  if (a.dtype !== b.dtype) {
    // As torch: no silent promotion (a float32 activation times float64 weights is usually a mistake).
    throw new Error(`matmul: expected both operands to have the same dtype, but got ${a.dtype} ${formatShape(a.shape)} and ${b.dtype} ${formatShape(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? a.detach().unsqueeze(0) : a.detach();
  const b2 = b.ndim === 1 ? b.detach().unsqueeze(1) : b.detach();
  let out = matmulRaw(a2, b2);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return record(out, 'MmBackward', [a, b], (g) => {
    // Restore the promoted dims on the gradient, then use the 2-D rules.
    let g2 = g;
    if (a.ndim === 1) g2 = g2.unsqueeze(b.ndim === 1 ? 0 : -2);
    if (b.ndim === 1) g2 = g2.unsqueeze(-1);
    const ga = a.requiresGrad ? sumToShape(matmulRaw(g2, b2.transpose(-1, -2)), a2.shape).reshape([...a.shape]) : null;
    const gb = b.requiresGrad ? sumToShape(matmulRaw(a2.transpose(-1, -2), g2), b2.shape).reshape([...b.shape]) : null;
    return [ga, gb];
  });
}
