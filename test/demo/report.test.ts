import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { lossCurvesSvg, movingAverage } from '../../src/demo/plot';
import { finalLoss, firstStepReaching, withStepsTo90, type MethodResult } from '../../src/demo/results';
import { formatCount, formatTable, markdownTable } from '../../src/demo/table';

function method(name: string, accuracies: number[], extra: Partial<MethodResult> = {}): MethodResult {
  return {
    name, id: name, trainableParams: 1234, totalParams: 56789, trainablePercent: 2.173, accuracy: 0.9, testLoss: 0.3,
    finalLoss: 0.25, seconds: 1.5, lossCurve: [2, 1, 0.5], learningRate: 1e-3, details: {}, stepsTo90: null,
    validationCurve: accuracies.map((accuracy, i) => ({ step: (i + 1) * 10, accuracy })), ...extra,
  };
}

test('movingAverage is bias-corrected: a constant stays constant, weight 1 is the identity (property)', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 1, maxLength: 30 }),
    fc.double({ min: 0.01, max: 1, noNaN: true }), (values, weight) => {
      const constant = movingAverage(values.map(() => values[0]), weight);
      for (const v of constant) assert.ok(Math.abs(v - values[0]) < 1e-9 * values[0]);
      const same = movingAverage(values, 1);
      same.forEach((v, i) => assert.ok(Math.abs(v - values[i]) < 1e-12));
      const smooth = movingAverage(values, weight);
      for (const v of smooth) assert.ok(v >= Math.min(...values) - 1e-9 && v <= Math.max(...values) + 1e-9);
    }), { numRuns: 60 });
});

test('lossCurvesSvg draws one curve pair and one legend entry per series, skipping unusable values', () => {
  const svg = lossCurvesSvg([{ name: 'FRoD <q,v>', losses: [2, 1.5, NaN, 0.5] }, { name: 'LoRA', losses: [2.1, 0, 1.2] }]);
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.is((svg.match(/<path /g) ?? []).length, 4);
  assert.ok(svg.includes('FRoD &lt;q,v&gt;'));
  assert.not.ok(svg.includes('NaN'));
  assert.throws(() => lossCurvesSvg([{ name: 'x', losses: [NaN, 0] }]), /no finite positive loss/);
});

test('finalLoss averages the tail; firstStepReaching finds the first crossing', () => {
  assert.is(finalLoss([5, 4, 3, 2, 1], 2), 1.5);
  assert.is(finalLoss([3], 10), 3);
  assert.ok(Number.isNaN(finalLoss([])));
  const curve = [{ step: 10, accuracy: 0.5 }, { step: 20, accuracy: 0.8 }, { step: 30, accuracy: 0.7 }];
  assert.is(firstStepReaching(curve, 0.75), 20);
  assert.is(firstStepReaching(curve, 0.9), null);
});

test('withStepsTo90 uses 90% of the best validation accuracy of any method', () => {
  const [a, b] = withStepsTo90([method('a', [0.5, 0.95, 1.0]), method('b', [0.85, 0.89, 0.91])]);
  assert.is(a.stepsTo90, 20); // threshold 0.9
  assert.is(b.stepsTo90, 30);
  const [c] = withStepsTo90([method('c', [0.2, 0.3])]);
  assert.is(c.stepsTo90, 20); // its own best is the best: 0.27 reached at step 20
});

test('tables show every method with aligned columns', () => {
  const rows = withStepsTo90([method('FRoD (query, value)', [0.9, 0.99]), method('linear probe', [0.1, 0.2], { accuracy: 0.5 })]);
  const text = formatTable(rows).split('\n');
  assert.is(text.length, 4);
  assert.ok(text[0].startsWith('method'));
  assert.ok(new Set(text.map((l) => l.length)).size === 1, 'rows have equal width');
  assert.ok(text[3].includes('50.00%') && text[3].includes('never'));
  assert.ok(text[2].includes('1,234') && text[2].includes('2.17%'));
  const md = markdownTable(rows).split('\n');
  assert.is(md.length, 4);
  assert.ok(md[1].startsWith('| :---'));
  assert.is(formatCount(1234567), '1,234,567');
});

test.run();
