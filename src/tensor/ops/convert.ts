/** Moving between dtypes and devices. */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { checkDType, isFloating, type Device, type DType } from '../dtype';
import type { Tensor } from '../tensor';
import { fromStorage } from './util';

/** A copy in another dtype (same device); the gradient is cast back. No copy when the dtype is the same. */
export function toDType(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, 'to');
  if (dtype === x.dtype) return x;
  const out = fromStorage(backendFor(x.device).copy(x, dtype), x.shape);
  if (!isFloating(dtype)) return out;
  return record(out, 'ToCopyBackward', [x], (g) => [g.to(x.dtype)]);
}

/** A copy on another device (through host memory); the gradient moves back. */
export function toDevice(x: Tensor, device: Device): Tensor {
  if (device === x.device) return x;
  if (device !== 'cpu' && device !== 'gpu') throw new Error(`to: unknown device '${String(device)}' (expected 'cpu' or 'gpu')`);
  const host = backendFor(x.device).toArray(x);
  const out = fromStorage(backendFor(device).fromArray(host, x.dtype), x.shape);
  return record(out, 'ToCopyBackward', [x], (g) => [g.to(x.device)]);
}
