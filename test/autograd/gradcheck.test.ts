/** gradcheck itself: it passes correct gradients and catches wrong ones, naming the input and element. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { gradcheck, record } from '../../src/autograd';
import { tensor, type Tensor } from '../../src/tensor';
import { check, randomTensor, shapeArb, throwsMatching } from '../tensor/helpers';

/** x ↦ x² recorded with a deliberately wrong derivative (scale · 2x instead of 2x). */
function squareWithGradScale(x: Tensor, scale: number): Tensor {
  const out = x.detach().square();
  return record(out, 'WrongSquareBackward', [x], (g) => [g.mul(x.detach()).mul(2 * scale)]);
}

test('correct gradients pass; a wrong derivative is caught on random inputs', () => {
  check(fc.property(shapeArb(3, 3, 1), fc.nat(), fc.double({ min: 1.1, max: 3, noNaN: true }), (shape, seed, scale) => {
    const x = randomTensor(shape, seed).add(3).requiresGrad_(); // away from 0, so the wrong gradient differs
    assert.ok(gradcheck((t) => squareWithGradScale(t, 1), [x]));
    assert.is(gradcheck((t) => squareWithGradScale(t, scale), [x], { raiseException: false }), false);
  }), 20);
});

test('the failure message names the input, the element and both values', () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  const failure = /^gradcheck: input 1 element 0: analytic (\S+) vs numeric (\S+)$/;
  throwsMatching(() => gradcheck((x, y) => x.add(squareWithGradScale(y, 2)), [a, b]), failure);
  try {
    gradcheck((x, y) => x.add(squareWithGradScale(y, 2)), [a, b]);
  } catch (err) {
    const [, analytic, numeric] = (err as Error).message.match(failure) as string[];
    assert.ok(Math.abs(Number(analytic) - 2 * Number(numeric)) < 1e-6 * Math.abs(Number(analytic)), 'analytic is twice the true value');
  }
});

test('inputs are checked in float64 whatever their dtype; int32 and no-grad inputs are passed through', () => {
  const x = tensor([0.5, 1.5], { requiresGrad: true }); // float32
  const index = tensor([1, 0], { dtype: 'int32' });
  const constant = tensor([2, 3]);
  assert.ok(gradcheck((t, i, c) => t.gather(0, i).mul(c).exp().sum(), [x, index, constant]));
  assert.is(x.grad, null, 'the caller’s tensors are not touched');
  // A constant output has zero gradient, numerically too; a gradient cut by detach() is caught.
  assert.ok(gradcheck(() => tensor(1), [x]));
  assert.is(gradcheck((t) => t.detach().sum(), [x], { raiseException: false }), false);
});

test.run();
