import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { assertClose, check, f64, real, throwsMatching, values } from './util';
import type { Tensor } from '../../src/tensor/tensor';
import { Linear, optim } from '../../src/nn';

const { SGD, Adam, AdamW, LambdaLR, clipGradNorm, getLinearScheduleWithWarmup, getCosineScheduleWithWarmup } = optim;

/** Runs `steps` optimizer steps on one float64 parameter with the given gradients; returns its value after each. */
function run(make: (p: Tensor) => optim.Optimizer<object>, start: number[], grads: number[][]): number[][] {
  const p = f64(start, [start.length]).requiresGrad_(true);
  const opt = make(p);
  return grads.map((g) => {
    p.grad = f64(g, [g.length]);
    opt.step();
    return [...p.data()];
  });
}

const stepsArb = (n: number) => fc.array(values(n), { minLength: 1, maxLength: 5 });
const problem = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(values(n), stepsArb(n)));

test('SGD: momentum, dampening, Nesterov and weight decay follow the hand-derived rule over several steps (property)', () => {
  const hyper = fc.record({
    lr: real(1e-3, 0.5),
    momentum: fc.oneof(fc.constant(0), real(0.01, 0.99)),
    dampening: fc.oneof(fc.constant(0), real(0, 0.5)),
    weightDecay: fc.oneof(fc.constant(0), real(0, 0.1)),
    nesterov: fc.boolean(),
  }).map((h) => (h.nesterov ? { ...h, momentum: h.momentum || 0.9, dampening: 0 } : h));
  check(fc.property(problem, hyper, ([start, grads], h) => {
    const got = run((p) => new SGD([p], h), start, grads);
    // Reference: per element, with b the momentum buffer (initialised to the first decayed gradient).
    const p = [...start];
    const buf: (number | null)[] = p.map(() => null);
    grads.forEach((g, t) => {
      for (let i = 0; i < p.length; i++) {
        let d = g[i] + h.weightDecay * p[i];
        if (h.momentum !== 0) {
          buf[i] = buf[i] === null ? d : h.momentum * (buf[i] as number) + (1 - h.dampening) * d;
          d = h.nesterov ? d + h.momentum * (buf[i] as number) : (buf[i] as number);
        }
        p[i] -= h.lr * d;
      }
      assertClose(got[t], p, 1e-12, 1e-10, `step ${t + 1}`);
    });
  }), 40);
});

/** Adam in its textbook form: bias-corrected moments m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), step lr·m̂/(√v̂ + eps). */
function referenceAdam(start: number[], grads: number[][], h: { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean }, decoupled: boolean): number[][] {
  const p = [...start];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const vmax = p.map(() => 0);
  const [b1, b2] = h.betas;
  return grads.map((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      let gi = g[i];
      if (decoupled) p[i] *= 1 - h.lr * h.weightDecay;
      else gi += h.weightDecay * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      vmax[i] = Math.max(vmax[i], v[i]);
      const mhat = m[i] / (1 - b1 ** t);
      const vhat = (h.amsgrad ? vmax[i] : v[i]) / (1 - b2 ** t);
      p[i] -= (h.lr * mhat) / (Math.sqrt(vhat) + h.eps);
    }
    return [...p];
  });
}

const adamHyper = fc.record({
  lr: real(1e-4, 0.1),
  betas: fc.tuple(real(0, 0.99), real(0.5, 0.9999)),
  eps: fc.constantFrom(1e-8, 1e-6, 1e-3),
  weightDecay: fc.oneof(fc.constant(0), real(0, 0.5)),
  amsgrad: fc.boolean(),
});

test('Adam: bias-corrected moments, L2 weight decay and AMSGrad over several steps (property)', () => {
  check(fc.property(problem, adamHyper, ([start, grads], h) => {
    const got = run((p) => new Adam([p], h), start, grads);
    referenceAdam(start, grads, h, false).forEach((want, t) => assertClose(got[t], want, 1e-12, 1e-9, `step ${t + 1}`));
  }), 40);
});

test('AdamW: decoupled decay p·(1 − lr·wd) before the Adam step, over several steps (property)', () => {
  check(fc.property(problem, adamHyper, ([start, grads], h) => {
    const got = run((p) => new AdamW([p], h), start, grads);
    referenceAdam(start, grads, h, true).forEach((want, t) => assertClose(got[t], want, 1e-12, 1e-9, `step ${t + 1}`));
  }), 40);
});

