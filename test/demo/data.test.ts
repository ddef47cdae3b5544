import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { BatchSampler, makeBatch, PIXEL_MEAN, PIXEL_STD } from '../../src/demo/batches';
import { FINETUNE_DIGITS, IMAGE_PIXELS, labelCounts, PRETRAIN_DIGITS, splitDigits, type DigitSet } from '../../src/demo/data';

/** A content fingerprint of every image of a set (so overlap between parts can be checked). */
function fingerprints(set: DigitSet): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.count; i++) out.push(Array.from(set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)).join(','));
  return out;
}

const equalSets = (a: DigitSet, b: DigitSet) => a.count === b.count
  && a.labels.every((v, i) => v === b.labels[i]) && a.images.every((v, i) => v === b.images[i]);

test('the same seed gives the same split; another seed a different one', () => {
  const a = splitDigits(FINETUNE_DIGITS, { seed: 3 });
  const b = splitDigits(FINETUNE_DIGITS, { seed: 3 });
  const c = splitDigits(FINETUNE_DIGITS, { seed: 4 });
  for (const part of ['train', 'validation', 'test'] as const) assert.ok(equalSets(a[part], b[part]), part);
  assert.not.ok(equalSets(a.test, c.test));
});

test('parts are disjoint, cover each digit and are stratified', () => {
  const split = splitDigits(PRETRAIN_DIGITS, { seed: 11, testFraction: 0.25, validationFraction: 0.1 });
  const total = split.train.count + split.validation.count + split.test.count;
  assert.ok(total > 4500, `only ${total} samples`);
  // MNIST holds a few exact duplicate images; overlap must not exceed that background
  const train = new Set(fingerprints(split.train));
  const overlap = fingerprints(split.test).filter((f) => train.has(f)).length;
  assert.ok(overlap <= 3, `${overlap} test images also in train`);
  for (const part of [split.train, split.validation, split.test]) {
    const counts = labelCounts(part, 5);
    const share = counts.map((n) => n / part.count);
    for (const s of share) assert.ok(s > 0.13 && s < 0.27, `unbalanced part: ${counts}`);
  }
  assert.ok(Math.abs(split.test.count / total - 0.25) < 0.01);
});

test('labels are positions in the digit list and pixels lie in [0, 1]', () => {
  const split = splitDigits([7, 3], { seed: 0, maxTest: 40, maxValidation: 20 });
  assert.is(split.test.count, 40);
  assert.is(split.validation.count, 20);
  assert.equal(labelCounts(split.test, 2), [20, 20]);
  for (const v of split.train.images) if (!(v >= 0 && v <= 1)) assert.unreachable(`pixel ${v}`);
});

test('maxTest keeps a prefix of the full test part and leaves train unchanged', () => {
  const full = splitDigits(FINETUNE_DIGITS, { seed: 5 });
  const small = splitDigits(FINETUNE_DIGITS, { seed: 5, maxTest: 100 });
  assert.ok(equalSets(full.train, small.train));
  const fullTest = new Set(fingerprints(full.test));
  for (const f of fingerprints(small.test)) assert.ok(fullTest.has(f));
});

test('invalid fractions and digits are rejected with the field named', () => {
  assert.throws(() => splitDigits([1], { seed: 0, testFraction: 1.5 }), /testFraction/);
  assert.throws(() => splitDigits([1], { seed: 0, testFraction: 0.6, validationFraction: 0.5 }), /below 1/);
  assert.throws(() => splitDigits([12], { seed: 0 }), /digits 0–9/);
});

test('BatchSampler visits every sample once per epoch, reproducibly', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (batchSize, batches, seed) => {
    const count = batchSize * batches;
    const a = new BatchSampler(count, batchSize, seed);
    const b = new BatchSampler(count, batchSize, seed);
    const seen: number[] = [];
    for (let i = 0; i < batches; i++) {
      const x = a.next();
      assert.equal(Array.from(x), Array.from(b.next()));
      seen.push(...x);
    }
    assert.equal(seen.sort((x, y) => x - y), Array.from({ length: count }, (_, i) => i));
  }), { numRuns: 40 });
  assert.throws(() => new BatchSampler(3, 4, 0), /at least batchSize/);
});

test('makeBatch normalises pixels and keeps labels', () => {
  const split = splitDigits([0, 1], { seed: 2, maxTest: 6 });
  const batch = makeBatch(split.test, [4, 1]);
  assert.equal(batch.pixels.shape, [2, 1, 28, 28]);
  assert.equal(Array.from(batch.labels.data()), [split.test.labels[4], split.test.labels[1]]);
  const pixels = batch.pixels.data();
  const expected = (split.test.images[IMAGE_PIXELS + 300] - PIXEL_MEAN) / PIXEL_STD;
  assert.ok(Math.abs(pixels[IMAGE_PIXELS + 300] - expected) < 1e-6);
});

test.run();
