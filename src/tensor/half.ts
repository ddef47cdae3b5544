/**
 * Half precision in the engine. `float16` (IEEE binary16) and `bfloat16` tensors are stored in a
 * Float32Array holding only values of their format: a cpu primitive computes in float32 and rounds its
 * result to the format, round to nearest, ties to even — what PyTorch's cpu kernels do for Half and BFloat16
 * (they compute in float and round the output; a value is converted from float64 through float32, as
 * c10::Half and c10::BFloat16 do). The rounding works on the float32 bit pattern, so no table is needed.
 */
import type { DType } from './dtype';

/** The two half-precision dtypes. */
export type HalfDType = 'float16' | 'bfloat16';

export function isHalf(dtype: DType): dtype is HalfDType {
  return dtype === 'float16' || dtype === 'bfloat16';
}

/** The dtype a half tensor's primitives compute in (float32); other dtypes compute in themselves. */
export function computeDType(dtype: DType): Exclude<DType, HalfDType> {
  return isHalf(dtype) ? 'float32' : dtype;
}

/** The largest finite float16 (65504) as a float32 bit pattern; a rounded value above it is infinite. */
const F16_MAX_BITS = 0x477fe000;
const F32_INFINITY_BITS = 0x7f800000;
/** The smallest normal float16, 2^-14, as a float32 bit pattern; below it float16 is subnormal. */
const F16_MIN_NORMAL_BITS = 0x38800000;

/** Rounds q ≥ 0 to an integer, ties to even. */
function roundHalfEven(q: number): number {
  const floor = Math.floor(q);
  const fraction = q - floor;
  if (fraction !== 0.5) return fraction > 0.5 ? floor + 1 : floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Rounds the float32 bit pattern `bits` (sign bit cleared) to float16, as a float32 bit pattern. */
function roundMagnitudeToF16(bits: number, value: number): number {
  if (bits >= F16_MIN_NORMAL_BITS) {
    // Normal: keep 10 of float32's 23 mantissa bits; adding 0xfff plus the lowest kept bit rounds to even.
    const rounded = (bits + 0xfff + ((bits >>> 13) & 1)) & 0xffffe000;
    return rounded > F16_MAX_BITS ? F32_INFINITY_BITS : rounded;
  }
  // Subnormal: multiples of 2^-24 (scaling by 2^24 is exact in float64).
  return Math.fround(roundHalfEven(Math.abs(value) * 2 ** 24) * 2 ** -24);
}

/**
 * Rounds every value of `data` to `dtype` in place (round to nearest even; overflow gives ±Infinity, NaN
 * stays NaN) and returns `data`.
 */
export function roundToHalf(data: Float32Array, dtype: HalfDType): Float32Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    const magnitude = b & 0x7fffffff;
    if (magnitude >= F32_INFINITY_BITS) continue; // Inf and NaN are values of both formats
    const sign = b & 0x80000000;
    if (dtype === 'bfloat16') {
      bits[i] = ((b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000) >>> 0;
    } else if (magnitude >= F16_MIN_NORMAL_BITS) {
      bits[i] = (sign | roundMagnitudeToF16(magnitude, 0)) >>> 0;
    } else {
      const rounded = roundMagnitudeToF16(magnitude, data[i]);
      data[i] = sign ? -rounded : rounded;
    }
  }
  return data;
}

/** One number rounded to `dtype` (through float32, as PyTorch converts a double). */
export function roundScalarToHalf(value: number, dtype: HalfDType): number {
  return roundToHalf(Float32Array.of(value), dtype)[0];
}
