/**
 * Reverse-mode autograd as a PyTorch user meets it: a small graph's gradients by hand, broadcasting reduced
 * back to input shapes, accumulation into .grad, retainGrad, noGrad, detach, non-scalar backward, dtypes,
 * deep graphs, and logSoftmax's gradient against finite differences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { isGradEnabled, noGrad } from '../../src/autograd';
import '../../src/tensor/gpu';
import { logSoftmax, matmul, pow, sparseMm, tensor, zeros, type Tensor } from '../../src/tensor';
import { assertClose, check, randomTensor, shapeArb, throwsMatching } from '../tensor/helpers';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const grad = (t: Tensor) => (t.grad as Tensor).toArray();

test('a small graph: gradients by hand (product, quotient and chain rules, a shared input)', () => {
  const a = f64([1, 2, 3]), b = f64([4, 5, 6]);
  // y = Σ (a·b + a² / b + exp(a)·2)
  a.mul(b).add(a.square().div(b)).add(a.exp().mul(2)).sum().backward();
  const av = [1, 2, 3], bv = [4, 5, 6];
  assertClose((a.grad as Tensor).data(), av.map((x, i) => bv[i] + (2 * x) / bv[i] + 2 * Math.exp(x)), 0, 1e-15);
  assertClose((b.grad as Tensor).data(), av.map((x, i) => x - (x * x) / (bv[i] * bv[i])), 0, 1e-15);
  const w = f64([[1, 2], [3, 4]]), x = f64([1, -1], false);
  matmul(w, x).relu().sum().backward(); // w·x = [-1, -1] → relu kills both
  assert.equal(grad(w), [[0, 0], [0, 0]]);
});

test('broadcast operands receive gradients of their own shape, summed over the broadcast dims', () => {
  check(fc.property(shapeArb(3, 4, 2), fc.nat(), (shape, seed) => {
    const x = randomTensor(shape, seed).requiresGrad_();
    const bias = randomTensor([shape[shape.length - 1]], seed + 1).requiresGrad_();
    const scale = randomTensor([shape[0], ...shape.slice(1).map(() => 1)], seed + 2).requiresGrad_();
    x.mul(scale).add(bias).sum().backward();
    assert.equal([...(bias.grad as Tensor).shape], [...bias.shape]);
    assert.equal([...(scale.grad as Tensor).shape], [...scale.shape]);
    const count = x.numel() / shape[shape.length - 1];
    assertClose((bias.grad as Tensor).data(), new Array(bias.numel()).fill(count), 0, 0);
    assertClose((scale.grad as Tensor).data(), x.detach().sum(shape.slice(1).map((_, i) => i + 1)).data(), 1e-12, 1e-12);
    assertClose((x.grad as Tensor).data(), scale.detach().expand(shape).contiguous().data(), 0, 0);
  }), 30);
});

test('gradients accumulate across backward calls and over every use of a leaf', () => {
  const x = f64([2, 3]);
  x.mul(x).sum().backward();
  assert.equal(grad(x), [4, 6]);
  x.mul(3).sum().backward();
  assert.equal(grad(x), [7, 9]);
  const y = f64([1]);
  const z = y.mul(2);
  z.add(z).add(y).sum().backward(); // diamond: 2 + 2 + 1
  assert.equal(grad(y), [5]);
  const g = x.grad as Tensor;
  x.grad = null; // as optimizer.zero_grad(set_to_none=True)
  x.sum().backward();
  assert.equal(grad(x), [1, 1]);
  assert.equal(g.toArray(), [7, 9], 'an old .grad is not modified');
});

test('retainGrad keeps an intermediate gradient; others stay null; leaves ignore it', () => {
  const x = f64([1, 2]);
  const h = x.mul(3);
  const k = h.square();
  h.retainGrad();
  k.sum().backward();
  assert.equal(grad(h), [6, 12]);
  assert.is(k.grad, null);
  assert.equal(grad(x), [18, 36]);
  assert.is(x.retainGrad(), x);
  throwsMatching(() => f64([1], false).retainGrad(), /retainGrad: can't retain_grad on Tensor that has requires_grad=False/);
});

test('grad_fn names the op that made a tensor as PyTorch does, without its trailing 0: MmBackward, SparseMmBackward, SoftmaxBackward, LogSoftmaxBackward', () => {
  const w = f64([[1, 2], [3, 4]]);
  assert.is(matmul(w, w).gradFn?.name, 'MmBackward');
  const indices = tensor(Int32Array.from([0, 1]), { shape: [2, 1] });
  assert.is(sparseMm(indices, f64([1]), [2, 2], w).gradFn?.name, 'SparseMmBackward');
  assert.is(w.softmax(1).gradFn?.name, 'SoftmaxBackward');
  assert.is(logSoftmax(w, 1).gradFn?.name, 'LogSoftmaxBackward');
});

test('noGrad records nothing, nests, and restores the mode after a throw and after a promise', async () => {
  const x = f64([1, 2]);
  const y = noGrad(() => x.mul(2));
  assert.not.ok(y.requiresGrad);
  assert.is(y.gradFn, null);
  noGrad(() => noGrad(() => x.add(1)));
  assert.ok(isGradEnabled());
  assert.throws(() => noGrad(() => { throw new Error('inside'); }), /inside/);
  assert.ok(isGradEnabled());
  const pending = noGrad(async () => { await Promise.resolve(); return isGradEnabled(); });
  assert.is(await pending, false);
  assert.ok(isGradEnabled());
  assert.ok(x.mul(2).requiresGrad);
});

test('detach cuts the graph: no gradient flows through it', () => {
  const x = f64([1, 2]);
  x.detach().mul(x).sum().backward(); // d/dx (c·x) with c = x held constant
  assert.equal(grad(x), [1, 2]);
});

test('non-scalar backward needs a gradient of the same shape (a vector-Jacobian product)', () => {
  const x = f64([1, 2, 3]);
  const y = x.square();
  throwsMatching(() => y.backward(), /backward: grad can be implicitly created only for scalar outputs \(got shape \(3\)\)/);
  throwsMatching(() => y.backward(f64([1, 1], false)), /backward: grad of shape \(2\) does not match output of shape \(3\)/);
  y.backward(f64([1, 0, -1], false));
  assert.equal(grad(x), [2, 0, -6]);
  throwsMatching(() => f64([1], false).sum().backward(), /element 0 of tensors does not require grad and does not have a grad_fn/);
});

test('gradients arrive in the leaf dtype; int32 and leaves not requiring grad get none', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const w = tensor([3, 4], { dtype: 'float64', requiresGrad: true });
  x.to('float64').mul(w).sum().backward();
  assert.is((x.grad as Tensor).dtype, 'float32');
  assert.equal(grad(x), [3, 4]);
  assert.is((w.grad as Tensor).dtype, 'float64');
  // A float32 product feeding a float64 op: the matmul's backward gets a float32 gradient.
  const a = tensor([[1, 2]], { requiresGrad: true }), b = tensor([[3], [4]], { requiresGrad: true });
  a.matmul(b).add(tensor([[0.5]], { dtype: 'float64' })).sum().backward(tensor(2, { dtype: 'float32' }));
  assert.equal(grad(a), [[6, 8]]);
  assert.equal(grad(b), [[2], [4]]);
  assert.is((a.grad as Tensor).dtype, 'float32');
  const constant = f64([5], false);
  x.mul(constant.float()).sum().backward();
  assert.is(constant.grad, null);
  throwsMatching(() => x.mul(2).requiresGrad_(false), /requiresGrad_: you can only change requiresGrad flags of leaf variables/);
});

test('a deep graph (20 000 ops) backpropagates without overflowing the stack', () => {
  const x = f64([1]);
  let y: Tensor = x;
  for (let i = 0; i < 20000; i++) y = y.add(1e-3).reshape([1]);
  y.sum().backward();
  assert.equal(grad(x), [1]);
});

/** Central differences of f at x (float64), one element at a time. */
function finiteDifferences(f: (x: Tensor) => number, x: Tensor, eps = 1e-6): number[] {
  const base = Array.from(x.data());
  return base.map((_, i) => {
    const shifted = (delta: number) => {
      const values = [...base];
      values[i] += delta;
      return f(tensor(Float64Array.from(values), { shape: [...x.shape] }));
    };
    return (shifted(eps) - shifted(-eps)) / (2 * eps);
  });
}

