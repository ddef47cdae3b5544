/**
 * The argument checks of src/frod/pattern.ts that pattern.test.ts does not trip: `in` past the largest square
 * below 2^53 or not an integer, and checkpoint indices that are negative, fractional, or wrong in a row (not a
 * column) entry, with the tensor's default name. Each check removed (or its message part emptied) by hand passed
 * pattern.test.ts and fails here (docs/testing.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { patternFromIndices, sparseNnz } from '../../src/frod/pattern';

test('sparseNnz accepts in = 94906265 and refuses 94906266, whose in² reaches 2^53', () => {
  assert.is(sparseNnz(94906265, 0), 0);
  assert.throws(() => sparseNnz(94906266, 0), (e: Error) => e.message === 'sparseNnz: inFeatures must be an integer in [0, 94906265], got 94906266');
});

test('sparseNnz refuses a sparse rate outside [0, 1], NaN and infinities included, and accepts both ends', () => {
  for (const rate of [-0.5, 1.5, Number.NaN, Infinity, -Infinity]) {
    assert.throws(() => sparseNnz(4, rate), (e: Error) => e.message === `sparseNnz: sparseRate must be a number in [0, 1], got ${rate}`, String(rate));
  }
  assert.is(sparseNnz(4, 0), 0);
  assert.is(sparseNnz(4, 1), 12);
});

test('sparseNnz refuses an in that is not a whole number', () => {
  for (const inFeatures of [2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => sparseNnz(inFeatures, 0.5), /^sparseNnz: inFeatures must be an integer in \[0, 94906265\]/, String(inFeatures));
  }
});

test('patternFromIndices refuses a negative or fractional index, naming its row or col entry', () => {
  assert.throws(() => patternFromIndices([0, -1, 1, 0], 4), (e: Error) => e.message === 'frod_s_indices: index -1 at row entry 1 is outside [0, 4)');
  assert.throws(() => patternFromIndices([0, 1, 1.5, 0], 4), (e: Error) => e.message === 'frod_s_indices: index 1.5 at col entry 0 is outside [0, 4)');
  assert.throws(() => patternFromIndices(new BigInt64Array([0n, 2n, -3n, 1n]), 4), /^frod_s_indices: index -3 at col entry 0 /);
});

test('patternFromIndices names the tensor frod_s_indices by default when the shape is wrong', () => {
  assert.throws(() => patternFromIndices([0, 1, 2], 4), (e: Error) => e.message === 'frod_s_indices: expected shape (2, nnz), got 3 values');
});

test.run();
