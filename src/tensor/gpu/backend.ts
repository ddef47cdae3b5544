/**
 * The gpu device's implementation of the Backend primitives, on gpu.js kernels (see ./runtime). Every result
 * is a fresh GpuStorage whose values stay on the device; only toArray reads them back.
 */
import type { Backend } from '../backend';
import { copyView } from '../cpu/elementwise';
import type { TypedArray } from '../dtype';
import { numelOf } from '../shape';
import { CpuStorage, isContiguousView, type View } from '../storage';
import { binary, copy, full, unary, where } from './elementwise';
import { gatherRows, indexAdd, indexSelect, sampledDot, scatterAddRows, sparseMm } from './gather';
import { matmul } from './matmul';
import { reduceRows } from './reduce';
import { runtime } from './runtime';
import { checkDeviceSize, checkGpuDType, deviceValue, GpuStorage, intsToFloats } from './storage';

/** Host values → a new device storage (int32 also keeps its host mirror). */
function fromArray(data: TypedArray, dtype: GpuStorage['dtype'] | 'float64'): GpuStorage {
  const out = checkGpuDType(dtype, 'to');
  checkDeviceSize(data.length, 'to');
  if (out === 'int32') {
    const floats = intsToFloats(data, 'to');
    return new GpuStorage(runtime.upload(floats), 'int32', data.length, Int32Array.from(data));
  }
  const floats = data instanceof Float32Array ? data : Float32Array.from(data);
  return new GpuStorage(runtime.upload(floats), 'float32', data.length);
}

/** True when the view is its whole storage in row-major order. */
function isWholeStorage(view: View): boolean {
  return view.offset === 0 && view.storage.length === numelOf(view.shape) && isContiguousView(view.shape, view.strides);
}

/** Reads a view back as a row-major typed array of its dtype. */
function toArray(view: View): TypedArray {
  deviceValue(view.storage, 'toArray');
  const storage = view.storage as GpuStorage;
  if (storage.dtype === 'int32' && storage.hostInts !== null) {
    if (isWholeStorage(view)) return storage.hostInts;
    return copyView({ ...view, storage: new CpuStorage(storage.hostInts, 'int32') }, 'int32');
  }
  const dense = isWholeStorage(view) ? storage : copy(view, storage.dtype);
  const floats = runtime.download(dense.value);
  if (storage.dtype === 'float32') return floats.length === dense.length ? floats : floats.subarray(0, dense.length);
  const ints = new Int32Array(dense.length);
  for (let i = 0; i < ints.length; i++) ints[i] = Math.round(floats[i]);
  return ints;
}

export const gpuBackend: Backend = {
  device: 'gpu',
  fromArray,
  toArray,
  full,
  copy,
  unary,
  binary,
  where,
  reduceRows,
  matmul,
  gatherRows,
  scatterAddRows,
  indexSelect,
  indexAdd,
  sparseMm,
  sampledDot,
};
