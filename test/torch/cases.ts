/**
 * The cases test/nn/torch-parity.test.ts sends to PyTorch (test/torch/parity.py), each with the frod-ts
 * computation of the same outputs. Shapes and hyper-parameters come from fast-check samples with a fixed
 * seed, values from our seeded Generator, so every run sends the same cases. Not a test file itself.
 */
import fc from 'fast-check';
import '../../src/tensor';
import { fromTypedArray, randint, randn, tensor } from '../../src/tensor/create';
import type { DType } from '../../src/tensor/dtype';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { Conv1D, functional as F, Linear, optim, parameter } from '../../src/nn';

/** What Python is told about a case (snake_case, as torch spells its options). */
export interface CaseJson {
  id: string;
  kind: string;
  [option: string]: unknown;
}

export interface ParityCase {
  json: CaseJson;
  /** Input tensors by field; saved as `<id>.<field>`. */
  inputs: Record<string, Tensor>;
  /** frod-ts's outputs, by the names parity.py gives torch's. */
  compute(): Record<string, Tensor>;
  dtype: DType;
}

const SAMPLE_SEED = 4242;

/** n fast-check samples of an arbitrary, the same on every run (unbiased: spread out, not piled on the bounds). */
export function samples<T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] {
  return fc.sample(fc.noBias(arb), { seed: SAMPLE_SEED + salt, numRuns: n });
}

const real = (min: number, max: number) => fc.integer({ min: 0, max: 1_000_000 }).map((k) => min + ((max - min) * k) / 1e6);
const dim = (max: number) => fc.integer({ min: 1, max });
const dtypeOf = (i: number): DType => (i % 2 === 0 ? 'float64' : 'float32');

/** A leaf that requires grad, a fresh copy of `t`. */
const leaf = (t: Tensor) => parameter(t.clone());

/** (loss · upstream).sum().backward() — the same seeded upstream gradient for both sides. */
function backwardWith(out: Tensor, upstream: Tensor): void {
  out.mul(upstream).sum().backward();
}

function gradOf(t: Tensor): Tensor {
  if (!t.grad) throw new Error('expected a gradient');
  return t.grad;
}

// ---------------------------------------------------------------- optimizers

type OptimizerKind = 'sgd' | 'adam' | 'adamw';

/** torch's option names → ours. */
function tsOptions(options: Record<string, unknown>): Record<string, unknown> {
  const renamed: Record<string, string> = { weight_decay: 'weightDecay' };
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [renamed[k] ?? k, v]));
}

function makeOptimizer(kind: OptimizerKind, groups: { params: Tensor[]; lr?: number }[], options: Record<string, unknown>) {
  if (kind === 'sgd') return new optim.SGD(groups, tsOptions(options));
  if (kind === 'adam') return new optim.Adam(groups, tsOptions(options));
  return new optim.AdamW(groups, tsOptions(options));
}

function optimizerOptions(kind: OptimizerKind, i: number): fc.Arbitrary<Record<string, unknown>> {
  if (kind === 'sgd') {
    return fc.record({
      lr: real(1e-3, 0.3), momentum: fc.oneof(fc.constant(0), real(0.1, 0.95)), dampening: fc.oneof(fc.constant(0), real(0, 0.5)),
      weight_decay: fc.oneof(fc.constant(0), real(0, 0.1)),
    }).map((o) => (i % 3 === 2 ? { ...o, momentum: o.momentum || 0.9, dampening: 0, nesterov: true } : { ...o, nesterov: false }))
      .map((o) => ({ ...o, maximize: i % 4 === 3 }));
  }
  return fc.record({
    lr: real(1e-3, 0.1), betas: fc.tuple(real(0.5, 0.95), real(0.9, 0.9999)),
    eps: fc.oneof(fc.constant(1e-8), real(1e-6, 1e-3)), weight_decay: fc.oneof(fc.constant(0), real(0, 0.2)),
  }).map((o) => ({ ...o, amsgrad: i % 2 === 1, maximize: i % 4 === 3 }));
}

