/** ndarray interop: tensors and ndarrays share memory and agree on every strided layout. */
import fc from 'fast-check';
import ndarray from 'ndarray';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { arange, fromNdarray, tensor, toNdarray } from '../../src/index';

test('toNdarray views a strided tensor: every element agrees and writes go through', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (rows, cols, step) => {
    const base = arange(0, rows * cols * 2, 1, { dtype: 'float64' }).reshape(rows, cols * 2);
    const t = base.slice(1, 0, cols * 2, step).t();
    const nd = toNdarray(t);
    assert.equal(nd.shape, [...t.shape]);
    const values = t.toArray() as number[][];
    for (let i = 0; i < t.shape[0]; i++) for (let j = 0; j < t.shape[1]; j++) assert.is(nd.get(i, j), values[i][j]);
    nd.set(0, 0, -1);
    assert.is((base.toArray() as number[][])[0][0], -1);
  }), { numRuns: 40 });
});

test('fromNdarray shares typed memory and follows ndarray views (transpose, lo/hi, step)', () => {
  const data = new Float64Array(Array.from({ length: 24 }, (_, i) => i));
  const nd = ndarray(data, [4, 6]);
  const view = nd.transpose(1, 0).lo(1, 1).hi(4, 2).step(2, 1);
  const t = fromNdarray(view);
  assert.is(t.dtype, 'float64');
  assert.equal(t.shape, view.shape);
  const values = t.toArray() as number[][];
  for (let i = 0; i < view.shape[0]; i++) for (let j = 0; j < view.shape[1]; j++) assert.is(values[i][j], view.get(i, j));
  data[1 * 6 + 1] = 100;
  assert.is((fromNdarray(nd).toArray() as number[][])[1][1], 100);
});

test('fromNdarray copies plain arrays and negative strides into float32', () => {
  const nd = ndarray([1, 2, 3, 4, 5, 6], [2, 3]).step(-1, 1);
  const t = fromNdarray(nd);
  assert.is(t.dtype, 'float32');
  assert.equal(t.toArray(), [[4, 5, 6], [1, 2, 3]]);
});

test('toNdarray on the gpu device and out-of-range views are clear errors', () => {
  assert.throws(() => toNdarray(tensor([1, 2]).to('gpu')), /toNdarray: tensor is on 'gpu'; move it with \.to\('cpu'\) first/);
  assert.throws(() => fromNdarray(ndarray(new Float32Array(4), [3, 3])), /fromNdarray: the view \(3,3\) .* reaches past its data \(4 elements\)/);
});

test.run();
