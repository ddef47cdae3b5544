/**
 * Broadcasting binary ops against a naive reference that walks multi-indices: every arithmetic op and
 * comparison, tensor–tensor and tensor–number, float64 / float32 / int32, on random broadcastable shapes
 * (including strided operands). Also dtype promotion and the broadcast error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { add, tensor, where, zeros, type DType, type Tensor } from '../../src/tensor';
import {
  assertSameValues, broadcastFlat, broadcastPairArb, broadcastShape, check, forEachIndex, randomTensor, sameShape,
  throwsMatching,
} from './helpers';

type Binary = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
type Comparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const maxNaN = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y));
const minNaN = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y));

const ARITHMETIC: Record<Binary, (x: number, y: number) => number> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y,
  pow: (x, y) => Math.pow(x, y), maximum: maxNaN, minimum: minNaN,
};
const COMPARISON: Record<Comparison, (x: number, y: number) => boolean> = {
  eq: (x, y) => x === y, ne: (x, y) => x !== y, lt: (x, y) => x < y, le: (x, y) => x <= y, gt: (x, y) => x > y, ge: (x, y) => x >= y,
};

/** Rounds a float64 result to `dtype` as storing it does. */
const roundTo = (dtype: DType) => (v: number) => (dtype === 'float32' ? Math.fround(v) : dtype === 'int32' ? v | 0 : v);

/** The reference result of `fn` over broadcast a, b (values read from row-major copies). */
function reference(a: Tensor, b: Tensor, fn: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const shape = broadcastShape(a.shape, b.shape);
  const av = a.contiguous().data(), bv = b.contiguous().data();
  const values: number[] = [];
  forEachIndex(shape, (index) => values.push(fn(av[broadcastFlat(index, a.shape)], bv[broadcastFlat(index, b.shape)])));
  return { shape, values };
}

/** Operands of the op: positive bases for pow; small integers for int32; sometimes a transposed view. */
function operand(shape: readonly number[], seed: number, dtype: DType, op: string, strided: boolean): Tensor {
  const range: [number, number] | undefined = op === 'pow' ? [0.1, 3] : dtype === 'int32' ? [-5, 5] : undefined;
  if (strided && shape.length >= 2) {
    const swapped = [...shape];
    [swapped[0], swapped[swapped.length - 1]] = [swapped[swapped.length - 1], swapped[0]];
    return randomTensor(swapped, seed, dtype, range).transpose(0, -1);
  }
  return randomTensor(shape, seed, dtype, range);
}

const caseArb = fc.record({ shapes: broadcastPairArb(), seed: fc.nat(), strided: fc.boolean() });

for (const dtype of ['float64', 'float32'] as DType[]) {
  test(`arithmetic ops broadcast like the naive reference (${dtype}, strided operands too)`, () => {
    for (const [op, fn] of Object.entries(ARITHMETIC) as [Binary, (x: number, y: number) => number][]) {
      check(fc.property(caseArb, ({ shapes: [sa, sb], seed, strided }) => {
        const a = operand(sa, seed, dtype, op, strided);
        const b = operand(sb, seed + 7, dtype, op === 'pow' ? 'div' : op, !strided);
        const out = a[op](b);
        const expected = reference(a, b, fn);
        sameShape(out, expected.shape);
        assert.is(out.dtype, dtype);
        assertSameValues(out.data(), expected.values.map(roundTo(dtype)), `${op} ${sa} ${sb}`);
      }), 12);
    }
  });
}

test('int32 arithmetic stays int32 (add sub mul maximum minimum); int32 division gives float32', () => {
  for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum'] as Binary[]) {
    check(fc.property(caseArb, ({ shapes: [sa, sb], seed }) => {
      const a = operand(sa, seed, 'int32', op, false);
      const b = operand(sb, seed + 1, 'int32', op, false);
      const out = a[op](b);
      assert.is(out.dtype, 'int32');
      assertSameValues(out.data(), reference(a, b, ARITHMETIC[op]).values.map(roundTo('int32')));
    }), 8);
  }
  const q = tensor([7, -7], { dtype: 'int32' }).div(tensor([2, 2], { dtype: 'int32' }));
  assert.is(q.dtype, 'float32');
  assert.equal(q.toArray(), [3.5, -3.5]);
});

test('comparisons broadcast and give int32 0/1 masks', () => {
  for (const [op, fn] of Object.entries(COMPARISON) as [Comparison, (x: number, y: number) => boolean][]) {
    check(fc.property(caseArb, fc.constantFrom<DType>('float64', 'float32', 'int32'), ({ shapes: [sa, sb], seed, strided }, dtype) => {
      // Few distinct values, so equality happens.
      const a = operand(sa, seed, dtype, 'cmp', strided).mul(2).round();
      const b = operand(sb, seed + 3, dtype, 'cmp', false).mul(2).round();
      const out = a[op](b);
      assert.is(out.dtype, 'int32');
      assertSameValues(out.data(), reference(a, b, (x, y) => (fn(x, y) ? 1 : 0)).values, op);
    }), 8);
  }
});

