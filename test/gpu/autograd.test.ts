/**
 * Autograd on the gpu device: gradients of random compositions equal the cpu device's and live on the gpu,
 * covering the derivative of every op family (elementwise, broadcasting, reductions, matmul, indexing, the
 * sparse product, views).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { sparseMm, where, type Tensor } from '../../src/tensor';
import { gpu } from '../../src/tensor/gpu';
import { assertOnGpu, checkGrad, ints, normal, runs, seedArb, shapeArb } from './util';

const RUNS = 6;

test.before(() => {
  gpu.configure({ mode: 'gpu' });
});

test('an MLP layer: matmul, broadcast bias, gelu/tanh/sigmoid, mean', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 8 }), seedArb, (batch, inner, out, seed) => {
    const inputs = [normal([batch, inner], seed), normal([inner, out], seed + 1, 0.3), normal([out], seed + 2)];
    checkGrad('gelu layer', inputs, (x, w, b) => x.matmul(w).add(b).gelu().mean());
    checkGrad('tanh-approx gelu, sigmoid', inputs, (x, w, b) => x.matmul(w).add(b).gelu('tanh').sigmoid().sum());
    checkGrad('tanh, square', inputs, (x, w, b) => x.matmul(w).sub(b).tanh().square().sum());
  }), runs(RUNS));
});

test('cross-entropy: logSoftmax, gather of labels, mean', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2, max: 12 }), seedArb, (batch, classes, seed) => {
    const logits = normal([batch, classes], seed, 3);
    const labels = ints([batch, 1], seed + 1, 0, classes);
    checkGrad('cross-entropy', [logits, labels], (z, y) => z.logSoftmax(-1).gather(1, y).neg().mean());
    checkGrad('softmax weighted', [logits, normal([batch, classes], seed + 2)], (z, w) => z.softmax(0).mul(w).sum());
  }), runs(RUNS));
});

test('elementwise chains with broadcasting: div, pow, sqrt, exp, log, maximum, where, clamp', () => {
  fc.assert(fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
    const x = normal(shape, seed);
    const y = normal(shape.slice(1), seed + 1).abs().add(0.5);
    checkGrad('div pow sqrt', [x, y], (a, b) => a.div(b).pow(2).add(b.sqrt()).sum());
    checkGrad('exp log', [x, y], (a, b) => a.exp().mul(b.log()).mean());
    checkGrad('maximum minimum', [x, y.sub(1)], (a, b) => a.maximum(b).sub(a.minimum(b.mul(0.5))).sum());
    checkGrad('where clamp abs', [x, y], (a, b) => where(a.gt(0), a.mul(b), a.clamp(-0.3, 0.2)).abs().sum());
    checkGrad('erf rsqrt reciprocal', [x, y], (a, b) => a.erf().mul(b.rsqrt()).add(b.reciprocal()).sum());
  }), runs(RUNS));
});

test('reductions: amax (shared ties), var, std, norm, logsumexp over random dims', () => {
  fc.assert(fc.property(shapeArb(1, 3, 5), seedArb, fc.nat(7), (shape, seed, mask) => {
    const dims = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
    const dim = dims.length ? dims : [0];
    const x = normal(shape, seed).mul(2).round().div(2); // ties: the gradient is shared among them
    checkGrad('amax', [x], (a) => a.amax(dim).sum());
    checkGrad('var std', [normal(shape, seed)], (a) => a.var(dim, { correction: 0 }).add(a.std(dim, { correction: 0 }).mul(0)).sum());
    checkGrad('norm', [normal(shape, seed)], (a) => a.norm(2, dim).sum());
    checkGrad('logsumexp', [normal(shape, seed)], (a) => a.logsumexp(dim).sum());
    checkGrad('max over a dim', [normal(shape, seed)], (a) => a.max(dim[0]).values.sum());
  }), runs(RUNS));
});

test('indexing: indexSelect, indexAdd, gather, scatterAdd', () => {
  fc.assert(fc.property(shapeArb(1, 3, 5), seedArb, fc.integer({ min: 1, max: 6 }), (shape, seed, count) => {
    const d = shape.length - 1;
    const index = ints([count], seed + 1, 0, shape[d]);
    const srcShape = shape.map((s, i) => (i === d ? count : s));
    const inputs = [normal(shape, seed), index, normal(srcShape, seed + 2)];
    checkGrad('indexSelect', inputs, (x, i, w) => x.indexSelect(d, i).mul(w).sum());
    checkGrad('indexAdd', inputs, (x, i, s) => x.indexAdd(d, i, s).square().sum());
    const gatherIndex = ints(srcShape, seed + 3, 0, shape[d]);
    checkGrad('gather', [inputs[0], gatherIndex, inputs[2]], (x, i, w) => x.gather(d, i).mul(w).sum());
    checkGrad('scatterAdd', [inputs[0], gatherIndex, inputs[2]], (x, i, s) => x.scatterAdd(d, i, s).square().sum());
  }), runs(RUNS));
});

test('sparse COO product: gradients of the values and of the dense operand', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), seedArb, (m, k, n, nnz, seed) => {
    const indices = ints([nnz], seed, 0, m).unsqueeze(0).cat([ints([nnz], seed + 1, 0, k).unsqueeze(0)], 0);
    checkGrad('sparseMm', [indices, normal([nnz], seed + 2), normal([k, n], seed + 3)],
      (i, v, dense) => sparseMm(i, v, [m, k], dense).tanh().sum());
  }), runs(RUNS));
});

test('views: permute, slices, cat, expand, flip, reshape', () => {
  fc.assert(fc.property(shapeArb(2, 3, 5), seedArb, (shape, seed) => {
    const x = normal(shape, seed);
    const order = shape.map((_, i) => i).reverse();
    checkGrad('permute reshape', [x], (a) => a.permute(order).reshape([-1]).mul(a.reshape([-1]).flip(0)).sum());
    checkGrad('slice step', [x], (a) => a.slice(0, 0, undefined, 2).exp().sum());
    checkGrad('cat expand', [x, normal(shape, seed + 1)], (a, b) => a.cat([b], 0).sum(0, true).expand([2, ...shape.slice(1)]).square().sum());
    checkGrad('transpose matmul', [x.reshape([shape[0], -1])], (a) => a.t().matmul(a).sum());
  }), runs(RUNS));
});

test('gradients stay on the gpu; backward makes no download', () => {
  const w = normal([6, 5], 3).to('gpu').requiresGrad_();
  const x = normal([4, 6], 4).to('gpu');
  const before = gpu.stats().downloads;
  const loss: Tensor = x.matmul(w).relu().logSoftmax(1).mean();
  loss.backward();
  assert.is(gpu.stats().downloads, before, 'no values read back during forward and backward');
  assertOnGpu(w.grad as Tensor, 'w.grad');
  assert.equal([...(w.grad as Tensor).shape], [6, 5]);
});

test.run();
