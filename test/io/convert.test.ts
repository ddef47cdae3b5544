import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { decodeEntry, defaultSafeDType, encodeEntry, encodeValues, swapBytes } from '../../src/nn/io/convert';
import { SAFE_DTYPE_SIZES, type RawEntry, type SafeDType } from '../../src/nn/io/format';
import { bf16ToFloat32, f16ToFloat32 } from '../../src/nn/io/half';
import { bytesEqual, check, throwsMatching } from './util';

function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** Values each dtype holds exactly, and the tensor dtype it loads as. */
const DOMAINS: Record<SafeDType, { values: fc.Arbitrary<number>; loadsAs: string }> = {
  F64: { values: fc.double(), loadsAs: 'float64' },
  F32: { values: fc.float(), loadsAs: 'float32' },
  F16: { values: fc.integer({ min: 0, max: 0xffff }).map((b) => f16ToFloat32(Uint16Array.of(b))[0]), loadsAs: 'float16' },
  BF16: { values: fc.integer({ min: 0, max: 0xffff }).map((b) => bf16ToFloat32(Uint16Array.of(b))[0]), loadsAs: 'bfloat16' },
  I64: { values: fc.integer(), loadsAs: 'int32' },
  I32: { values: fc.integer(), loadsAs: 'int32' },
  I16: { values: fc.integer({ min: -32768, max: 32767 }), loadsAs: 'int32' },
  I8: { values: fc.integer({ min: -128, max: 127 }), loadsAs: 'int32' },
  U8: { values: fc.integer({ min: 0, max: 255 }), loadsAs: 'int32' },
  BOOL: { values: fc.constantFrom(0, 1), loadsAs: 'int32' },
};

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

test('encode then decode returns the same values for every dtype, shape and alignment', () => {
  for (const dtype of Object.keys(DOMAINS) as SafeDType[]) {
    const { values, loadsAs } = DOMAINS[dtype];
    const caseArb = shapeArb.chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return fc.tuple(fc.constant(shape), fc.array(values, { minLength: n, maxLength: n }), fc.integer({ min: 0, max: 7 }));
    });
    check(fc.property(caseArb, ([shape, data, shift]) => {
      const entry = encodeEntry(data, shape, dtype, 'w');
      assert.is(entry.bytes.length, data.length * SAFE_DTYPE_SIZES[dtype]);
      const host = new Uint8Array(entry.bytes.length + shift);
      host.set(entry.bytes, shift);
      const decoded = decodeEntry({ ...entry, bytes: host.subarray(shift) }, 'w');
      assert.is(decoded.dtype, loadsAs, dtype);
      assert.is(decoded.data.length, data.length);
      data.forEach((v, i) => assert.ok(sameValue(decoded.data[i], v), `${dtype}[${i}]: ${decoded.data[i]} vs ${v}`));
    }), 60);
  }
});

test('bytes are little-endian, agreeing with DataView and BigInt64Array', () => {
  check(fc.property(fc.double(), fc.integer(), fc.integer({ min: -32768, max: 32767 }),
    fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), (f, i, s, big) => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, f, true);
      assert.ok(bytesEqual(encodeValues([f], 'F64', 'x'), new Uint8Array(view.buffer.slice(0, 8))));
      view.setFloat32(0, f, true);
      assert.ok(bytesEqual(encodeValues([f], 'F32', 'x'), new Uint8Array(view.buffer.slice(0, 4))));
      view.setInt32(0, i, true);
      assert.ok(bytesEqual(encodeValues([i], 'I32', 'x'), new Uint8Array(view.buffer.slice(0, 4))));
      view.setInt16(0, s, true);
      assert.ok(bytesEqual(encodeValues([s], 'I16', 'x'), new Uint8Array(view.buffer.slice(0, 2))));
      view.setBigInt64(0, big, true);
      const i64 = new Uint8Array(view.buffer.slice(0, 8));
      assert.ok(bytesEqual(encodeValues([Number(big)], 'I64', 'x'), i64), `I64 ${big}`);
      const decoded = decodeEntry({ dtype: 'I64', shape: [], bytes: i64 }, 'x');
      assert.is(decoded.data[0], Number(big));
      const fitsInt32 = big >= -(2n ** 31n) && big < 2n ** 31n;
      assert.is(decoded.dtype, fitsInt32 ? 'int32' : 'float64');
    }), 300);
});

function i64Bytes(values: bigint[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values).buffer);
}

test('I64: int32 when all values fit, float64 when all are exact, else an error naming the tensor', () => {
  const load = (values: bigint[]) => decodeEntry({ dtype: 'I64', shape: [values.length], bytes: i64Bytes(values) }, 'idx', 'a.safetensors');
  const small = load([0n, -1n, 2n ** 31n - 1n, -(2n ** 31n)]);
  assert.is(small.dtype, 'int32');
  assert.instance(small.data, Int32Array);
  assert.equal([...small.data], [0, -1, 2 ** 31 - 1, -(2 ** 31)]);
  const wide = load([1n, 2n ** 31n, 2n ** 53n, -(2n ** 53n)]);
  assert.is(wide.dtype, 'float64');
  assert.equal([...wide.data], [1, 2 ** 31, 2 ** 53, -(2 ** 53)]);
  for (const bad of [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 60n]) {
    throwsMatching(() => load([0n, bad]), /^safetensors: a\.safetensors: tensor 'idx' \(I64\)/, new RegExp(`holds ${bad} at index 1`));
  }
  check(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (big) => {
    const exact = big >= -(2n ** 53n) && big <= 2n ** 53n;
    if (exact) assert.is(load([big]).data[0], Number(big));
    else assert.throws(() => load([big]), /outside \[-2\^53, 2\^53\]/);
  }), 300);
});

