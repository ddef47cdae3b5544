/**
 * Conversions between raw safetensors entries and the typed arrays behind frod-ts tensors.
 *
 * Loading (file dtype → tensor dtype):
 *   F64 → float64;  F32, F16, BF16 → float32 (16-bit floats widen exactly);
 *   I32, I16, I8, U8 → int32;  BOOL → int32 (0 or 1; any non-zero byte reads as 1);
 *   I64 → int32 when every value fits in int32, else float64 when every value v has |v| ≤ 2^53
 *         (exact in a double), else an error naming the tensor.
 * Saving (tensor values → file dtype): any dtype may be asked for. Floats round to nearest, ties to even.
 * Integer dtypes require every value to be an integer inside the dtype's range (BOOL: 0 or 1; I64:
 * |v| ≤ 2^53) — nothing is silently truncated or wrapped; a violation names the tensor and the value.
 */
import type { DType, TypedArray } from '../../tensor/dtype';
import { SAFE_DTYPE_SIZES, SafetensorsError, shapeNumel, type RawEntry, type SafeDType } from './format';
import { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16 } from './half';

/** Largest magnitude an I64 value may have to be loaded into (or saved from) a float64 exactly. */
export const MAX_EXACT_INTEGER = 2 ** 53;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of every `size`-byte element in place (big-endian hosts only; exported for the tests). */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size) {
    for (let i = 0, j = size - 1; i < j; i++, j--) {
      const tmp = bytes[start + i];
      bytes[start + i] = bytes[start + j];
      bytes[start + j] = tmp;
    }
  }
}

/**
 * The entry's bytes as host-order, suitably aligned bytes for a typed array of `size`-byte elements.
 * Copies only when the input is misaligned or the host is big-endian; the result may share memory with
 * the input and is only read from.
 */
function hostBytes(bytes: Uint8Array, size: number): Uint8Array {
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % size === 0) return bytes;
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN_HOST) swapBytes(copy, size);
  return copy;
}

/** The typed array of a tensor loaded from a file, and its tensor dtype. */
export interface DecodedArray {
  dtype: DType;
  data: TypedArray;
}

/** True when the I64 with these 32-bit halves lies in [-2^53, 2^53], where doubles are exact. */
function i64IsExact(high: number, low: number): boolean {
  return (high >= -(2 ** 21) && high < 2 ** 21) || (high === 2 ** 21 && low === 0);
}

/** Decodes I64 values: to int32 when all fit, else float64 when all are exact, else an error. */
function decodeI64(bytes: Uint8Array, count: number, name: string, source: string): DecodedArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float64Array(count);
  let fitsInt32 = true;
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(8 * i, true);
    const high = view.getInt32(8 * i + 4, true);
    if (!i64IsExact(high, low)) {
      const exact = (BigInt(high) << 32n) + BigInt(low);
      throw new SafetensorsError(source, `tensor '${name}' (I64) holds ${exact} at index ${i}, outside `
        + '[-2^53, 2^53] where float64 is exact');
    }
    values[i] = high * 2 ** 32 + low;
    if (values[i] !== (values[i] | 0)) fitsInt32 = false;
  }
  return fitsInt32 ? { dtype: 'int32', data: Int32Array.from(values) } : { dtype: 'float64', data: values };
}

/**
 * Decodes a raw entry into a fresh typed array owned by the caller (see the module comment for the
 * dtype mapping). `name` and `source` only serve error messages.
 */
export function decodeEntry(entry: RawEntry, name: string, source = '<bytes>'): DecodedArray {
  const { dtype, bytes } = entry;
  const count = shapeNumel(entry.shape);
  const size = SAFE_DTYPE_SIZES[dtype];
  if (bytes.length !== count * size) {
    throw new SafetensorsError(source, `tensor '${name}' has ${bytes.length} bytes but shape `
      + `[${entry.shape.join(', ')}] of ${dtype} needs ${count * size}`);
  }
  const aligned = hostBytes(bytes, size);
  const { buffer, byteOffset } = aligned;
  switch (dtype) {
    case 'F64': return { dtype: 'float64', data: new Float64Array(new Float64Array(buffer, byteOffset, count)) };
    case 'F32': return { dtype: 'float32', data: new Float32Array(new Float32Array(buffer, byteOffset, count)) };
    case 'F16': return { dtype: 'float16', data: f16ToFloat32(new Uint16Array(buffer, byteOffset, count)) };
    case 'BF16': return { dtype: 'bfloat16', data: bf16ToFloat32(new Uint16Array(buffer, byteOffset, count)) };
    case 'I64': return decodeI64(bytes, count, name, source);
    case 'I32': return { dtype: 'int32', data: new Int32Array(new Int32Array(buffer, byteOffset, count)) };
    case 'I16': return { dtype: 'int32', data: Int32Array.from(new Int16Array(buffer, byteOffset, count)) };
    case 'I8': return { dtype: 'int32', data: Int32Array.from(new Int8Array(buffer, byteOffset, count)) };
    case 'U8': return { dtype: 'int32', data: Int32Array.from(bytes) };
    case 'BOOL': return { dtype: 'int32', data: Int32Array.from(bytes, (byte) => (byte === 0 ? 0 : 1)) };
  }
}

