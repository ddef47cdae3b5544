/**
 * GpuStorage: a flat buffer on the `gpu` device. The values are float32 on every gpu.js backend; int32
 * tensors (indices, labels, masks) are kept as exact float32 integers (|v| ≤ 2^24) and, when they came from
 * host memory, also as a host Int32Array mirror so index kernels can be checked and planned without a
 * download. float64 has no place on the device.
 */
import type { DType } from '../dtype';
import type { Storage } from '../storage';
import { isTexture, MAX_DEVICE_ELEMENTS, runtime, type DeviceValue } from './runtime';

/** The dtypes a gpu storage holds. */
export type GpuDType = 'float32' | 'int32';

export class GpuStorage implements Storage {
  readonly device = 'gpu' as const;
  /** The runtime generation (gpu.configure call) the buffer belongs to. */
  readonly generation = runtime.generation;

  constructor(
    /** The device buffer (a gpu.js texture, or the typed array gpu.js returns on webasm/cpu). */
    readonly value: DeviceValue,
    readonly dtype: GpuDType,
    readonly length: number,
    /** Host copy of int32 values when known without reading the device (never written after creation). */
    public hostInts: Int32Array | null = null,
  ) {
    runtime.track(this, value);
  }

  /** Where the values live: 'texture' (GL backends) or 'typed-array' (webasm/cpu: gpu.js has no device memory). */
  get residency(): 'texture' | 'typed-array' {
    return isTexture(this.value) ? 'texture' : 'typed-array';
  }
}

/** Rejects dtypes the device cannot hold (float64, float16, bfloat16), naming the op. */
export function checkGpuDType(dtype: DType, what: string): GpuDType {
  if (dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16') {
    throw new Error(`${what}: gpu device supports float32 only; convert with .to('float32') (${dtype} stays on 'cpu')`);
  }
  return dtype;
}

/** The device buffer of a storage given to a gpu kernel; a storage of another device is PyTorch's error. */
export function deviceValue(storage: Storage, what: string): DeviceValue {
  if (!(storage instanceof GpuStorage)) {
    throw new Error(
      `${what}: expected all tensors to be on the same device, but found at least two devices, gpu and ${storage.device}`,
    );
  }
  if (storage.generation !== runtime.generation && isTexture(storage.value)) {
    throw new Error(`${what}: this tensor's texture belongs to a gpu.js instance replaced by gpu.configure; move it with .to('cpu') before reconfiguring`);
  }
  return storage.value;
}

/** Checks that a storage fits the device's float32 addressing. */
export function checkDeviceSize(length: number, what: string): void {
  if (length > MAX_DEVICE_ELEMENTS) {
    throw new Error(`${what}: ${length} elements exceed the gpu device limit of ${MAX_DEVICE_ELEMENTS} (float32 addressing)`);
  }
}

/** Throws unless the int32 value `v` is an exact float32 integer (|v| ≤ 2^24), the device's int32 range. */
export function checkExactInt(v: number, what: string): void {
  if (v > MAX_DEVICE_ELEMENTS || v < -MAX_DEVICE_ELEMENTS) {
    throw new Error(`${what}: int32 value ${v} cannot be held exactly on the gpu device (int32 is stored as float32, exact to ±2^24)`);
  }
}

/** int32 values as float32 for the device, checking they stay exact. */
export function intsToFloats(values: ArrayLike<number>, what: string): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    checkExactInt(values[i], what);
    out[i] = values[i];
  }
  return out;
}

/**
 * Host int32 values of an index storage: the mirror when there is one, else one download (counted as an
 * index download) that is kept as the mirror.
 */
export function hostIndex(storage: Storage, what: string): Int32Array {
  const value = deviceValue(storage, what);
  const gpuStorage = storage as GpuStorage;
  if (gpuStorage.hostInts === null) {
    const floats = runtime.download(value, 'indexDownloads');
    const ints = new Int32Array(gpuStorage.length);
    for (let i = 0; i < ints.length; i++) ints[i] = Math.round(floats[i]);
    gpuStorage.hostInts = ints;
  }
  return gpuStorage.hostInts;
}
