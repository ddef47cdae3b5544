import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { assertClose, check, f64, real, throwsMatching, values } from './util';
import { tensor } from '../../src/tensor/create';
import { gradcheck } from '../../src/autograd/gradcheck';
import { crossEntropy, mseLoss, nllLoss, type Reduction } from '../../src/nn/functional/loss';

interface Case {
  rows: number;
  classes: number;
  logits: number[];
  targets: number[];
  weight: number[] | null;
  smoothing: number;
  reduction: Reduction;
  ignoreIndex: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({ rows: fc.integer({ min: 1, max: 5 }), classes: fc.integer({ min: 2, max: 5 }) })
  .chain(({ rows, classes }) => fc.record({
    rows: fc.constant(rows),
    classes: fc.constant(classes),
    logits: values(rows * classes, 4),
    targets: fc.array(fc.integer({ min: -1, max: classes - 1 }), { minLength: rows, maxLength: rows }),
    weight: fc.option(fc.array(real(0.1, 2), { minLength: classes, maxLength: classes }), { nil: null }),
    smoothing: fc.oneof(fc.constant(0), real(0, 1)),
    reduction: fc.constantFrom<Reduction>('mean', 'sum', 'none'),
    ignoreIndex: fc.constantFrom(-1, -100),
  }));

/**
 * Per-row loss and its gradient w.r.t. the row's logits, straight from the definitions (no tensors):
 * loss = −(1 − ε)·w_y·log p_y − (ε/C)·Σ_c w_c·log p_c, dloss/dz_k = (1 − ε)·w_y·(p_k − [k = y]) + (ε/C)·(p_k·Σw − w_k).
 */
function naive(c: Case): { loss: number[]; grad: number[][]; denominator: number } {
  const { rows, classes, logits, targets, smoothing: eps } = c;
  const ignoreIndex = c.ignoreIndex === -1 ? -1 : -100;
  const w = c.weight ?? new Array<number>(classes).fill(1);
  const loss: number[] = [];
  const grad: number[][] = [];
  let denominator = 0;
  for (let i = 0; i < rows; i++) {
    const z = logits.slice(i * classes, (i + 1) * classes);
    const y = targets[i];
    if (y === ignoreIndex || y < 0) {
      loss.push(0);
      grad.push(new Array<number>(classes).fill(0));
      continue;
    }
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = z.map((v) => v - lse);
    const p = logp.map(Math.exp);
    const wSum = w.reduce((s, v) => s + v, 0);
    loss.push(-(1 - eps) * w[y] * logp[y] - (eps / classes) * logp.reduce((s, v, k) => s + w[k] * v, 0));
    grad.push(p.map((pk, k) => (1 - eps) * w[y] * (pk - (k === y ? 1 : 0)) + (eps / classes) * (pk * wSum - w[k])));
    denominator += w[y];
  }
  return { loss, grad, denominator };
}

test('crossEntropy: value and gradient match the definition (ignoreIndex, smoothing, weights, reductions; property)', () => {
  check(fc.property(caseArb, (c) => {
    // Targets of −1 stand for "ignored": map them to the case's ignoreIndex.
    const targets = c.targets.map((t) => (t < 0 ? c.ignoreIndex : t));
    const logits = f64(c.logits, [c.rows, c.classes]).requiresGrad_(true);
    const options = { weight: c.weight ? f64(c.weight, [c.classes]) : null, ignoreIndex: c.ignoreIndex, labelSmoothing: c.smoothing, reduction: c.reduction };
    const out = crossEntropy(logits, tensor(targets, { dtype: 'int32' }), options);
    const ref = naive({ ...c, targets });
    const total = ref.loss.reduce((s, v) => s + v, 0);
    const scale = c.reduction === 'mean' ? 1 / ref.denominator : 1;
    if (c.reduction === 'none') {
      assertClose(out.data(), ref.loss, 1e-12, 1e-10, 'loss');
      out.sum().backward();
    } else {
      if (c.reduction === 'mean' && ref.denominator === 0) {
        assert.ok(Number.isNaN(out.item()), 'mean over no element is NaN, as PyTorch');
        return;
      }
      assertClose([out.item()], [total * scale], 1e-12, 1e-10, 'loss');
      out.backward();
    }
    assertClose(logits.grad!.data(), ref.grad.flat().map((g) => g * scale), 1e-12, 1e-9, 'gradient');
  }), 60);
});

test('crossEntropy: (N, C, d) inputs equal the (N·d, C) flattening; probabilities as targets; gradcheck', () => {
  check(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n, c, d, seed) => {
    const rand = (i: number) => Math.sin(seed * 7.1 + i * 3.3) * 2;
    const raw = Array.from({ length: n * c * d }, (_, i) => rand(i));
    const targets = Array.from({ length: n * d }, (_, i) => (seed + i * 5) % c);
    const x = f64(raw, [n, c, d]);
    const y = tensor(targets, { dtype: 'int32', shape: [n, d] });
    const flat = x.permute(0, 2, 1).reshape(-1, c);
    const options = { labelSmoothing: 0.1, reduction: 'none' as const };
    assertClose(crossEntropy(x, y, options).reshape(-1).data(), crossEntropy(flat, y.reshape(-1), options).data(), 1e-12, 1e-12);
    gradcheck((z) => crossEntropy(z, y, { labelSmoothing: 0.2 }), [x.clone().requiresGrad_(true)]);
    // Probability targets: a one-hot target gives the same loss as the class index.
    const oneHot = f64(Array.from({ length: n * c * d }, (_, i) => (targets[Math.floor(i / (c * d)) * d + (i % d)] === Math.floor(i / d) % c ? 1 : 0)), [n, c, d]);
    assertClose([crossEntropy(x, oneHot).item()], [crossEntropy(x, y).item()], 1e-12, 1e-12);
    gradcheck((z) => crossEntropy(z, oneHot.softmax(1), { labelSmoothing: 0.3 }), [x.clone().requiresGrad_(true)]);
  }), 10);
});

