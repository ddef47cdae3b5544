import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { bf16ToFloat32, decodeF16Bits, f16ToFloat32, float32ToBF16, float32ToF16, toBF16Bits, toF16Bits } from '../../src/nn/io/half';
import { check, float32Bits, float32FromBits } from './util';

const ALL_BITS = Uint16Array.from({ length: 65536 }, (_, i) => i);

/** Reference F16 decoder by bit surgery into a float32 (normalising subnormals by shifting). */
function referenceF16(bits: number): number {
  const sign = (bits & 0x8000) << 16;
  let exponent = (bits >> 10) & 0x1f;
  let mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return float32FromBits(sign | 0x7f800000 | (mantissa << 13));
  if (exponent === 0) {
    if (mantissa === 0) return float32FromBits(sign);
    exponent = 1;
    while ((mantissa & 0x400) === 0) { mantissa <<= 1; exponent--; }
    mantissa &= 0x3ff;
  }
  return float32FromBits(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

/** Reference BF16 decoder from the formula (−1)^s · 2^(e−127) · (1 + m/128), subnormals m · 2^−133. */
function referenceBF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 7) & 0xff;
  const mantissa = bits & 0x7f;
  if (exponent === 0xff) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * Math.pow(2, -133);
  return sign * Math.pow(2, exponent - 127) * (1 + mantissa / 128);
}

function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Nearest-even oracle: finite non-negative values of a 16-bit format are increasing in their bit
 * patterns, so search them; the value just past the largest finite one stands for +Infinity (its bit
 * pattern is even, the largest finite one's is odd), which is how IEEE rounding overflows.
 */
function nearestEvenOracle(decode: (bits: number) => number, infinityBits: number, beyondMax: number) {
  const values = Array.from({ length: infinityBits + 1 }, (_, bits) => (bits === infinityBits ? beyondMax : decode(bits)));
  return (x: number): number => {
    if (Number.isNaN(x)) return -1;
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a >= beyondMax) return sign | infinityBits;
    let lo = 0;
    let hi = infinityBits; // values[lo] <= a < values[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (values[mid] <= a) lo = mid; else hi = mid;
    }
    const below = a - values[lo];
    const above = values[hi] - a;
    if (below < above) return sign | lo;
    if (above < below) return sign | hi;
    return sign | (lo % 2 === 0 ? lo : hi);
  };
}

const f16Oracle = nearestEvenOracle(referenceF16, 0x7c00, 65536);
const bf16Oracle = nearestEvenOracle(referenceBF16, 0x7f80, 2 ** 128);

test('F16 decoding agrees with bit surgery for all 65536 patterns', () => {
  const decoded = f16ToFloat32(ALL_BITS);
  for (let bits = 0; bits < 65536; bits++) {
    assert.ok(sameValue(decoded[bits], referenceF16(bits)), `F16 0x${bits.toString(16)}`);
  }
  assert.is(decoded[0x0001], 2 ** -24);
  assert.is(decoded[0x03ff], 1023 * 2 ** -24);
  assert.is(decoded[0x7bff], 65504);
  assert.ok(Object.is(decoded[0x8000], -0));
});

test('decodeF16Bits, which fills the decoding table, agrees with bit surgery for all 65536 patterns', () => {
  for (let bits = 0; bits < 65536; bits++) {
    assert.ok(sameValue(decodeF16Bits(bits), referenceF16(bits)), `F16 0x${bits.toString(16)}`);
  }
});

test('BF16 decoding agrees with the formula for all 65536 patterns', () => {
  const decoded = bf16ToFloat32(ALL_BITS);
  for (let bits = 0; bits < 65536; bits++) {
    assert.ok(sameValue(decoded[bits], referenceBF16(bits)), `BF16 0x${bits.toString(16)}`);
  }
  assert.is(decoded[0x3f80], 1);
  assert.is(decoded[0x0001], 2 ** -133);
});

