/**
 * Storage: a flat buffer of one dtype on one device. A tensor is a strided view (shape, strides, offset)
 * over a storage, exactly as in PyTorch; views share the storage, copies do not.
 * On the cpu device the buffer is a typed array and a view is laid out exactly as an `ndarray` (data, shape,
 * stride, offset): `ndarrayOf` / `toNdarray` give one over the same memory, `fromNdarray` takes one in.
 */
import ndarray from 'ndarray';
import type { Device, DType, TypedArray } from './dtype';

export interface Storage {
  readonly device: Device;
  readonly dtype: DType;
  /** Number of elements in the buffer. */
  readonly length: number;
}

/** Host memory: a typed array. */
export class CpuStorage implements Storage {
  readonly device = 'cpu' as const;
  constructor(readonly data: TypedArray, readonly dtype: DType) {}
  get length(): number {
    return this.data.length;
  }
}

/** What a kernel needs to read a tensor: its storage and its strided layout. */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A view over cpu storage as an `ndarray` (shares memory). */
export function ndarrayOf(view: View): ndarray.NdArray<TypedArray> {
  const storage = view.storage;
  if (!(storage instanceof CpuStorage)) throw new Error(`ndarrayOf: storage is on '${storage.device}', expected 'cpu'`);
  return ndarray(storage.data, [...view.shape], [...view.strides], view.offset);
}

/** True when the view walks its storage in row-major order without gaps, starting anywhere. */
export function isContiguousView(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}