/** Two parameters in two groups (the second with its own lr) over `steps` steps of given gradients. */
export function optimizerCases(kind: OptimizerKind, count: number, salt: number): ParityCase[] {
  const shape = fc.array(dim(4), { minLength: 0, maxLength: 2 });
  const arb = (i: number) => fc.record({ shape0: shape, shape1: shape, steps: fc.integer({ min: 3, max: 6 }), lr1: real(1e-3, 0.2), options: optimizerOptions(kind, i) });
  return Array.from({ length: count }, (_, i) => {
    const [{ shape0, shape1, steps, lr1, options }] = samples(arb(i), 1, salt + i);
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    // Gradients change scale from step to step, so AMSGrad's running maximum matters.
    const gradients = (s: number[]) => randn([steps, ...s], { dtype, generator: g })
      .mul(fromTypedArray(Float64Array.from({ length: steps }, () => 0.1 + 3 * g.random()), [steps, ...s.map(() => 1)]).to(dtype));
    const inputs = { p0: randn(shape0, { dtype, generator: g }), p1: randn(shape1, { dtype, generator: g }), g0: gradients(shape0), g1: gradients(shape1) };
    const json = { id: `${kind}${i}`, kind, options, lr1, steps };
    const compute = () => {
      const params = [leaf(inputs.p0), leaf(inputs.p1)];
      const opt = makeOptimizer(kind, [{ params: [params[0]] }, { params: [params[1]], lr: lr1 }], options);
      const history: number[][] = [[], []];
      for (let step = 0; step < steps; step++) {
        params[0].grad = inputs.g0.select(0, step);
        params[1].grad = inputs.g1.select(0, step);
        opt.step();
        params.forEach((p, k) => history[k].push(...p.data()));
      }
      return {
        p0: tensor(Float64Array.from(history[0]), { shape: [steps, ...shape0], dtype: 'float64' }),
        p1: tensor(Float64Array.from(history[1]), { shape: [steps, ...shape1], dtype: 'float64' }),
      };
    };
    return { json, inputs, compute, dtype };
  });
}

// ---------------------------------------------------------------- cross-entropy

/** Logits (N, C), (N, C, d) or (C); class-index targets with ignored entries, or probability targets. */
export function crossEntropyCases(count: number, salt: number): ParityCase[] {
  const arb = fc.record({
    layout: fc.constantFrom('nc', 'ncd', 'c'), n: dim(5), c: fc.integer({ min: 2, max: 6 }), d: dim(3),
    reduction: fc.constantFrom('mean', 'sum', 'none'), ignore: fc.constantFrom(-100, 0, 1),
    smoothing: fc.oneof(fc.constant(0), real(0, 0.6)), weighted: fc.boolean(), soft: fc.boolean(),
  });
  return samples(arb, count, salt).map((s, i) => {
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    const shape = s.layout === 'c' ? [s.c] : s.layout === 'nc' ? [s.n, s.c] : [s.n, s.c, s.d];
    const lossShape = s.layout === 'c' ? [] : s.layout === 'nc' ? [s.n] : [s.n, s.d];
    const soft = s.soft && i % 3 === 0;
    const ignore = soft ? -100 : s.ignore; // torch refuses a non-negative ignore_index with probability targets
    const input = randn(shape, { dtype, generator: g }).mul(2);
    const target = soft ? randn(shape, { dtype, generator: g }).softmax(s.layout === 'c' ? 0 : 1) : indexTargets(g, s.c, lossShape, ignore);
    const upstream = randn(s.reduction === 'none' ? lossShape : [], { dtype, generator: g });
    const inputs: Record<string, Tensor> = { input, target, upstream };
    if (s.weighted) inputs.weight = randn([s.c], { dtype, generator: g }).abs().add(0.1);
    const options = { reduction: s.reduction, ignore_index: ignore, label_smoothing: s.smoothing };
    const compute = () => {
      const x = leaf(input);
      const loss = F.crossEntropy(x, target, { weight: inputs.weight ?? null, ignoreIndex: ignore, labelSmoothing: s.smoothing, reduction: s.reduction });
      backwardWith(loss, upstream);
      return { loss: loss.detach(), dinput: gradOf(x) };
    };
    return { json: { id: `ce${i}`, kind: 'cross_entropy', options }, inputs, compute, dtype };
  });
}

/** int32 class indices in [0, C), about a quarter set to `ignore` (at least one left valid). */
function indexTargets(g: Generator, classes: number, shape: number[], ignore: number): Tensor {
  const t = randint(0, classes, shape, { generator: g });
  const values = Int32Array.from(t.data());
  for (let k = 1; k < values.length; k++) if (g.random() < 0.25) values[k] = ignore;
  if (values[0] === ignore) values[0] = (ignore + 1) % classes;
  return tensor(values, { shape, dtype: 'int32' });
}

// ---------------------------------------------------------------- layer norm, log-softmax, GELU

export function layerNormCases(count: number, salt: number): ParityCase[] {
  const arb = fc.record({
    lead: fc.array(dim(4), { minLength: 0, maxLength: 2 }), norm: fc.array(dim(8), { minLength: 1, maxLength: 2 }),
    affine: fc.constantFrom('both', 'weight', 'none'), eps: fc.constantFrom(1e-5, 1e-3, 0.1),
  });
  return samples(arb, count, salt).map((s, i) => {
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    const shape = [...s.lead, ...s.norm];
    const offset = dtype === 'float64' ? 50 : 1;
    const inputs: Record<string, Tensor> = { x: randn(shape, { dtype, generator: g }).mul(3).add(offset), upstream: randn(shape, { dtype, generator: g }) };
    if (s.affine !== 'none') inputs.weight = randn(s.norm, { dtype, generator: g });
    if (s.affine === 'both') inputs.bias = randn(s.norm, { dtype, generator: g });
    const compute = () => {
      const x = leaf(inputs.x);
      const w = inputs.weight ? leaf(inputs.weight) : null;
      const b = inputs.bias ? leaf(inputs.bias) : null;
      const y = F.layerNorm(x, s.norm, w, b, s.eps);
      backwardWith(y, inputs.upstream);
      const out: Record<string, Tensor> = { y: y.detach(), dx: gradOf(x) };
      if (w) out.dweight = gradOf(w);
      if (b) out.dbias = gradOf(b);
      return out;
    };
    return { json: { id: `ln${i}`, kind: 'layer_norm', normalized_shape: s.norm, eps: s.eps }, inputs, compute, dtype };
  });
}

