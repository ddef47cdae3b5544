/**
 * Seeded randomness: manualSeed and Generator reproduce streams exactly, generators are independent, and the
 * draws have the right ranges and moments (rand, randn, randint, randperm, dropout).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { dropout, Generator, manualSeed, ones, rand, randint, randn, randperm, tensor } from '../../src/tensor';
import { assertSameValues, check, throwsMatching } from './helpers';

const moments = (values: ArrayLike<number>) => {
  const v = Array.from(values);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1) };
};

test('manualSeed makes the global stream reproducible, as torch.manual_seed', () => {
  check(fc.property(fc.nat(), (seed) => {
    manualSeed(seed);
    const first = [randn([5]).data(), rand([3]).data(), randint(0, 10, [4]).data(), randperm(6).data()];
    manualSeed(seed);
    const second = [randn([5]).data(), rand([3]).data(), randint(0, 10, [4]).data(), randperm(6).data()];
    first.forEach((values, i) => assertSameValues(second[i], values));
  }), 20);
  manualSeed(1);
  const a = randn([4]).data();
  manualSeed(2);
  assert.not.equal(Array.from(randn([4]).data()), Array.from(a));
});

test('a Generator is its own stream: same seed same draws, and it leaves the global stream alone', () => {
  manualSeed(7);
  const expectedGlobal = randn([3]).data();
  manualSeed(7);
  const g1 = new Generator(42), g2 = new Generator(42);
  const x1 = randn([2, 3], { generator: g1, dtype: 'float64' });
  const x2 = randn([2, 3], { generator: g2, dtype: 'float64' });
  assertSameValues(x1.data(), x2.data());
  assertSameValues(randn([3]).data(), expectedGlobal);
  g1.manualSeed(42);
  assertSameValues(randn([2, 3], { generator: g1, dtype: 'float64' }).data(), x1.data());
  assert.is(g1.initialSeed(), '42');
  // float32 draws are the float64 draws rounded.
  assertSameValues(randn([6], { generator: new Generator(3) }).data(), Array.from(randn([6], { generator: new Generator(3), dtype: 'float64' }).data(), Math.fround));
});

test('randn has mean 0 and variance 1; rand is uniform on [0, 1)', () => {
  const normal = moments(randn([20000], { generator: new Generator(11), dtype: 'float64' }).data());
  assert.ok(Math.abs(normal.mean) < 0.03, `mean ${normal.mean}`);
  assert.ok(Math.abs(normal.variance - 1) < 0.04, `variance ${normal.variance}`);
  const uniform = rand([20000], { generator: new Generator(12), dtype: 'float64' }).data();
  const u = moments(uniform);
  assert.ok(Math.abs(u.mean - 0.5) < 0.01 && Math.abs(u.variance - 1 / 12) < 0.005);
  assert.ok(Array.from(uniform).every((v) => v >= 0 && v < 1));
  assert.ok(Array.from(rand([20000], { generator: new Generator(13) }).data()).every((v) => v >= 0 && v < 1));
});

test('randint covers [low, high) and nothing else; randperm is a permutation', () => {
  check(fc.property(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.nat(), (low, span, seed) => {
    const draws = Array.from(randint(low, low + span, [400], { generator: new Generator(seed) }).data());
    assert.equal([...new Set(draws)].sort((a, b) => a - b), Array.from({ length: span }, (_, i) => low + i));
    const perm = Array.from(randperm(span + 3, { generator: new Generator(seed) }).data());
    assert.equal([...perm].sort((a, b) => a - b), Array.from({ length: span + 3 }, (_, i) => i));
  }), 20);
  assert.is(randint(0, 3, [2]).dtype, 'int32');
});

test('dropout: seeded, zeroes about p of the entries, scales the rest by 1/(1−p) exactly; identity in eval or p = 0', () => {
  const x = ones([4000], { dtype: 'float64' });
  const y = dropout(x, 0.3, { generator: new Generator(5) });
  const kept = Array.from(y.data()).filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / 4000 - 0.7) < 0.03);
  assert.ok(kept.every((v) => v === 1 / 0.7));
  assertSameValues(dropout(x, 0.3, { generator: new Generator(5) }).data(), y.data());
  assert.is(dropout(x, 0.3, { training: false }), x);
  assert.is(dropout(x, 0), x);
  assert.equal(Array.from(dropout(tensor([1, 2]), 1).data()), [0, 0]);
  assert.throws(() => dropout(x, 1.5), /dropout: probability has to be between 0 and 1, but got 1.5/);
});

test('dropout refuses a negative probability with one line', () => {
  throwsMatching(() => dropout(ones([3]), -0.1), /^dropout: probability has to be between 0 and 1, but got -0.1$/);
});

test('dropout with p = 1 keeps the dtype, int32 included, as torch gives int zeros there', () => {
  const y = dropout(tensor([1, 2, 3], { dtype: 'int32' }), 1);
  assert.is(y.dtype, 'int32');
  assert.equal(Array.from(y.data()), [0, 0, 0]);
});

test('dropout of an int32 tensor is float32, the kept entries scaled by 1/(1−p), not by a scale truncated to an integer', () => {
  const y = dropout(tensor([3, 3, 3, 3, 3, 3, 3, 3], { dtype: 'int32' }), 0.25, { generator: new Generator(1) });
  assert.is(y.dtype, 'float32');
  const values = Array.from(y.data());
  assert.ok(values.some((v) => v !== 0), 'some entries are kept');
  assert.ok(values.every((v) => v === 0 || v === 4), `kept entries are 3 / 0.75 = 4: ${values}`);
});


test('Generator.permutation is a permutation of 0..n−1, reproducible from the seed (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), (n, seed) => {
    const p = new Generator(seed).permutation(n);
    assert.equal(Array.from(p), Array.from(new Generator(seed).permutation(n)));
    assert.equal(Array.from(p).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
  }), { numRuns: 50 });
});

test('randperm draws the same permutation as Generator.permutation from the same stream', () => {
  const n = 17;
  assert.equal(Array.from(randperm(n, { generator: new Generator('p') }).data()), Array.from(new Generator('p').permutation(n)));
});

test.run();
