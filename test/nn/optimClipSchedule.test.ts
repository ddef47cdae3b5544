// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_) and learning-rate schedules
// (torch's LambdaLR, transformers' warm-up schedules) beyond the common case: other norms, non-finite norms,
// resuming, several groups and the warm-up edges. Expected values are worked out by hand from the definitions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, f64, throwsMatching } from './util';
import { tensor } from '../../src/tensor/create';
import type { Tensor } from '../../src/tensor/tensor';
import { optim } from '../../src/nn';

const { SGD, LambdaLR, clipGradNorm, clipGradValue, getConstantScheduleWithWarmup, getCosineScheduleWithWarmup, getLinearScheduleWithWarmup } = optim;

const withGrad = (grad: number[]): Tensor => {
  const p = f64(grad.map(() => 0), [grad.length]).requiresGrad_(true);
  p.grad = f64(grad, [grad.length]);
  return p;
};

/** The learning rates a schedule sets over `steps` steps, starting with the one set at construction. */
function lrs(make: (opt: optim.Optimizer<object>) => optim.LambdaLR, steps: number, lr = 1): number[] {
  const opt = new SGD([f64([0], [1]).requiresGrad_(true)], { lr });
  const schedule = make(opt);
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) { seen.push(opt.paramGroups[0].lr); schedule.step(); }
  return seen;
}

test('clipGradNorm with normType 1 uses the sum of absolute values across all gradients', () => {
  const a = withGrad([3, -4]);
  const b = withGrad([-1]);
  const total = clipGradNorm([a, b], 4, 1);
  assertClose([total.item()], [8], 1e-15, 0);
  const coef = 4 / (8 + 1e-6);
  assertClose([...(a.grad as Tensor).data(), ...(b.grad as Tensor).data()], [3 * coef, -4 * coef, -coef], 1e-15, 0);
});

test('clipGradNorm with the ∞-norm scales by maxNorm over the largest absolute entry of any gradient', () => {
  const a = withGrad([1, -6]);
  const b = withGrad([2]);
  assert.is(clipGradNorm([a, b], 3, Infinity).item(), 6);
  const coef = 3 / (6 + 1e-6);
  assertClose([...(a.grad as Tensor).data(), ...(b.grad as Tensor).data()], [coef, -6 * coef, 2 * coef], 1e-15, 0);
});

test('clipGradNorm leaves gradients whose norm is below maxNorm unchanged', () => {
  const a = withGrad([0.3, -0.4]);
  assertClose([clipGradNorm([a], 1).item()], [0.5], 1e-15, 0);
  assert.equal([...(a.grad as Tensor).data()], [0.3, -0.4]);
});

test('clipGradNorm with errorIfNonfinite refuses a non-finite total norm; without it the norm is returned', () => {
  throwsMatching(() => clipGradNorm([withGrad([1, Number.NaN])], 1, 2, { errorIfNonfinite: true }),
    /^The total norm of order 2 for gradients from `parameters` is non-finite, so it cannot be clipped\.$/);
  throwsMatching(() => clipGradNorm([withGrad([Infinity])], 1, 2, { errorIfNonfinite: true }), /order 2 .* non-finite/);
  assert.is(clipGradNorm([withGrad([Infinity])], 1).item(), Infinity);
  assert.is(clipGradNorm([withGrad([3, 4])], 10, 2, { errorIfNonfinite: true }).item(), 5);
});

test('clipGradNorm computes in the gradients\' dtype: float32 gradients give a float32 norm', () => {
  const p = tensor(new Float32Array([0, 0]), { shape: [2], dtype: 'float32' }).requiresGrad_(true);
  p.grad = tensor(new Float32Array([3, 4]), { shape: [2], dtype: 'float32' });
  const total = clipGradNorm([p], 1);
  assert.is(total.dtype, 'float32');
  assert.is((p.grad as Tensor).dtype, 'float32');
  assertClose((p.grad as Tensor).data(), [0.6, 0.8], 1e-6, 0);
});