/** log_softmax along a random dim, and GELU (erf and tanh forms), with their input gradients. */
export function unaryCases(kind: 'log_softmax' | 'gelu', count: number, salt: number): ParityCase[] {
  const arb = fc.record({ shape: fc.array(dim(5), { minLength: 1, maxLength: 3 }), dimPick: fc.nat(5), scale: fc.constantFrom(1, 4, 30) });
  return samples(arb, count, salt).map((s, i) => {
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    const inputs = { x: randn(s.shape, { dtype, generator: g }).mul(s.scale), upstream: randn(s.shape, { dtype, generator: g }) };
    const dimIndex = (s.dimPick % (2 * s.shape.length)) - s.shape.length;
    const approximate = i % 4 < 2 ? 'none' : 'tanh';
    const json = kind === 'gelu' ? { id: `gelu${i}`, kind, approximate } : { id: `lsm${i}`, kind, dim: dimIndex };
    const compute = () => {
      const x = leaf(inputs.x);
      const y = kind === 'gelu' ? F.gelu(x, { approximate }) : F.logSoftmax(x, dimIndex);
      backwardWith(y, inputs.upstream);
      return { y: y.detach(), dx: gradOf(x) };
    };
    return { json, inputs, compute, dtype };
  });
}

// ---------------------------------------------------------------- a small graph, Linear, Conv1D

/** z = a@b + c; w = tanh(z)·d − z²/(|d| + 1); loss = Σ softmax(w)·g + mean(w) (batched matmul, broadcasts). */
export function graphCases(count: number, salt: number): ParityCase[] {
  const arb = fc.record({ batch: fc.array(dim(3), { minLength: 0, maxLength: 2 }), m: dim(4), k: dim(5), n: dim(4) });
  return samples(arb, count, salt).map((s, i) => {
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    const r = (shape: number[]) => randn(shape, { dtype, generator: g });
    const inputs = { a: r([...s.batch, s.m, s.k]), b: r([s.k, s.n]), c: r([s.n]), d: r([s.m, 1]), upstream: r([...s.batch, s.m, s.n]) };
    const compute = () => {
      const [a, b, c, d] = [inputs.a, inputs.b, inputs.c, inputs.d].map(leaf);
      const z = a.matmul(b).add(c);
      const w = z.tanh().mul(d).sub(z.pow(2).div(d.abs().add(1)));
      const loss = w.softmax(-1).mul(inputs.upstream).sum().add(w.mean());
      loss.backward();
      return { loss: loss.detach(), da: gradOf(a), db: gradOf(b), dc: gradOf(c), dd: gradOf(d) };
    };
    return { json: { id: `graph${i}`, kind: 'graph' }, inputs, compute, dtype };
  });
}

/** F.linear (weight (out, in)) and GPT-2's Conv1D (weight (nx, nf)): outputs, shapes and all gradients. */
export function affineCases(kind: 'linear' | 'conv1d', count: number, salt: number): ParityCase[] {
  const arb = fc.record({ lead: fc.array(dim(3), { minLength: 1, maxLength: 3 }), inF: dim(6), outF: dim(6) });
  return samples(arb, count, salt).map((s, i) => {
    const dtype = dtypeOf(i);
    const g = new Generator(salt * 100 + i);
    const r = (shape: number[]) => randn(shape, { dtype, generator: g });
    const weightShape = kind === 'linear' ? [s.outF, s.inF] : [s.inF, s.outF];
    const inputs = { x: r([...s.lead, s.inF]), weight: r(weightShape), bias: r([s.outF]), upstream: r([...s.lead, s.outF]) };
    const compute = () => {
      // The layer itself, loaded (strictly) with the case's weight and bias: its weight shape must be torch's.
      const layer = kind === 'linear' ? new Linear(s.inF, s.outF, { dtype }) : new Conv1D(s.outF, s.inF, { dtype });
      layer.loadStateDict({ weight: inputs.weight, bias: inputs.bias });
      const x = leaf(inputs.x);
      const y = layer.forward(x);
      backwardWith(y, inputs.upstream);
      return { y: y.detach(), dx: gradOf(x), dweight: gradOf(layer.weight), dbias: gradOf(layer.bias as Tensor) };
    };
    return { json: { id: `${kind}${i}`, kind }, inputs, compute, dtype };
  });
}