test('Adam/AdamW defaults are PyTorch\'s; the first step moves each weight by lr·sign(g)', () => {
  const p = f64([1, -2, 3], [3]).requiresGrad_(true);
  const adamw = new AdamW([p]);
  assert.equal(adamw.defaults, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
  assert.equal(new Adam([p]).defaults.weightDecay, 0);
  assert.equal(new SGD([p]).defaults, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
  const q = f64([1, -2, 3], [3]).requiresGrad_(true);
  const adam = new Adam([q], { lr: 0.1 });
  q.grad = f64([5, -0.5, 1e-3], [3]);
  adam.step();
  assertClose(q.data(), [0.9, -1.9, 2.9], 1e-6, 0);
});

test('parameter groups: per-group hyper-parameters, defaults fill the rest; maximize ascends', () => {
  const a = f64([1], [1]).requiresGrad_(true);
  const b = f64([1], [1]).requiresGrad_(true);
  const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
  assert.equal(opt.paramGroups.map((g) => g.lr), [0.1, 0.5]);
  a.grad = f64([1], [1]);
  b.grad = f64([1], [1]);
  opt.step();
  assertClose([a.item(), b.item()], [0.9, 0.5], 1e-15, 0);
  const c = f64([1], [1]).requiresGrad_(true);
  const up = new SGD([c], { lr: 0.1, maximize: true });
  c.grad = f64([2], [2].length ? [1] : []);
  up.step();
  assertClose([c.item()], [1.2], 1e-15, 0);
  const named = new Linear(2, 2);
  assert.is(new AdamW(named.namedParameters()).paramGroups[0].params.length, 2);
  throwsMatching(() => new SGD([{ params: [a] }, { params: [a] }]), /some parameters appear in more than one parameter group/);
  throwsMatching(() => new SGD([a], { lr: -1 }), /Invalid learning rate: -1/);
  throwsMatching(() => new SGD([a], { nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
  throwsMatching(() => new Adam([a], { betas: [1, 0.9] }), /Invalid beta parameter at index 0: 1/);
});

test('zeroGrad clears gradients; stateDict → loadStateDict resumes exactly (property)', () => {
  check(fc.property(problem, adamHyper, fc.boolean(), ([start, grads], h, useSgd) => {
    const make = (p: Tensor): optim.Optimizer<object> => (useSgd ? new SGD([p], { lr: h.lr, momentum: 0.9 }) : new AdamW([p], h));
    const p = f64(start, [start.length]).requiresGrad_(true);
    const opt = make(p);
    const steps = [...grads, grads[0]];
    const cut = Math.max(1, steps.length - 1);
    for (const g of steps.slice(0, cut)) { p.grad = f64(g, [g.length]); opt.step(); }
    const saved = opt.stateDict();
    const q = p.detach().clone().requiresGrad_(true);
    const resumed = make(q);
    resumed.loadStateDict(saved);
    for (const g of steps.slice(cut)) {
      p.grad = f64(g, [g.length]);
      q.grad = f64(g, [g.length]);
      opt.step();
      resumed.step();
    }
    assertClose(q.data(), p.data(), 0, 0);
    opt.zeroGrad();
    assert.is(p.grad, null);
  }), 20);
});

test('LambdaLR warm-up schedules: linear and cosine values step by step, as transformers defines them', () => {
  const p = f64([0], [1]).requiresGrad_(true);
  const lin = new SGD([p], { lr: 2 });
  const linear = getLinearScheduleWithWarmup(lin, 2, 6);
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) { seen.push(lin.paramGroups[0].lr); linear.step(); }
  assertClose(seen, [0, 1, 2, 1.5, 1, 0.5, 0, 0], 1e-15, 0);
  const cos = new AdamW([p], { lr: 1 });
  const cosine = getCosineScheduleWithWarmup(cos, 2, 6);
  const lrs: number[] = [];
  for (let i = 0; i < 7; i++) { lrs.push(cosine.getLastLr()[0]); cosine.step(); }
  assertClose(lrs, [0, 0.5, 1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2, 0], 1e-15, 0);
  const twoGroups = new SGD([{ params: [p], lr: 1 }, { params: [f64([0], [1]).requiresGrad_(true)], lr: 10 }]);
  const sched = new LambdaLR(twoGroups, [(s) => s, (s) => 1 / (s + 1)]);
  sched.step();
  assert.equal(sched.getLastLr(), [1, 5]);
  const restored = new LambdaLR(new SGD([p], { lr: 1 }), (s) => s);
  restored.loadStateDict(sched.stateDict());
  assert.is(restored.lastEpoch, 1);
});

test('clipGradNorm: returns the total 2-norm (or ∞-norm) and scales gradients to maxNorm when above it (property)', () => {
  check(fc.property(values(3), values(2), real(0.01, 5), (g1, g2, maxNorm) => {
    const a = f64([0, 0, 0], [3]).requiresGrad_(true);
    const b = f64([0, 0], [2]).requiresGrad_(true);
    const c = f64([0], [1]).requiresGrad_(true);
    a.grad = f64(g1, [3]);
    b.grad = f64(g2, [2]);
    const all = [...g1, ...g2];
    const total = Math.sqrt(all.reduce((s, v) => s + v * v, 0));
    const out = clipGradNorm([a, b, c], maxNorm);
    assertClose([out.item()], [total], 1e-12, 1e-12);
    const coef = Math.min(1, maxNorm / (total + 1e-6));
    assertClose([...a.grad.data(), ...b.grad.data()], all.map((v) => v * coef), 1e-12, 1e-12);
    assert.is(c.grad, null);
    const inf = clipGradNorm([a, b], 1e9, Infinity);
    assertClose([inf.item()], [Math.max(...all.map((v) => Math.abs(v * coef)))], 1e-12, 1e-12);
  }), 30);
  assert.is(clipGradNorm([], 1).item(), 0);
});

test.run();
