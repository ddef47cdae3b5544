/**
 * PyTorch's shapes of calls: creation functions take the sizes as arguments (`randn(2, 3)`) or one array
 * (`randn([2, 3])`), with options last, as torch.zeros / ones / rand / randn and Tensor.new_zeros do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { Generator, ones, rand, randn, tensor, zeros } from '../../src/tensor';
import { check, shapeArb, throwsMatching } from './helpers';

test('zeros / ones / rand / randn: sizes as arguments give what one array gives, options last (property)', () => {
  check(fc.property(shapeArb(), fc.nat(1000), (shape, seed) => {
    assert.equal(zeros(...shape).shape, shape);
    assert.equal(Array.from(ones(...shape, { dtype: 'float64' }).data()), Array.from(ones(shape, { dtype: 'float64' }).data()));
    assert.is(ones(...shape, { dtype: 'float64' }).dtype, 'float64');
    const a = randn(...shape, { generator: new Generator(seed) });
    const b = randn(shape, { generator: new Generator(seed) });
    assert.equal(a.shape, b.shape);
    assert.equal(Array.from(a.data()), Array.from(b.data()));
    assert.equal(Array.from(rand(...shape, { generator: new Generator(seed) }).data()), Array.from(rand(shape, { generator: new Generator(seed) }).data()));
  }));
});

test('randn(2, 3) is (2, 3); zeros() is a scalar; newZeros / newOnes take sizes as arguments too', () => {
  assert.equal(randn(2, 3).shape, [2, 3]);
  assert.equal(zeros().shape, []);
  const x = tensor([1, 2], { dtype: 'float64' });
  assert.equal(x.newZeros(2, 3).shape, [2, 3]);
  assert.is(x.newOnes([4]).dtype, 'float64');
});

test('sizes that are neither numbers nor one array are a TypeError that shows both forms', () => {
  throwsMatching(() => (randn as (...a: unknown[]) => unknown)('2', 3), /randn: expected the sizes as numbers, randn\(2, 3\), or one array of them, randn\(\[2, 3\]\), with options last; got \(string, number\)/);
  throwsMatching(() => (zeros as (...a: unknown[]) => unknown)([2], [3]), /zeros: expected the sizes .* got \(Array, Array\)/);
  throwsMatching(() => randn(2, -1), /randn: invalid shape/);
});

test.run();
