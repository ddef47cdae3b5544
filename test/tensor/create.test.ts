/** Creation: tensor() from numbers / nested arrays / typed arrays, zeros ones full arange linspace eye, *Like. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import {
  arange, eye, full, fullLike, linspace, ones, onesLike, randintLike, randLike, randnLike, tensor, zeros, zerosLike,
  type DType,
} from '../../src/tensor';
import { assertSameValues, check, forEachIndex, numel, randomTensor, sameShape, shapeArb, throwsMatching } from './helpers';

/** Nested arrays of `shape` whose element at index i is f(i). */
function nested(shape: readonly number[], f: (flat: number) => number, dim = 0, start = 0): unknown {
  if (dim === shape.length) return f(start);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[dim] }, (_, i) => nested(shape, f, dim + 1, start + i * inner));
}

test('tensor() from nested arrays keeps shape and values, float32 by default; toArray gives them back', () => {
  check(fc.property(shapeArb(4, 4, 1), fc.constantFrom<DType>('float32', 'float64', 'int32'), (shape, dtype) => {
    const data = nested(shape, (i) => i * 3 - 7) as number[];
    const t = dtype === 'float32' ? tensor(data) : tensor(data, { dtype });
    sameShape(t, shape);
    assert.is(t.dtype, dtype);
    assert.is(t.device, 'cpu');
    assert.equal(t.toArray(), data);
    assertSameValues(t.data(), Array.from({ length: numel(shape) }, (_, i) => i * 3 - 7));
  }), 40);
  const s = tensor(2.5);
  sameShape(s, []);
  assert.is(s.item(), 2.5);
  assert.is(s.toArray(), 2.5);
  sameShape(tensor([]), [0]);
});

test('tensor() from typed arrays: dtype from the array, shape option, always a copy', () => {
  const source = new Float64Array([1, 2, 3, 4, 5, 6]);
  const t = tensor(source, { shape: [2, 3] });
  assert.is(t.dtype, 'float64');
  sameShape(t, [2, 3]);
  source[0] = 100;
  assert.is(t.data()[0], 1);
  assert.is(tensor(new Int32Array([1, 2])).dtype, 'int32');
  assert.is(tensor(new Float64Array([0.1]), { dtype: 'float32' }).item(), Math.fround(0.1));
  throwsMatching(() => tensor(new Float32Array(5), { shape: [2, 3] }), /tensor: shape \(2,3\) needs 6 values, got 5/);
  throwsMatching(() => tensor([[1, 2], [3]]), /tensor: nested data is not rectangular/);
});

test('requiresGrad option marks a floating leaf; int32 cannot require grad', () => {
  const t = tensor([1, 2], { requiresGrad: true });
  assert.ok(t.requiresGrad);
  assert.ok(t.isLeaf);
  assert.ok(zeros([2], { requiresGrad: true }).requiresGrad);
  throwsMatching(() => tensor([1], { dtype: 'int32', requiresGrad: true }), /only tensors of floating point dtype can require gradients/);
});

test('zeros, ones, full, *Like', () => {
  check(fc.property(shapeArb(3, 4), fc.double({ noNaN: true }), (shape, value) => {
    assertSameValues(zeros(shape).data(), new Array(numel(shape)).fill(0));
    assertSameValues(ones(shape, { dtype: 'float64' }).data(), new Array(numel(shape)).fill(1));
    assertSameValues(full(shape, value, { dtype: 'float64' }).data(), new Array(numel(shape)).fill(value));
    const like = randomTensor(shape, 1);
    for (const t of [zerosLike(like), onesLike(like), fullLike(like, value), randLike(like), randnLike(like), randintLike(like, 0, 3)]) {
      sameShape(t, shape);
      assert.is(t.dtype, 'float64');
    }
    assert.is(zerosLike(like, { dtype: 'int32' }).dtype, 'int32');
  }), 30);
  throwsMatching(() => zeros([2, -1]), /zeros: invalid shape \(2,-1\) \(sizes must be non-negative integers\)/);
});

test('arange as torch.arange: int32 for integers, float32 with a fractional step, empty ranges', () => {
  assert.equal(arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.is(arange(5).dtype, 'int32');
  assert.equal(arange(2, 8, 3).toArray(), [2, 5]);
  assert.equal(arange(5, 0, -2).toArray(), [5, 3, 1]);
  assert.equal(arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
  assert.is(arange(0, 1, 0.25).dtype, 'float32');
  assert.is(arange(3, undefined, 1, { dtype: 'float64' }).dtype, 'float64');
  sameShape(arange(3, 3), [0]);
  sameShape(arange(3, 1), [0]);
  throwsMatching(() => arange(0, 1, 0), /arange: step must be nonzero/);
  check(fc.property(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -5, max: 5 }).filter((s) => s !== 0), (start, end, step) => {
    const expected: number[] = [];
    for (let v = start; step > 0 ? v < end : v > end; v += step) expected.push(v);
    assert.equal(arange(start, end, step).toArray(), expected);
  }), 60);
});

test('linspace includes both ends; eye(n), eye(n, m), eye(n, options)', () => {
  assert.equal(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(linspace(2, 2, 1).toArray(), [2]);
  check(fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), (n, m) => {
    const e = eye(n, m);
    sameShape(e, [n, m]);
    forEachIndex([n, m], ([i, j], flat) => assert.is(e.data()[flat], i === j ? 1 : 0));
  }), 20);
  assert.is(eye(3, { dtype: 'float64' }).dtype, 'float64');
  sameShape(eye(3, { dtype: 'float64' }), [3, 3]);
});

test('numel, size, ndim, isContiguous', () => {
  const t = zeros([2, 3, 4]);
  assert.is(t.numel(), 24);
  assert.is(t.ndim, 3);
  assert.equal(t.size(), [2, 3, 4]);
  assert.is(t.size(-1), 4);
  assert.ok(t.isContiguous());
  assert.equal([...t.strides], [12, 4, 1]);
  throwsMatching(() => t.size(3), /size: dimension 3 out of range for a 3-d tensor/);
});

test.run();
