/** softmax / logSoftmax along any dim: values against the definition, stability, −∞ entries. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { logSoftmax, softmax, tensor, type Tensor } from '../../src/tensor';
import { assertClose, check, forEachIndex, randomTensor, shapeArb, throwsMatching } from './helpers';

test('softmax and logSoftmax along a random dim match exp(x)/Σexp and x − log Σexp', () => {
  check(fc.property(shapeArb(3, 5, 1), fc.nat(), fc.nat(2), (shape, seed, k) => {
    const dim = k % shape.length;
    const x = randomTensor(shape, seed).mul(3);
    const values = x.data();
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const expectedLog: number[] = [];
    forEachIndex(shape, (index, flat) => {
      let total = 0;
      for (let j = 0; j < shape[dim]; j++) total += Math.exp(values[flat + (j - index[dim]) * strides[dim]]);
      expectedLog.push(values[flat] - Math.log(total));
    });
    assertClose(logSoftmax(x, dim).data(), expectedLog, 1e-12, 1e-12);
    assertClose(softmax(x, dim).data(), expectedLog.map(Math.exp), 1e-12, 1e-12);
    assertClose(x.softmax(dim).sum(dim).data(), new Array(x.numel() / shape[dim]).fill(1), 1e-12, 0);
  }), 40);
});

test('softmax is stable for huge logits and gives 0 for −∞ entries; int32 inputs compute in float32', () => {
  const x = tensor([[1000, 1001, -Infinity]], { dtype: 'float64' });
  assertClose(x.softmax(-1).data(), [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-15, 1e-12);
  assertClose(x.logSoftmax(-1).data(), [-Math.log1p(Math.E), 1 - Math.log1p(Math.E), -Infinity], 1e-12, 1e-12);
  assert.is(tensor([1, 2], { dtype: 'int32' }).softmax().dtype, 'float32');
  assert.is(tensor([1, 2]).logSoftmax().dtype, 'float32');
  throwsMatching(() => tensor([1, 2]).softmax(1), /softmax: dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)/);
});

test('int32 inputs are cast to float32 before softmax, as torch.softmax(x, dim, dtype=torch.float32)', () => {
  // 2^24 + 1 rounds to 2^24 in float32: the two logits are equal once cast.
  const x = tensor([16777217, 16777216], { dtype: 'int32' });
  assert.equal(Array.from(x.softmax(0).data()), [0.5, 0.5]);
  assert.equal(Array.from(x.logSoftmax(0).data()), [-Math.fround(Math.LN2), -Math.fround(Math.LN2)]);
});

test('softmax and logSoftmax default to the last dim', () => {
  const x = randomTensor([2, 3, 4], 7);
  assertClose(softmax(x).data(), softmax(x, 2).data(), 0, 0);
  assertClose(logSoftmax(x).data(), logSoftmax(x, 2).data(), 0, 0);
});

test('softmax and logSoftmax name themselves when the dim is out of range or the input is no tensor', () => {
  throwsMatching(() => tensor([1, 2]).logSoftmax(1), /^logSoftmax: dimension out of range/);
  throwsMatching(() => softmax(2 as unknown as Tensor), /^softmax: expected a Tensor/);
  throwsMatching(() => logSoftmax(2 as unknown as Tensor), /^logSoftmax: expected a Tensor/);
});

test.run();
