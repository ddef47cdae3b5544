/**
 * 16-bit floating point formats used by safetensors files, as raw `uint16` bit patterns:
 * - F16 (IEEE 754 binary16): 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 * - BF16 (bfloat16): 1 sign bit, 8 exponent bits (bias 127), 7 mantissa bits — the top half of a float32.
 *
 * Every F16 and BF16 value is exactly a float32, so decoding is exact. Encoding rounds the exact input
 * value (a float32 or a float64) to the nearest representable value, ties to the one with an even
 * mantissa, overflowing to ±Infinity like IEEE 754 does; NaN becomes the canonical quiet NaN.
 */

/** Bit layout of a small binary floating point format. */
interface MiniFloat {
  exponentBits: number;
  mantissaBits: number;
}

const F16: MiniFloat = { exponentBits: 5, mantissaBits: 10 };
const BF16: MiniFloat = { exponentBits: 8, mantissaBits: 7 };

let f16Table: Float32Array | null = null;

/** All 65536 F16 bit patterns decoded once (256 KiB), so decoding is a table lookup. */
function f16DecodeTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) table[bits] = decodeF16Bits(bits);
  f16Table = table;
  return table;
}

/**
 * Decodes one F16 bit pattern: subnormals are m·2^-24, normals (1024 + m)·2^(e-25). Exported for the tests,
 * which check it pattern by pattern: the table it fills is built once per process, under whichever caller
 * comes first, so checking the table alone would not show mutation testing which test covers this function.
 */
export function decodeF16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Decodes F16 bit patterns to float32 values (exact). */
export function f16ToFloat32(bits: Uint16Array): Float32Array {
  const table = f16DecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Decodes BF16 bit patterns to float32 values (exact: a BF16 is the high 16 bits of a float32). */
export function bf16ToFloat32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return new Float32Array(wide.buffer);
}

/** Rounds a non-negative finite value to an integer, ties to even. */
function roundHalfEven(q: number): number {
  const floor = Math.floor(q);
  const fraction = q - floor; // exact: q has few fraction bits
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The exponent e with 2^e ≤ a < 2^(e+1), for finite a > 0. */
function binaryExponent(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** Encodes one number into the bit pattern of `format`, rounding to nearest, ties to even. */
function encodeMiniFloat(x: number, format: MiniFloat): number {
  const { exponentBits, mantissaBits } = format;
  const signBit = 1 << (exponentBits + mantissaBits);
  const exponentMask = (1 << exponentBits) - 1;
  const infinityBits = exponentMask << mantissaBits;
  if (Number.isNaN(x)) return infinityBits | (1 << (mantissaBits - 1));
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | infinityBits;
  const bias = (1 << (exponentBits - 1)) - 1;
  const minNormalExponent = 1 - bias;
  if (a < 2 ** minNormalExponent) {
    // Subnormal (or zero): units of 2^(minNormalExponent - mantissaBits); rounding up to 2^mantissaBits
    // lands exactly on the bit pattern of the smallest normal.
    return sign | roundHalfEven(a * 2 ** (mantissaBits - minNormalExponent));
  }
  let exponent = binaryExponent(a);
  if (exponent > bias) return sign | infinityBits;
  let significand = roundHalfEven(a * 2 ** (mantissaBits - exponent)); // in [2^m, 2^(m+1)]
  if (significand === 2 ** (mantissaBits + 1)) {
    significand /= 2;
    exponent += 1;
    if (exponent > bias) return sign | infinityBits;
  }
  return sign | ((exponent + bias) << mantissaBits) | (significand - 2 ** mantissaBits);
}

/** Encodes values (float32 or float64) to F16 bit patterns, round to nearest even. */
export function float32ToF16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeMiniFloat(values[i], F16);
  return out;
}

/** Encodes values (float32 or float64) to BF16 bit patterns, round to nearest even. */
export function float32ToBF16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeMiniFloat(values[i], BF16);
  return out;
}

/** Encodes one number to F16 bits (round to nearest even). */
export function toF16Bits(x: number): number {
  return encodeMiniFloat(x, F16);
}

/** Encodes one number to BF16 bits (round to nearest even). */
export function toBF16Bits(x: number): number {
  return encodeMiniFloat(x, BF16);
}