const SAFE_DTYPE_OF: Record<DType, SafeDType> = { float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16', int32: 'I32' };

/** The file dtype a tensor of `dtype` is saved as unless another is asked for. */
export function defaultSafeDType(dtype: DType): SafeDType {
  return SAFE_DTYPE_OF[dtype];
}

const INTEGER_RANGES: Partial<Record<SafeDType, readonly [number, number]>> = {
  I64: [-MAX_EXACT_INTEGER, MAX_EXACT_INTEGER],
  I32: [-(2 ** 31), 2 ** 31 - 1],
  I16: [-(2 ** 15), 2 ** 15 - 1],
  I8: [-128, 127],
  U8: [0, 255],
  BOOL: [0, 1],
};

/** Throws unless every value is an integer inside the range of the integer `dtype`. */
function checkIntegers(values: ArrayLike<number>, dtype: SafeDType, name: string): void {
  const [min, max] = INTEGER_RANGES[dtype] as readonly [number, number];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SafetensorsError('<output>', `tensor '${name}': value ${value} at index ${i} cannot be stored `
        + `as ${dtype} (integers in [${min}, ${max}])`);
    }
  }
}

/** Writes integer values (already range-checked) as little-endian I64 words. */
function encodeI64(values: ArrayLike<number>): Uint8Array {
  const words = new Uint32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const high = Math.floor(values[i] / 2 ** 32);
    words[2 * i] = values[i] - high * 2 ** 32;
    words[2 * i + 1] = high >>> 0;
  }
  return new Uint8Array(words.buffer);
}

/** Host-order bytes of `values` in the typed layout of `dtype`. */
function encodeHostOrder(values: ArrayLike<number>, dtype: SafeDType): Uint8Array {
  const bytesOf = (array: ArrayBufferView) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  switch (dtype) {
    case 'F64': return bytesOf(Float64Array.from(values));
    case 'F32': return bytesOf(Float32Array.from(values));
    case 'F16': return bytesOf(float32ToF16(values));
    case 'BF16': return bytesOf(float32ToBF16(values));
    case 'I64': return encodeI64(values);
    case 'I32': return bytesOf(Int32Array.from(values));
    case 'I16': return bytesOf(Int16Array.from(values));
    case 'I8': return bytesOf(Int8Array.from(values));
    case 'U8': case 'BOOL': return Uint8Array.from(values);
  }
}

/**
 * Encodes values (row-major) as the little-endian bytes of `dtype` (see the module comment for rounding
 * and range rules). `name` only serves error messages. Never modifies `values`.
 */
export function encodeValues(values: ArrayLike<number>, dtype: SafeDType, name: string): Uint8Array {
  if (dtype in INTEGER_RANGES) checkIntegers(values, dtype, name);
  const bytes = encodeHostOrder(values, dtype);
  if (!LITTLE_ENDIAN_HOST) swapBytes(bytes, SAFE_DTYPE_SIZES[dtype]);
  return bytes;
}

/** Builds a raw entry from row-major values and a shape. */
export function encodeEntry(
  values: ArrayLike<number>, shape: readonly number[], dtype: SafeDType, name: string,
): RawEntry {
  if (values.length !== shapeNumel(shape)) {
    throw new SafetensorsError('<output>', `tensor '${name}' has ${values.length} values but shape `
      + `[${shape.join(', ')}] holds ${shapeNumel(shape)}`);
  }
  return { dtype, shape: shape.slice(), bytes: encodeValues(values, dtype, name) };
}
