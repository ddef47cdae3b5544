/**
 * PEFT's `print_trainable_parameters` line, piece by piece: Python's `f"{n:,d}"` thousands grouping
 * (`formatThousands`) and the whole line (`trainableParametersLine`). The literal strings are the format's
 * specification, checked against Python (`python3 -c 'print(f"{1234567:,d}")'`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { formatThousands, trainableParametersLine } from '../../src/peft/trainable';

test('formatThousands puts a comma before every group of three digits, counted from the right', () => {
  assert.is(formatThousands(999), '999');
  assert.is(formatThousands(1000), '1,000');
  assert.is(formatThousands(12345), '12,345');
  assert.is(formatThousands(1234567), '1,234,567');
  assert.is(formatThousands(1000000000), '1,000,000,000');
});

test('formatThousands agrees with en-US digit grouping for every safe integer', () => {
  // Intl's en-US grouping is an independent implementation of the same rule (groups of three, comma).
  const grouping = new Intl.NumberFormat('en-US', { useGrouping: true, maximumFractionDigits: 0 });
  fc.assert(fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
    fc.pre(!Object.is(n, -0));
    assert.is(formatThousands(n), grouping.format(n));
  }), { numRuns: 300 });
});

test('formatThousands keeps a negative sign in front of the first group, as Python does', () => {
  assert.is(formatThousands(-1234567), '-1,234,567');
  assert.is(formatThousands(-7), '-7');
});

test('formatThousands writes zero without a sign', () => {
  assert.is(formatThousands(0), '0');
});

test('trainableParametersLine is PEFT\'s line: grouped counts and the trainable share to four decimals', () => {
  assert.is(
    trainableParametersLine(1234, 56789),
    'trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730',
  );
});

test('trainableParametersLine of a model without parameters prints a share of 0, not NaN', () => {
  // PEFT divides by zero here (ZeroDivisionError); frod-ts prints 0%, as nothing of nothing is trainable.
  assert.is(trainableParametersLine(0, 0), 'trainable params: 0 || all params: 0 || trainable%: 0.0000');
});

test.run();