test('nllLoss on log-probabilities equals crossEntropy on logits, gradients included', () => {
  const x = f64([0.5, -1, 2, 0.1, 0.3, -0.7], [2, 3]);
  const y = tensor([2, 0], { dtype: 'int32' });
  const a = x.clone().requiresGrad_(true);
  const b = x.clone().requiresGrad_(true);
  crossEntropy(a, y).backward();
  const logp = b.logSoftmax(1);
  nllLoss(logp, y).backward();
  assertClose([nllLoss(x.logSoftmax(1), y).item()], [crossEntropy(x, y).item()], 1e-14, 1e-14);
  assertClose(b.grad!.data(), a.grad!.data(), 1e-14, 1e-12);
  // nll's own gradient w.r.t. its input is −onehot / N.
  const lp = x.logSoftmax(1).detach().requiresGrad_(true);
  nllLoss(lp, y).backward();
  assertClose(lp.grad!.data(), [0, 0, -0.5, -0.5, 0, 0], 0, 0);
});

test('crossEntropy: clear errors for bad targets, shapes and options', () => {
  const x = f64([0, 1, 2, 3, 4, 5], [2, 3]);
  throwsMatching(() => crossEntropy(x, tensor([0, 3], { dtype: 'int32' })), /crossEntropy: target 3 is out of bounds for 3 classes/);
  throwsMatching(() => crossEntropy(x, tensor([0, 1, 2], { dtype: 'int32' })), /crossEntropy: target of shape \(3\) does not match input \(2, ?3\)/);
  throwsMatching(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: 1.5 }), /labelSmoothing must be between 0\.0 and 1\.0/);
  throwsMatching(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { weight: f64([1, 2], [2]) }), /weight of shape \(2\) does not match 3 classes/);

});

test('crossEntropy: probability targets refuse a non-negative ignoreIndex (as PyTorch) and accept negative ones', () => {
  const x = f64([0, 1, 2, 3, 4, 5], [2, 3]);
  const probs = f64([0.2, 0.3, 0.5, 0.6, 0.3, 0.1], [2, 3]);
  for (const ignoreIndex of [0, 2, 7]) {
    throwsMatching(() => crossEntropy(x, probs, { ignoreIndex }), new RegExp(`ignoreIndex ${ignoreIndex} is not supported for probability`));
  }
  const plain = crossEntropy(x, probs).item();
  assert.is(crossEntropy(x, probs, { ignoreIndex: -5 }).item(), plain);
  assert.is(crossEntropy(x, probs, { ignoreIndex: -100 }).item(), plain);
});

test('mseLoss: mean, sum and none of squared differences, with gradcheck', () => {
  check(fc.property(values(6), values(6), (a, b) => {
    const x = f64(a, [2, 3]);
    const t = f64(b, [2, 3]);
    const sq = a.map((v, i) => (v - b[i]) ** 2);
    const sum = sq.reduce((s, v) => s + v, 0);
    assertClose(mseLoss(x, t, { reduction: 'none' }).data(), sq);
    assertClose([mseLoss(x, t, { reduction: 'sum' }).item()], [sum]);
    assertClose([mseLoss(x, t).item()], [sum / 6]);
    gradcheck((z) => mseLoss(z, t), [x.clone().requiresGrad_(true)]);
  }), 10);
});

test.run();