test('a plain number broadcasts as a scalar on either side (free functions accept it first)', () => {
  check(fc.property(fc.tuple(caseArb, fc.double({ min: -5, max: 5, noNaN: true })), ([{ shapes: [sa], seed }, s]) => {
    const a = randomTensor(sa, seed);
    assertSameValues(a.add(s).data(), Array.from(a.data(), (x) => x + s));
    assertSameValues(a.sub(s).data(), Array.from(a.data(), (x) => x - s));
    assertSameValues(add(s, a).data(), Array.from(a.data(), (x) => s + x));
    assertSameValues(a.mul(s).data(), Array.from(a.data(), (x) => x * s));
    assertSameValues(a.div(s).data(), Array.from(a.data(), (x) => x / s));
    assertSameValues(a.gt(s).data(), Array.from(a.data(), (x) => (x > s ? 1 : 0)));
  }), 30);
});

test('dtype promotion: int32 < float32 < float64; a fractional number makes int32 float32', () => {
  const i = tensor([1, 2], { dtype: 'int32' }), f = tensor([1, 2]), d = tensor([1, 2], { dtype: 'float64' });
  assert.is(i.add(f).dtype, 'float32');
  assert.is(f.add(d).dtype, 'float64');
  assert.is(i.add(d).dtype, 'float64');
  assert.is(i.add(2).dtype, 'int32');
  assert.is(i.add(0.5).dtype, 'float32');
  assert.equal(i.add(0.5).toArray(), [1.5, 2.5]);
  assert.is(f.add(1e-300).dtype, 'float32');
});

test('dtype promotion with a 0-d tensor follows torch.result_type: it raises the dtype only across categories', () => {
  const i = tensor([1, 2], { dtype: 'int32' }), f = tensor([1, 2]), d = tensor([1, 2], { dtype: 'float64' });
  const d0 = tensor(3, { dtype: 'float64' }), f0 = tensor(3), i0 = tensor(3, { dtype: 'int32' });
  assert.is(f.mul(d0).dtype, 'float32');
  assert.is(d0.mul(f).dtype, 'float32');
  assert.is(d.mul(f0).dtype, 'float64');
  assert.is(i.add(d0).dtype, 'float64');
  assert.is(i.add(f0).dtype, 'float32');
  assert.is(f.add(i0).dtype, 'float32');
  assert.is(f0.add(d0).dtype, 'float64');
  assert.is(where(tensor([1, 0], { dtype: 'int32' }), f, d0).dtype, 'float32');
  assert.equal(f.sub(d0).toArray(), [-2, -1]);
});

test('where broadcasts condition and both branches, and takes numbers on either side', () => {
  check(fc.property(caseArb, fc.nat(), ({ shapes: [sa, sb], seed }, maskSeed) => {
    const cond = randomTensor(sb, maskSeed, 'int32', [0, 2]);
    const a = randomTensor(sa, seed);
    const b = randomTensor(sb.slice(1), seed + 1);
    const out = where(cond, a, b);
    const shape = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
    sameShape(out, shape);
    const c = cond.data(), av = a.data(), bv = b.data();
    const expected: number[] = [];
    forEachIndex(shape, (ix) => expected.push(c[broadcastFlat(ix, cond.shape)] ? av[broadcastFlat(ix, a.shape)] : bv[broadcastFlat(ix, b.shape)]));
    assertSameValues(out.data(), expected);
    assertSameValues(where(cond, a, -1).data(), where(cond, a, a.newFull([], -1)).data());
  }), 30);
  assert.equal(where(tensor([1, 0], { dtype: 'int32' }), 1, 0).toArray(), [1, 0]);
  assert.is(where(tensor([1, 0], { dtype: 'int32' }), 1, 0).dtype, 'int32');
  assert.is(where(tensor([1, 0], { dtype: 'int32' }), 1.5, 0).dtype, 'float32');
});

test('incompatible shapes throw naming both shapes', () => {
  throwsMatching(() => zeros([2, 3]).add(zeros([2])), /^add: shapes \(2,3\) and \(2\) cannot be broadcast together$/);
  throwsMatching(() => zeros([4, 1, 3]).mul(zeros([2, 4])), /mul: shapes \(4,1,3\) and \(2,4\)/);
  throwsMatching(() => zeros([3]).lt(zeros([4])), /lt: shapes \(3\) and \(4\)/);
  throwsMatching(() => where(zeros([2], { dtype: 'int32' }), zeros([3]), 0), /where: shapes \(2\) and \(3\)/);
});

test.run();
