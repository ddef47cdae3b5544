/**
 * The package root as a PyTorch user meets it: everything imported from src/index (what `frod-ts` exports),
 * a small graph's gradients, broadcasting, errors, seeding, noGrad, float64 exactness, and the namespaces.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as frod from '../src/index';
import { gradcheck, linalg, manualSeed, nn, noGrad, optim, randn, tensor } from '../src/index';

test('the root exports the engine, nn, optim, linalg, safetensors, FRoD, PEFT and LoRA', () => {
  for (const name of [
    'tensor', 'zeros', 'ones', 'randn', 'manualSeed', 'noGrad', 'gradcheck', 'sparseMm', 'Tensor', 'gpu',
    'nn', 'optim', 'linalg', 'loadSafetensors', 'saveSafetensors', 'FrodConfig', 'getPeftModel', 'PeftModel',
    'FrodLinear', 'LoraConfig', 'getLoraModel',
  ]) {
    assert.ok(name in frod, `missing export ${name}`);
  }
  assert.type(nn.Linear, 'function');
  assert.type(optim.AdamW, 'function');
  assert.type(linalg.svd, 'function');
});

test('a small graph: d/dx and d/dw of sum(tanh(x·w + b)) match the closed form', () => {
  const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
  const w = tensor([[0.5], [-0.25]], { dtype: 'float64', requiresGrad: true });
  const b = tensor([0.1], { dtype: 'float64', requiresGrad: true });
  x.matmul(w).add(b).tanh().sum().backward();
  const pre = [1 * 0.5 + 2 * -0.25 + 0.1, 3 * 0.5 + 4 * -0.25 + 0.1];
  const d = pre.map((v) => 1 - Math.tanh(v) ** 2);
  assert.equal(Array.from(b.grad!.data()), [d[0] + d[1]]);
  assert.equal(Array.from(w.grad!.data()), [d[0] * 1 + d[1] * 3, d[0] * 2 + d[1] * 4]);
  assert.equal(x.grad!.toArray(), [[d[0] * 0.5, d[0] * -0.25], [d[1] * 0.5, d[1] * -0.25]]);
});

test('broadcasting (3,1) + (4) gives (3,4) and its gradient sums back', () => {
  const a = tensor([[1], [2], [3]], { requiresGrad: true });
  const c = tensor([10, 20, 30, 40], { requiresGrad: true });
  const y = a.add(c);
  assert.equal(y.shape, [3, 4]);
  assert.equal(y.toArray(), [[11, 21, 31, 41], [12, 22, 32, 42], [13, 23, 33, 43]]);
  y.sum().backward();
  assert.equal(a.grad!.toArray(), [[4], [4], [4]]);
  assert.equal(c.grad!.toArray(), [3, 3, 3, 3]);
});

test('logSoftmax gradient agrees with central differences', () => {
  manualSeed(3);
  const x = randn([4, 5], { dtype: 'float64', requiresGrad: true });
  assert.ok(gradcheck((t) => t.logSoftmax(-1).mul(t), [x]));
});

test('shape errors name both shapes', () => {
  assert.throws(() => tensor([[1, 2, 3], [4, 5, 6]]).matmul(tensor([[1, 2, 3, 4, 5]]).reshape(5, 1).t()), /matmul: \(2,3\) and \(1,5\) cannot be multiplied/);
  assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), /\(3\).*\(2\)/);
});

test('manualSeed makes randn reproducible; different seeds differ', () => {
  manualSeed(42);
  const a = randn([3, 3]).data();
  manualSeed(42);
  const b = randn([3, 3]).data();
  manualSeed(43);
  const c = randn([3, 3]).data();
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
});

test('noGrad records nothing; float64 arithmetic is exact', () => {
  const w = tensor([1.5], { requiresGrad: true });
  const y = noGrad(() => w.mul(2));
  assert.is(y.requiresGrad, false);
  assert.is(y.gradFn, null);
  const third = tensor([1], { dtype: 'float64' }).div(3).item();
  assert.is(third, 1 / 3);
  assert.is(tensor([0.1], { dtype: 'float64' }).add(0.2).item(), 0.1 + 0.2);
});

test('an nn.Linear trains with optim.AdamW towards a target', () => {
  manualSeed(0);
  const layer = new nn.Linear(3, 1);
  const opt = new optim.AdamW(layer.parameters(), { lr: 0.05 });
  const x = randn([16, 3]);
  const target = x.matmul(tensor([[1], [-2], [0.5]])).add(0.3);
  const loss = () => layer.forward(x).sub(target).pow(2).mean();
  const first = loss().item();
  for (let i = 0; i < 100; i++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
  assert.ok(loss().item() < first / 10, `loss ${loss().item()} did not fall below a tenth of ${first}`);
});

test.run();
