/** Moving between dtypes and devices. */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { checkDType, isFloating, type Device, type DType } from '../dtype';
import type { Tensor } from '../tensor';
import { broadcastView, checkSameDevice, fromStorage, scalarTensor } from './util';
import { CpuStorage } from '../storage';
import { forEachRow } from '../cpu/elementwise';

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

/**
 * torch's copy_: writes `src` (broadcast and cast) into `target` outside the graph; returns `target`.
 * On the cpu device the values are written into the existing storage, so every view of it (detach(), view,
 * a state dict taken earlier) sees them, as in PyTorch. On the gpu device a tensor that owns its whole storage
 * gets a fresh one instead (device buffers are not written in place); views of gpu storage cannot be written.
 */
export function copyInPlace(target: Tensor, src: Tensor | number): Tensor {
  const source = typeof src === 'number' ? scalarTensor(src, target.dtype, target.device) : src;
  checkSameDevice('copy_', target, source);
  const view = broadcastView(source, target.shape, 'copy_');
  const backend = backendFor(target.device);
  if (!(target.storage instanceof CpuStorage)) {
    const ownsStorage = target.isContiguous() && target.offset === 0 && target.storage.length === target.numel();
    if (!ownsStorage) {
      throw new Error(`copy_: writing into a view is only supported on the cpu device (got ${target.device})`);
    }
    target.storage = backend.copy(view, target.dtype);
    return target;
  }
  // A fresh row-major copy first, so a source that overlaps the target is read before it is written.
  const values = backend.toArray(fromStorage(backend.copy(view, target.dtype), target.shape));
  const dest = target.storage.data;
  if (target.isContiguous()) {
    dest.set(values, target.offset);
    return target;
  }
  const inner = target.strides[target.ndim - 1] ?? 1;
  forEachRow(target.shape, target.strides, target.offset, target.strides, 0, (io, _ib, pos, n) => {
    for (let j = 0; j < n; j++) dest[io + j * inner] = values[pos + j];
  });
  return target;
}
