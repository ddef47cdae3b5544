/**
 * float16 and bfloat16 tensors: rounding against the safetensors encoder (an independent implementation),
 * every cpu primitive = its float32 result rounded once, torch's promotion table, conversions through
 * float32 (as c10::Half / c10::BFloat16 convert a double), rand below 1, and gradients across dtypes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16 } from '../../src/nn/io/half';
import { Generator, rand, randn, tensor, type DType } from '../../src/tensor';
import { promoteTypes } from '../../src/tensor/dtype';
import { checkGpuDType } from '../../src/tensor/gpu/storage';
import { type HalfDType, roundToHalf } from '../../src/tensor/half';

const HALVES: readonly HalfDType[] = ['float16', 'bfloat16'];

/** Round trip through the safetensors encoder: encode to the format's bits, decode back. */
function viaEncoder(values: Float32Array, dtype: HalfDType): Float32Array {
  return dtype === 'float16' ? f16ToFloat32(float32ToF16(values)) : bf16ToFloat32(float32ToBF16(values));
}

/** A float32 from any 32-bit pattern (NaNs excluded: their payloads are not compared). */
const float32Arb = fc.integer({ min: 0, max: 0xffffffff })
  .map((bits) => new Float32Array(Uint32Array.of(bits).buffer)[0])
  .filter((x) => !Number.isNaN(x));

function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `${what} [${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

for (const dtype of HALVES) {
  test(`roundToHalf(${dtype}) agrees with the safetensors encoder on every kind of float32 (normal, subnormal, overflow, ±0)`, () => {
    fc.assert(fc.property(fc.array(float32Arb, { minLength: 1, maxLength: 64 }), (values) => {
      const data = Float32Array.from(values);
      sameBits(roundToHalf(data.slice(), dtype), viaEncoder(data, dtype), dtype);
    }), { numRuns: 300 });
  });

  test(`${dtype}: ties round to even at the format's last bit`, () => {
    const ulp = dtype === 'float16' ? 2 ** -10 : 2 ** -7;
    const data = Float32Array.of(1 + ulp / 2, 1 + 1.5 * ulp, -(1 + ulp / 2));
    sameBits(roundToHalf(data, dtype), [1, 1 + 2 * ulp, -1], dtype);
  });

  test(`${dtype} tensors hold values of their format and keep their dtype through ops`, () => {
    const g = new Generator(3);
    const x = randn([4, 5], { dtype, generator: g });
    assert.is(x.dtype, dtype);
    const values = x.data() as Float32Array;
    sameBits(values, viaEncoder(values, dtype), 'randn');
    for (const y of [x.add(x), x.mul(2.5), x.exp(), x.sum(1), x.matmul(x.t()), x.softmax(-1)]) assert.is(y.dtype, dtype);
  });

  test(`${dtype}: each primitive is the float32 result rounded once`, () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
      const g = new Generator(seed);
      const a = randn([3, 4], { dtype, generator: g });
      const b = randn([4, 2], { dtype, generator: g });
      const a32 = a.float();
      const b32 = b.float();
      const round = (v: ArrayLike<number>) => roundToHalf(Float32Array.from(v), dtype);
      sameBits(a.add(a.mul(0.3)).data(), round(a32.add(a.mul(0.3).float()).data()), 'add');
      sameBits(a.tanh().data(), round(a32.tanh().data()), 'tanh');
      sameBits(a.matmul(b).data(), round(a32.matmul(b32).data()), 'matmul');
      sameBits(a.sum(1).data(), round(a32.sum(1).data()), 'sum');
    }), { numRuns: 25 });
  });

  test(`${dtype}: a float64 value converts through float32, as PyTorch does`, () => {
    // Above a tie of the format by less than float32 can hold: float32 lands on the tie, which rounds to even.
    const ulp = dtype === 'float16' ? 2 ** -10 : 2 ** -7;
    const x = tensor([1 + ulp / 2 + 2 ** -40], { dtype: 'float64' });
    assert.is(x.to(dtype).item(), 1);
    assert.is(tensor([1 + ulp / 2 + 2 ** -40], { dtype }).item(), 1);
  });

  test(`rand(${dtype}) stays below 1`, () => {
    const max = Math.max(...rand([4000], { dtype, generator: new Generator(9) }).data());
    assert.ok(max < 1, `max ${max}`);
  });

  test(`the gpu device refuses ${dtype} with a message naming the conversion`, () => {
    assert.throws(() => checkGpuDType(dtype, 'to'), new RegExp(`gpu device supports float32 only; convert with \\.to\\('float32'\\) \\(${dtype} stays on 'cpu'\\)`));
  });
}

test('promotion follows torch.promote_types (float16 with bfloat16 gives float32)', () => {
  const expected: [DType, DType, DType][] = [
    ['float16', 'float16', 'float16'], ['bfloat16', 'bfloat16', 'bfloat16'], ['float16', 'bfloat16', 'float32'],
    ['int32', 'float16', 'float16'], ['int32', 'bfloat16', 'bfloat16'], ['float16', 'float32', 'float32'],
    ['bfloat16', 'float64', 'float64'],
  ];
  for (const [a, b, out] of expected) {
    assert.is(promoteTypes(a, b), out, `${a} + ${b}`);
    assert.is(promoteTypes(b, a), out, `${b} + ${a}`);
    assert.is(tensor([1], { dtype: a }).add(tensor([1], { dtype: b })).dtype, out, `tensor ${a} + ${b}`);
  }
});

test('half() and bfloat16() convert; float() goes back exactly', () => {
  const x = tensor([0.1, 1000.7, -3e-6]);
  assert.is(x.half().dtype, 'float16');
  assert.is(x.bfloat16().dtype, 'bfloat16');
  sameBits(x.half().float().data(), viaEncoder(x.data() as Float32Array, 'float16'), 'half');
  sameBits(x.bfloat16().float().data(), viaEncoder(x.data() as Float32Array, 'bfloat16'), 'bfloat16');
});

test('a float32 leaf used in bfloat16 gets a float32 gradient (autocast training)', () => {
  const w = tensor([0.5, -1.25, 2], { requiresGrad: true });
  const x = tensor([1.5, 2, -0.75], { dtype: 'bfloat16' });
  const y = w.to('bfloat16').mul(x).sum();
  assert.is(y.dtype, 'bfloat16');
  y.backward();
  assert.is(w.grad?.dtype, 'float32');
  sameBits(w.grad!.data(), [1.5, 2, -0.75], 'grad');
});

test.run();
