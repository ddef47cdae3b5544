/**
 * Interop with `ndarray`, whose layout model (shape, stride, offset over a flat typed array) is exactly the
 * cpu device's: a tensor and an ndarray can view the same memory, as torch.from_numpy / Tensor.numpy do.
 */
import ndarray from 'ndarray';
import { dtypeOfArray, type TypedArray } from './dtype';
import { formatShape } from './shape';
import { CpuStorage } from './storage';
import { Tensor } from './tensor';

/** An ndarray view of a cpu tensor's values (zero-copy: writes through the ndarray change the tensor). */
export function toNdarray(t: Tensor): ndarray.NdArray<TypedArray> {
  if (!(t.storage instanceof CpuStorage)) {
    throw new Error(`toNdarray: tensor is on '${t.device}'; move it with .to('cpu') first`);
  }
  return ndarray(t.storage.data, [...t.shape], [...t.strides], t.offset);
}

/**
 * A cpu tensor over an ndarray's memory (zero-copy) when its data is a Float32Array, Float64Array or
 * Int32Array; any other data (plain arrays, other typed arrays) is copied into a float32 tensor.
 * Strides may be negative only if copied: the tensor's views need non-negative strides.
 */
export function fromNdarray(nd: ndarray.NdArray<ndarray.Data<number>>): Tensor {
  const { data, shape, stride, offset } = nd;
  const shares = (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)
    && stride.every((s) => s >= 0);
  if (shares) {
    const typed = data as TypedArray;
    let last = offset;
    shape.forEach((d, i) => { if (d > 0) last += (d - 1) * stride[i]; });
    if (shape.every((d) => d > 0) && (offset < 0 || last >= typed.length)) {
      throw new Error(`fromNdarray: the view ${formatShape(shape)} with strides ${formatShape(stride)} reaches past its data (${typed.length} elements)`);
    }
    return new Tensor(new CpuStorage(typed, dtypeOfArray(typed)), [...shape], [...stride], offset);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    values[i] = nd.get(...index);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return new Tensor(new CpuStorage(values, 'float32'), [...shape]);
}
