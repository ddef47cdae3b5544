/** Helpers shared by the ops: scalar promotion, device checks, broadcast views, reducing gradients. */
import { backendFor } from '../backend';
import { isFloating, promoteTypes, promoteWithScalar, type DType } from '../dtype';
import { broadcastShapes, contiguousStrides, formatShape } from '../shape';
import { expectTensor } from '../expect';
import type { Storage } from '../storage';
import { Tensor } from '../tensor';

/** A tensor or a plain number (broadcast as a 0-d tensor of the other operand's dtype). */
export type TensorLike = Tensor | number;

/** A new contiguous tensor over `storage`. */
export function fromStorage(storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(storage, [...shape], contiguousStrides(shape), 0);
}

/** A 0-d tensor holding `value`, on `device`. */
export function scalarTensor(value: number, dtype: DType, device: Tensor['device']): Tensor {
  return fromStorage(backendFor(device).full(1, value, dtype), []);
}

/** Throws PyTorch's device-mismatch error naming both devices. */
export function checkSameDevice(what: string, ...tensors: Tensor[]): void {
  tensors.forEach((t, i) => expectTensor(t, what, i === 0 ? 'input' : 'the other operand'));
  const first = tensors[0].device;
  for (const t of tensors) {
    if (t.device !== first) {
      throw new Error(
        `${what}: expected all tensors to be on the same device, but found at least two devices, ${first} and ${t.device}`,
      );
    }
  }
}

/** Turns the operands of a binary op into tensors of one dtype-compatible kind on one device. */
export function operands(what: string, a: TensorLike, b: TensorLike): [Tensor, Tensor, DType] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${what}: at least one operand must be a tensor`);
  if (typeof a !== 'number') expectTensor(a, what, 'input');
  if (typeof b !== 'number') expectTensor(b, what, 'the other operand (a Tensor or a number)');
  if (typeof a === 'number') {
    const tb = b as Tensor;
    const dtype = promoteWithScalar(tb.dtype, a);
    return [scalarTensor(a, dtype, tb.device), tb, dtype];
  }
  if (typeof b === 'number') {
    const dtype = promoteWithScalar(a.dtype, b);
    return [a, scalarTensor(b, dtype, a.device), dtype];
  }
  checkSameDevice(what, a, b);
  return [a, b, resultType(a, b)];
}

/**
 * torch.result_type of two tensors: a 0-d tensor beside a dimensioned one only raises the dtype when it is of
 * a higher category (float32 · 0-d float64 stays float32; int32 + 0-d float64 is float64).
 */
export function resultType(a: Tensor, b: Tensor): DType {
  const zeroA = a.ndim === 0, zeroB = b.ndim === 0;
  if (zeroA !== zeroB) {
    const dimensioned = zeroA ? b : a;
    if (isFloating(dimensioned.dtype)) return dimensioned.dtype;
  }
  return promoteTypes(a.dtype, b.dtype);
}

/** A broadcast view of `t` with `shape` (zero strides on the new or size-1 dims); no graph. */
export function broadcastView(t: Tensor, shape: readonly number[], what = 'expand'): Tensor {
  const nd = shape.length;
  if (t.ndim > nd) throw new Error(`${what}: cannot expand ${formatShape(t.shape)} to ${formatShape(shape)}`);
  const strides = new Array<number>(nd);
  for (let i = 0; i < nd; i++) {
    const j = i - (nd - t.ndim);
    if (j < 0) { strides[i] = 0; continue; }
    if (t.shape[j] === shape[i]) strides[i] = t.strides[j];
    else if (t.shape[j] === 1) strides[i] = 0;
    else throw new Error(`${what}: the expanded size of the tensor (${shape[i]}) must match the existing size (${t.shape[j]}) at non-singleton dimension ${i}; target ${formatShape(shape)}, tensor ${formatShape(t.shape)}`);
  }
  return new Tensor(t.storage, [...shape], strides, t.offset);
}

/** The broadcast shape of several tensors. */
export function broadcastAll(what: string, ...tensors: Tensor[]): number[] {
  return tensors.reduce<number[]>((shape, t) => broadcastShapes(shape, t.shape, what), []);
}

/**
 * Sums a gradient of a broadcast result back to an input's shape: over the leading dims the input lacks
 * and over the dims where the input had size 1.
 */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const lead = grad.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length ? grad.sum(dims, true) : grad;
  return summed.reshape([...shape]);
}

/** Casts a tensor (without graph bookkeeping beyond `to`) when its dtype differs. */
export function castTo(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : t.to(dtype);
}

/** The tensor's values as one contiguous storage starting at 0 (its own storage when it already is). */
export function denseStorage(x: Tensor): Storage {
  if (x.isContiguous() && x.offset === 0 && x.storage.length === x.numel()) return x.storage;
  return backendFor(x.device).copy(x, x.dtype);
}
