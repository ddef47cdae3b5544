// Optimizers' options, parameter groups, hyper-parameter checks and state dicts: what torch.optim accepts,
// refuses (with its messages) and restores. The update rules themselves are in optim.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, f64, throwsMatching } from './util';
import { tensor } from '../../src/tensor/create';
import type { Tensor } from '../../src/tensor/tensor';
import { Linear, optim } from '../../src/nn';
import { optimizerOptions } from '../../src/nn/optim/optimizer';

const { SGD, Adam, AdamW } = optim;

const param = (values: number[] = [1, 2]): Tensor => f64(values, [values.length]).requiresGrad_(true);

test('invalid hyper-parameters are refused with PyTorch\'s message naming the value', () => {
  const p = param();
  throwsMatching(() => new Adam([p], { lr: Number.NaN }), /^Invalid learning rate: NaN$/);
  throwsMatching(() => new Adam([p], { eps: -1e-8 }), /^Invalid epsilon value: -1e-8$/);
  throwsMatching(() => new Adam([p], { betas: [-0.1, 0.9] }), /^Invalid beta parameter at index 0: -0.1$/);
  throwsMatching(() => new AdamW([p], { betas: [0.9, 1] }), /^Invalid beta parameter at index 1: 1$/);
  throwsMatching(() => new AdamW([p], { betas: [0.9, -0.5] }), /^Invalid beta parameter at index 1: -0.5$/);
  throwsMatching(() => new AdamW([p], { weightDecay: -0.01 }), /^Invalid weight_decay value: -0.01$/);
  throwsMatching(() => new SGD([p], { momentum: -0.9 }), /^Invalid momentum value: -0.9$/);
  throwsMatching(() => new SGD([p], { weightDecay: -1 }), /^Invalid weight_decay value: -1$/);
});

test('the boundary values PyTorch accepts are accepted: zero lr, eps, betas and weight decay', () => {
  const p = param();
  const adam = new Adam([p], { lr: 0, eps: 0, betas: [0, 0], weightDecay: 0 });
  assert.equal(adam.paramGroups[0].betas, [0, 0]);
  assert.is(new SGD([p], { lr: 0, momentum: 0, weightDecay: 0 }).paramGroups[0].lr, 0);
});

test('Nesterov momentum needs a positive momentum and zero dampening', () => {
  const p = param();
  throwsMatching(() => new SGD([p], { nesterov: true, momentum: 0.9, dampening: 0.1 }), /^Nesterov momentum requires a momentum and zero dampening$/);
  throwsMatching(() => new SGD([p], { nesterov: true, momentum: 0 }), /Nesterov momentum requires/);
  assert.is(new SGD([p], { nesterov: true, momentum: 0.9 }).paramGroups[0].nesterov, true);
});

test('an unknown option is refused, naming the near miss when the name only differs in case or underscores', () => {
  const p = param();
  const options = 'the options are lr, momentum, dampening, weightDecay, nesterov, maximize';
  throwsMatching(() => new SGD([p], { weight_decay: 0.1 } as never), new RegExp(`^SGD: unknown option "weight_decay" \\(did you mean "weightDecay"\\?\\); ${options}$`));
  throwsMatching(() => new SGD([p], { beta: 0.1 } as never), new RegExp(`^SGD: unknown option "beta"; ${options}$`));
});

test('each optimizer names itself when its options are wrong', () => {
  const p = param();
  for (const [name, make] of [['SGD', SGD], ['Adam', Adam], ['AdamW', AdamW]] as const) {
    throwsMatching(() => new make([p], { lr_: 1 } as never), new RegExp(`^${name}: unknown option "lr_" \\(did you mean "lr"\\?\\)`));
  }
});

test('named parameters (module.namedParameters()) are optimized as the tensors they name', () => {
  const layer = new Linear(2, 3);
  const sgd = new SGD(layer.namedParameters(), { lr: 0.5 });
  assert.ok(sgd.paramGroups[0].params[0] === layer.weight, 'the weight itself');
  assert.ok(sgd.paramGroups[0].params[1] === layer.bias, 'the bias itself');
});

test('optimizerOptions without options is a fresh copy of the defaults', () => {
  const defaults = { lr: 0.1, momentum: 0 };
  const filled = optimizerOptions('SGD', defaults, undefined);
  assert.equal(filled, defaults);
  assert.ok(filled !== defaults);
});

test('options given as undefined take the defaults; a number is the learning rate, as PyTorch\'s positional lr', () => {
  const p = param();
  const sgd = new SGD([p], { lr: undefined, momentum: 0.5 });
  assert.is(sgd.paramGroups[0].lr, 1e-3);
  assert.is(sgd.paramGroups[0].momentum, 0.5);
  const adam = new Adam([p], 0.25);
  assert.equal({ ...adam.paramGroups[0], params: [] }, { lr: 0.25, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [] });
});

test('options that are neither an object nor a number are a TypeError naming what was given', () => {
  const p = param();
  for (const bad of ['0.1', null, [0.1]]) {
    let error: unknown = null;
    try { new SGD([p], bad as never); } catch (err) { error = err; }
    assert.instance(error, TypeError);
    assert.match((error as Error).message, /^SGD: expected the options as an object \(\{ lr: 0\.01, … \}\) or the learning rate as a number, got /);
  }
});