test('decode then encode is the identity on every non-NaN pattern', () => {
  const viaF16 = float32ToF16(f16ToFloat32(ALL_BITS));
  const viaBF16 = float32ToBF16(bf16ToFloat32(ALL_BITS));
  for (let bits = 0; bits < 65536; bits++) {
    const f16IsNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
    const bf16IsNaN = (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
    assert.is(viaF16[bits], f16IsNaN ? 0x7e00 : bits, `F16 0x${bits.toString(16)}`);
    assert.is(viaBF16[bits], bf16IsNaN ? 0x7fc0 : bits, `BF16 0x${bits.toString(16)}`);
  }
});

test('F16 encoding of special values, boundaries and ties', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000], [-0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00], [NaN, 0x7e00],
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [-65520, 0xfc00],
    [1e10, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [2 ** -25 * (1 + 2 ** -20), 0x0001],
    [1.5 * 2 ** -24, 0x0002], [2.5 * 2 ** -24, 0x0002], [2 ** -14, 0x0400], [2 ** -14 - 2 ** -25, 0x0400],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -11 + 2 ** -40, 0x3c01], [1e-30, 0x0000],
  ];
  for (const [x, bits] of cases) assert.is(toF16Bits(x), bits, `F16 of ${x}`);
});

test('BF16 encoding of special values, boundaries and ties', () => {
  const maxBF16 = referenceBF16(0x7f7f);
  const cases: Array<[number, number]> = [
    [0, 0x0000], [-0, 0x8000], [Infinity, 0x7f80], [-Infinity, 0xff80], [NaN, 0x7fc0], [1, 0x3f80],
    [maxBF16, 0x7f7f], [3.4028234663852886e38, 0x7f80], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82],
    [2 ** -133, 0x0001], [2 ** -134, 0x0000], [2 ** -126, 0x0080], [1e300, 0x7f80], [-1e-300, 0x8000],
  ];
  for (const [x, bits] of cases) assert.is(toBF16Bits(x), bits, `BF16 of ${x}`);
});

test('F16 and BF16 encoding round to the nearest value, ties to even (random float32 and float64)', () => {
  const anyNumber = fc.oneof(
    fc.float({ noNaN: true }), fc.double({ noNaN: true }),
    fc.double({ min: -70000, max: 70000, noNaN: true }), fc.double({ min: -1e-4, max: 1e-4, noNaN: true }),
  );
  check(fc.property(anyNumber, (x) => {
    assert.is(toF16Bits(x), f16Oracle(x), `F16 of ${x}`);
    assert.is(toBF16Bits(x), bf16Oracle(x), `BF16 of ${x}`);
  }), 2000);
});

test('exact midpoints between neighbours round to the even pattern', () => {
  const decodeF16 = f16ToFloat32(ALL_BITS);
  const decodeBF16 = bf16ToFloat32(ALL_BITS);
  check(fc.property(fc.integer({ min: 0, max: 0x7bfe }), fc.integer({ min: 0, max: 0x7f7e }), fc.boolean(),
    (f16Bits, bf16Bits, negative) => {
      const sign = negative ? -1 : 1;
      const f16Mid = sign * (decodeF16[f16Bits] + decodeF16[f16Bits + 1]) / 2;
      const bf16Mid = sign * (decodeBF16[bf16Bits] + decodeBF16[bf16Bits + 1]) / 2;
      const signBit = negative ? 0x8000 : 0;
      assert.is(toF16Bits(f16Mid), signBit | (f16Bits % 2 === 0 ? f16Bits : f16Bits + 1));
      assert.is(toBF16Bits(bf16Mid), signBit | (bf16Bits % 2 === 0 ? bf16Bits : bf16Bits + 1));
    }), 1000);
});

test('BF16 from float32 matches the bit-level rounding rule (u + 0x7fff + lsb) >> 16', () => {
  check(fc.property(fc.float({ noNaN: true }), (x) => {
    const u = float32Bits(x);
    const expected = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
    assert.is(toBF16Bits(x), expected, `BF16 of ${x}`);
  }), 2000);
});

test('values a hair below a power of two round up to it (Math.log2 rounds their exponent up)', () => {
  // 2^k·(1 − 2^−53) is the largest double below 2^k; for most k Math.log2 returns exactly k for it.
  for (let k = -14; k <= 16; k++) {
    assert.is(toF16Bits(2 ** k * (1 - 2 ** -53)), toF16Bits(2 ** k), `F16 below 2^${k}`);
  }
  for (let k = -126; k <= 128; k++) {
    assert.is(toBF16Bits(2 ** k * (1 - 2 ** -53)), toBF16Bits(2 ** k), `BF16 below 2^${k}`);
  }
});

test.run();