test('BOOL loads any non-zero byte as 1; U8/I8 keep their sign conventions', () => {
  const bytes = Uint8Array.of(0, 1, 2, 255);
  assert.equal([...decodeEntry({ dtype: 'BOOL', shape: [4], bytes }, 'm').data], [0, 1, 1, 1]);
  assert.equal([...decodeEntry({ dtype: 'U8', shape: [4], bytes }, 'm').data], [0, 1, 2, 255]);
  assert.equal([...decodeEntry({ dtype: 'I8', shape: [2, 2], bytes }, 'm').data], [0, 1, 2, -1]);
  assert.equal([...decodeEntry({ dtype: 'I16', shape: [2], bytes }, 'm').data], [256, -254]);
});

test('saving to integer dtypes refuses values that would be truncated or wrapped', () => {
  const cases: Array<[number, SafeDType]> = [
    [3.5, 'I32'], [2 ** 31, 'I32'], [NaN, 'I32'], [128, 'I8'], [-129, 'I8'], [-1, 'U8'], [256, 'U8'],
    [2, 'BOOL'], [-1, 'BOOL'], [32768, 'I16'], [2 ** 53 + 2, 'I64'], [Infinity, 'I64'], [0.5, 'I64'],
  ];
  for (const [value, dtype] of cases) {
    throwsMatching(() => encodeValues(Float64Array.of(0, value), dtype, 'w'),
      /^safetensors: <output>: tensor 'w': value/, new RegExp(`at index 1 cannot be stored as ${dtype}`));
  }
});

test('saving floats rounds to nearest even (F32 from float64 agrees with Math.fround)', () => {
  check(fc.property(fc.double(), (x) => {
    const bytes = encodeValues([x], 'F32', 'x');
    const back = decodeEntry({ dtype: 'F32', shape: [], bytes }, 'x').data[0];
    assert.ok(sameValue(back, Math.fround(x)));
  }), 300);
});

test('decoded arrays are fresh: writing into them leaves the file bytes alone', () => {
  for (const dtype of ['F64', 'F32', 'I32', 'I64', 'U8'] as SafeDType[]) {
    const entry: RawEntry = encodeEntry([1, 2, 3], [3], dtype, 'w');
    const before = entry.bytes.slice();
    const { data } = decodeEntry(entry, 'w');
    data[0] = 99;
    assert.ok(bytesEqual(entry.bytes, before), dtype);
  }
});

test('shape and length disagreements are reported', () => {
  throwsMatching(() => encodeEntry([1, 2, 3], [2, 2], 'F32', 'w'), /^safetensors: <output>: tensor 'w' has 3 values but shape \[2, 2\] holds 4$/);
  throwsMatching(() => decodeEntry({ dtype: 'F32', shape: [2], bytes: new Uint8Array(4) }, 'w', 'f.st'),
    /^safetensors: f\.st: tensor 'w' has 4 bytes but shape \[2\] of F32 needs 8$/);
});

test('decodeEntry names bytes without a source <bytes> and lists every dimension of the shape', () => {
  throwsMatching(() => decodeEntry({ dtype: 'F32', shape: [2, 3], bytes: new Uint8Array(4) }, 'w'),
    /^safetensors: <bytes>: tensor 'w' has 4 bytes but shape \[2, 3\] of F32 needs 24$/);
});

test('default file dtypes', () => {
  assert.is(defaultSafeDType('float32'), 'F32');
  assert.is(defaultSafeDType('float64'), 'F64');
  assert.is(defaultSafeDType('int32'), 'I32');
});

test('16-bit float tensors are saved as F16 and BF16 by default', () => {
  assert.is(defaultSafeDType('float16'), 'F16');
  assert.is(defaultSafeDType('bfloat16'), 'BF16');
});

test('encodeEntry copies the shape: changing the entry leaves the caller\'s array alone', () => {
  const shape = [2, 1];
  const entry = encodeEntry([1, 2], shape, 'F32', 'w');
  entry.shape[0] = 7;
  assert.equal(shape, [2, 1]);
});

test('swapBytes (the big-endian path) reverses the bytes of every element and nothing else', () => {
  check(fc.property(fc.constantFrom(1, 2, 4, 8), fc.nat({ max: 5 }), fc.integer({ min: 0, max: 255 }), (size, count, seed) => {
    const bytes = Uint8Array.from({ length: size * count }, (_, i) => (seed + 37 * i) & 0xff);
    const swapped = bytes.slice();
    swapBytes(swapped, size);
    for (let element = 0; element < count; element++) {
      for (let i = 0; i < size; i++) assert.is(swapped[element * size + i], bytes[element * size + size - 1 - i]);
    }
  }), 100);
});

test.run();
