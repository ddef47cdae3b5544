/**
 * Unary elementwise ops: values against Math (float64 results are Math's own, float32 ones the float64 value
 * rounded once), torch's conventions (round half to even, relu/sign at 0, NaN propagation), erf against
 * reference values, both GELU forms, clamp, and exact float64 arithmetic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { clamp, tensor, type DType, type Tensor } from '../../src/tensor';
import { erf32, erf64 } from '../../src/tensor/cpu/erf';
import { assertClose, assertSameValues, check, randomTensor, shapeArb, throwsMatching } from './helpers';

type Unary = 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu'
  | 'square' | 'reciprocal' | 'floor' | 'ceil' | 'log1p' | 'expm1';

const MATH: Record<Unary, (x: number) => number> = {
  neg: (x) => -x, abs: Math.abs, sign: Math.sign, exp: Math.exp, log: Math.log, sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x), sin: Math.sin, cos: Math.cos, tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)), relu: (x) => (x > 0 ? x : 0), square: (x) => x * x,
  reciprocal: (x) => 1 / x, floor: Math.floor, ceil: Math.ceil, log1p: Math.log1p, expm1: Math.expm1,
};

const round = (dtype: DType) => (dtype === 'float32' ? Math.fround : (x: number) => x);

for (const dtype of ['float64', 'float32'] as DType[]) {
  test(`unary ops match Math on random shapes (${dtype}; log/sqrt of negatives give NaN)`, () => {
    check(fc.property(shapeArb(3, 5), fc.nat(), fc.boolean(), (shape, seed, strided) => {
      let x: Tensor = randomTensor(shape, seed, dtype, [-4, 4]);
      if (strided && x.ndim >= 2) x = x.transpose(0, 1);
      const values = Array.from(x.contiguous().data());
      for (const [op, fn] of Object.entries(MATH) as [Unary, (v: number) => number][]) {
        const out = x[op]();
        assert.is(out.dtype, dtype, op);
        assert.equal([...out.shape], [...x.shape], op);
        assertSameValues(out.data(), values.map((v) => round(dtype)(fn(v))), op);
      }
    }), 15);
  });
}

test('int32 inputs: neg/abs/sign/relu/square stay int32, float-valued ops compute in float32', () => {
  const x = tensor([-3, 0, 2], { dtype: 'int32' });
  for (const op of ['neg', 'abs', 'sign', 'relu', 'square'] as Unary[]) assert.is(x[op]().dtype, 'int32', op);
  assert.equal(x.abs().toArray(), [3, 0, 2]);
  assert.is(x.exp().dtype, 'float32');
  assertSameValues(x.exp().data(), [-3, 0, 2].map((v) => Math.fround(Math.exp(v))));
});

test('round is half-to-even as torch.round; sign and relu at 0; NaN propagates', () => {
  assert.equal(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6], { dtype: 'float64' }).round().toArray(), [0, 2, 2, -0, -2, 2, -3]);
  assert.equal(tensor([-0, 0, 3, -3]).sign().toArray(), [-0, 0, 1, -1]);
  assert.equal(tensor([-1, 0, 1]).relu().toArray(), [0, 0, 1]);
  for (const op of ['exp', 'tanh', 'sigmoid', 'relu', 'abs', 'sqrt'] as Unary[]) {
    assert.ok(Number.isNaN(tensor([NaN])[op]().item()), op);
  }
});

test('erf: float64-accurate against glibc reference values, odd, and the float32 form within 2e-7', () => {
  // math.erf (glibc) at these points.
  const reference: [number, number][] = [
    [1e-10, 1.1283791670955126e-10], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
    [1, 0.8427007929497149], [2, 0.9953222650189527], [2.5, 0.999593047982555], [3, 0.9999779095030014],
    [4, 0.9999999845827421], [5.5, 0.9999999999999927],
  ];
  for (const [x, e] of reference) {
    assertClose([erf64(x)], [e], 0, 2e-15, `erf64(${x})`);
    assertClose([erf64(-x)], [-e], 0, 2e-15, `erf64(${-x})`);
    assertClose([erf32(x)], [e], 0, 2e-7, `erf32(${x})`);
  }
  assert.is(erf64(0), 0);
  assert.is(erf64(Infinity), 1);
  assert.ok(Number.isNaN(erf64(NaN)));
  check(fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
    assert.ok(Math.abs(erf32(x) - erf64(x)) <= 2e-7 * Math.abs(erf64(x)) + 1e-30);
    assert.is(erf64(-x), -erf64(x));
  }), 200);
  const x = tensor([-1, 0.25, 3], { dtype: 'float64' });
  assertSameValues(x.erf().data(), [-1, 0.25, 3].map(erf64));
});

test('gelu: exact form x·Φ(x) and the tanh approximation, in float64', () => {
  const values = [-3, -1, -0.1, 0, 0.3, 1, 2.5, 6];
  const x = tensor(values, { dtype: 'float64' });
  // torch's formula, x·½·(1 + erf(x/√2)), whose cancellation for x ≪ 0 both sides share.
  assertClose(x.gelu().data(), values.map((v) => 0.5 * v * (1 + erf64(v * Math.SQRT1_2))), 0, 1e-15);
  const tanhForm = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  assertClose(x.gelu('tanh').data(), values.map(tanhForm), 0, 1e-15);
  // The two forms agree to about 1e-3 (the approximation's error).
  assertClose(x.gelu('tanh').data(), x.gelu().data(), 1e-3, 0);
});

test('clamp bounds either side, keeps dtype, and takes the value of the bound', () => {
  check(fc.property(shapeArb(), fc.nat(), fc.double({ min: -2, max: 0, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), (shape, seed, lo, hi) => {
    const x = randomTensor(shape, seed);
    const v = Array.from(x.data());
    assertSameValues(x.clamp(lo, hi).data(), v.map((e) => Math.min(hi, Math.max(lo, e))));
    assertSameValues(clamp(x, lo).data(), v.map((e) => Math.max(lo, e)));
    assertSameValues(x.clamp(null, hi).data(), v.map((e) => Math.min(hi, e)));
  }), 25);
  assert.is(tensor([1, 5], { dtype: 'int32' }).clamp(2, 4).dtype, 'int32');
});

test('float64 is exact: values round-trip bit for bit and arithmetic is IEEE double', () => {
  check(fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 30 }), (values) => {
    const x = tensor(values, { dtype: 'float64' });
    assertSameValues(x.data(), values);
    assertSameValues(x.toArray() as number[], values);
    assertSameValues(x.add(0.1).data(), values.map((v) => v + 0.1));
    assertSameValues(x.mul(x).data(), values.map((v) => v * v));
  }), 50);
  assert.is(tensor(0.1, { dtype: 'float64' }).add(0.2).item(), 0.30000000000000004);
  assert.is(tensor([1e-320], { dtype: 'float64' }).mul(2).item(), 2e-320); // subnormals kept
  assert.is(tensor([0.1]).item(), Math.fround(0.1)); // float32 rounds once on the way in
  assert.is(tensor(1 / 3, { dtype: 'float64' }).sum().item(), 1 / 3);
  // Integers up to 2^53 are exact in float64 (not in float32).
  assert.is(tensor([2 ** 53 - 1], { dtype: 'float64' }).item(), 2 ** 53 - 1);
  assert.is(tensor([2 ** 24 + 1]).item(), 2 ** 24);
});

test('unknown dtypes are rejected with the expected ones named', () => {
  throwsMatching(() => tensor([1]).to('float8' as DType), /to: unknown dtype 'float8' \(expected 'float32', 'float64', 'float16', 'bfloat16' or 'int32'\)/);
});

test.run();