test('params must be a non-empty iterable of floating-point tensors, groups or named parameters', () => {
  let error: unknown = null;
  try { new Adam(5 as never); } catch (err) { error = err; }
  assert.instance(error, TypeError);
  assert.match((error as Error).message, /^Adam: params should be an iterable of Tensors or of \{ params, … \} groups/);
  throwsMatching(() => new SGD(null as never), /^SGD: params should be an iterable/);
  throwsMatching(() => new SGD([]), /^optimizer got an empty parameter list$/);
  const ints = tensor(new Int32Array([1, 2]), { shape: [2], dtype: 'int32' });
  throwsMatching(() => new SGD([ints]), /^optimizer can only optimize Tensors of floating point dtype, got 'int32'$/);
});

test('a parameter group option misspelled in case or underscores is refused, naming the option', () => {
  const p = param();
  throwsMatching(() => new SGD([{ params: [p], weight_decay: 0.1 } as never]),
    /^SGD: parameter group option "weight_decay" is not an option \(did you mean "weightDecay"\?\)$/);
});

test('step(closure) evaluates the closure before updating and returns its loss; without one it returns undefined', () => {
  const p = param([1]);
  const sgd = new SGD([p], { lr: 0.5 });
  const seen: number[] = [];
  const loss = sgd.step(() => {
    seen.push(p.item());
    p.grad = f64([2], [1]);
    return 7;
  });
  assert.is(loss, 7);
  assert.equal(seen, [1]);
  assert.is(p.item(), 0);
  assert.is(sgd.step(), undefined);
});

test('parameters without a gradient are left alone and get no state', () => {
  const a = param([1]);
  const b = param([1]);
  const adam = new Adam([a, b], { lr: 0.1 });
  a.grad = f64([1], [1]);
  adam.step();
  assert.is(b.item(), 1);
  assert.is(adam.state.has(b), false);
  assert.is(adam.state.get(a)?.step, 1);
});

test('zeroGrad(false) sets each gradient to zeros of its shape; parameters without one stay null', () => {
  const a = param([1, 2]);
  const b = param([3]);
  const sgd = new SGD([a, b]);
  a.grad = f64([5, 6], [2]);
  sgd.zeroGrad(false);
  assert.equal([...(a.grad as Tensor).data()], [0, 0]);
  assert.equal([...(a.grad as Tensor).shape], [2]);
  assert.is(b.grad, null);
});

test('stateDict numbers parameters across groups and keeps each group\'s hyper-parameters', () => {
  const [a, b, c] = [param([1]), param([2]), param([3])];
  const sgd = new SGD([{ params: [a] }, { params: [b, c], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
  for (const p of [a, c]) p.grad = f64([1], [1]);
  sgd.step();
  const saved = sgd.stateDict();
  assert.equal(saved.paramGroups.map((g) => [g.params, g.lr, g.momentum]), [[[0], 0.1, 0.9], [[1, 2], 0.5, 0.9]]);
  assert.equal(Object.keys(saved.state), ['0', '2']);
  assert.equal([...(saved.state[2].momentumBuffer as Tensor).data()], [1]);
});

test('loadStateDict refuses another number of groups, a group of another size, or an unknown parameter index', () => {
  const [a, b] = [param([1]), param([2])];
  const two = new SGD([{ params: [a] }, { params: [b] }]).stateDict();
  throwsMatching(() => new SGD([a, b]).loadStateDict(two), /^loaded state dict has 2 parameter groups, the optimizer has 1$/);
  const sizes = new SGD([{ params: [a, b] }, { params: [param()] }]);
  throwsMatching(() => sizes.loadStateDict(two), /^loaded state dict contains a parameter group that doesn't match the size of optimizer's group$/);
  const one = new SGD([a]);
  throwsMatching(() => one.loadStateDict({ state: { 3: { step: 1 } }, paramGroups: one.stateDict().paramGroups }),
    /^loaded state dict refers to parameter 3, the optimizer has 1$/);
});

test('loadStateDict restores hyper-parameters and copies state into the parameter\'s dtype', () => {
  const p = param([1, 2]);
  const adam = new Adam([p], { lr: 0.3, amsgrad: true });
  p.grad = f64([1, -1], [2]);
  adam.step();
  const saved = adam.stateDict();
  const q = tensor(new Float32Array([1, 2]), { shape: [2], dtype: 'float32' }).requiresGrad_(true);
  const resumed = new Adam([q]);
  resumed.loadStateDict(saved);
  assert.is(resumed.paramGroups[0].lr, 0.3);
  assert.is(resumed.paramGroups[0].amsgrad, true);
  const state = resumed.state.get(q) as Record<string, Tensor | number>;
  assert.is(state.step, 1);
  for (const key of ['expAvg', 'expAvgSq', 'maxExpAvgSq']) assert.is((state[key] as Tensor).dtype, 'float32', key);
  (saved.state[0].expAvg as Tensor).copy_(f64([9, 9], [2]));
  assertClose((state.expAvg as Tensor).data(), [0.1, -0.1], 1e-7, 0);
});

test.run();