test('clipGradValue clamps every gradient entry into [−clipValue, clipValue] and skips parameters without one', () => {
  const a = withGrad([-3, -0.5, 0.5, 3]);
  const b = f64([1], [1]).requiresGrad_(true);
  clipGradValue([a, b], 1);
  assert.equal([...(a.grad as Tensor).data()], [-1, -0.5, 0.5, 1]);
  assert.is(b.grad, null);
});

test('linear warm-up with no warm-up steps starts at the full rate and decays to zero', () => {
  assertClose(lrs((o) => getLinearScheduleWithWarmup(o, 0, 4), 6), [1, 0.75, 0.5, 0.25, 0, 0], 1e-15, 0);
});

test('linear warm-up as long as training reaches zero right after the warm-up', () => {
  assertClose(lrs((o) => getLinearScheduleWithWarmup(o, 2, 2), 4), [0, 0.5, 0, 0], 1e-15, 0);
});

test('constant schedule: linear warm-up, then the base rate', () => {
  assertClose(lrs((o) => getConstantScheduleWithWarmup(o, 2), 5, 4), [0, 2, 4, 4, 4], 1e-15, 0);
  assertClose(lrs((o) => getConstantScheduleWithWarmup(o, 0), 2, 4), [4, 4], 1e-15, 0);
});

test('cosine schedule with one full cycle comes back up to the base rate', () => {
  // numCycles = 1: 0.5·(1 + cos(2π·progress)) at progress 0, ¼, ½, ¾ is 1, ½, 0, ½.
  assertClose(lrs((o) => getCosineScheduleWithWarmup(o, 0, 4, 1), 4), [1, 0.5, 0, 0.5], 1e-15, 1e-15);
});

test('LambdaLR takes one lambda per group and refuses a list of another length', () => {
  const opt = new SGD([{ params: [f64([0], [1]).requiresGrad_(true)] }, { params: [f64([0], [1]).requiresGrad_(true)] }], { lr: 1 });
  throwsMatching(() => new LambdaLR(opt, [(s) => s]), /^Expected 2 lr_lambdas, but got 1$/);
});

test('LambdaLR resumes from lastEpoch with the initial rates a first scheduler recorded', () => {
  const opt = new SGD([f64([0], [1]).requiresGrad_(true)], { lr: 2 });
  throwsMatching(() => new LambdaLR(opt, (s) => s, 3), /^param 'initial_lr' is not specified in param_groups when resuming an optimizer$/);
  const first = new LambdaLR(opt, (s) => 1 / (s + 1));
  first.step();
  const resumed = new LambdaLR(opt, (s) => 1 / (s + 1), 4);
  assert.is(resumed.lastEpoch, 5);
  assert.equal(resumed.baseLrs, [2]);
  assert.equal(resumed.getLastLr(), [2 / 6]);
  assert.is(opt.paramGroups[0].lr, 2 / 6);
});

test('LambdaLR refuses to resume when any one group lacks its initial rate (a group added after the first scheduler)', () => {
  const opt = new SGD([f64([0], [1]).requiresGrad_(true)], { lr: 2 });
  new LambdaLR(opt, (s) => s);
  opt.addParamGroup({ params: [f64([0], [1]).requiresGrad_(true)], lr: 3 });
  throwsMatching(() => new LambdaLR(opt, (s) => s, 0), /^param 'initial_lr' is not specified in param_groups when resuming an optimizer$/);
});

test('LambdaLR.loadStateDict restores the step, base rates and last rates; getLastLr returns a copy', () => {
  const source = new LambdaLR(new SGD([f64([0], [1]).requiresGrad_(true)], { lr: 3 }), (s) => s + 1);
  source.step();
  const target = new LambdaLR(new SGD([f64([0], [1]).requiresGrad_(true)], { lr: 1 }), (s) => s + 1);
  target.loadStateDict(source.stateDict());
  assert.equal(target.stateDict(), { lastEpoch: 1, baseLrs: [3], lastLr: [6] });
  target.getLastLr().push(99);
  assert.equal(target.getLastLr(), [6]);
  target.step();
  assert.equal(target.getLastLr(), [9]);
});

test.run();