test('logSoftmax: gradient of a weighted sum matches finite differences (and Σ over the dim of grad is 0 for uniform weights)', () => {
  check(fc.property(shapeArb(3, 5, 1), fc.nat(), fc.nat(2), (shape, seed, k) => {
    const dim = k % shape.length;
    const x = randomTensor(shape, seed).mul(3).detach().requiresGrad_();
    const w = randomTensor(shape, seed + 1);
    const loss = (t: Tensor) => logSoftmax(t, dim).mul(w).sum();
    loss(x).backward();
    const numeric = finiteDifferences((t) => noGrad(() => loss(t).item()), x.detach());
    assertClose((x.grad as Tensor).data(), numeric, 1e-7, 1e-6);
    const uniform = x.detach().requiresGrad_();
    logSoftmax(uniform, dim).sum().backward();
    assertClose((uniform.grad as Tensor).sum(dim).data(), zeros([uniform.numel() / shape[dim]]).data(), 1e-12, 0);
  }), 30);
});

test('softmax: gradient of a weighted sum matches finite differences along any dim', () => {
  check(fc.property(shapeArb(3, 5, 1), fc.nat(), fc.nat(2), (shape, seed, k) => {
    const dim = k % shape.length;
    const x = randomTensor(shape, seed).mul(3).detach().requiresGrad_();
    const w = randomTensor(shape, seed + 1);
    const loss = (t: Tensor) => t.softmax(dim).mul(w).sum();
    loss(x).backward();
    const numeric = finiteDifferences((t) => noGrad(() => loss(t).item()), x.detach());
    assertClose((x.grad as Tensor).data(), numeric, 1e-7, 1e-6);
  }), 30);
});

test('pow: the exponent gradient is 0 where the base is 0 and the exponent ≥ 0 (torch), not 0·ln 0 = NaN', () => {
  const exponent = f64([2, 0, 0.5, 3, -1]);
  f64([0, 0, 0, 2, 0], false).pow(exponent).sum().backward();
  // 0^−1 = ∞ keeps torch's ∞·ln 0 = −∞.
  assert.equal(grad(exponent), [0, 0, 0, 8 * Math.log(2), -Infinity]);
  const fromNumber = f64([2, 1]);
  pow(0, fromNumber).sum().backward();
  assert.equal(grad(fromNumber), [0, 0]);
});

test('backward with a grad on another device names both devices', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.mul(2);
  throwsMatching(() => y.backward(tensor([1, 1]).to('gpu')), /backward: expected all tensors to be on the same device, but found at least two devices, cpu and gpu/);
});

test.run();
