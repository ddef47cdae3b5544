import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { assertClose, assertTensorClose, check, f64, real, throwsMatching, values } from './util';
import { randn, tensor } from '../../src/tensor/create';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { gradcheck } from '../../src/autograd/gradcheck';
import {
  Conv1D, Dropout, Embedding, GELU, LayerNorm, Linear, Module, MultiheadSelfAttention, ReLU, Sequential, Softmax, Tanh,
  functional as F,
} from '../../src/nn';
import { composedLayerNorm } from '../../src/nn/functional/normalization';
import { SelfAttentionQKV } from '../../src/nn/models/blocks';

/**
 * gradcheck of module.forward w.r.t. its input(s) and every parameter: each call installs the float64 copies
 * gradcheck passes in as the module's parameters.
 */
function gradcheckModule(module: Module, inputs: Tensor[], forward: (...xs: Tensor[]) => Tensor = (...xs) => (module.forward as (...a: Tensor[]) => Tensor)(...xs)): void {
  module.to('float64');
  const named = module.namedParameters();
  const install = (ps: Tensor[]) => named.forEach(([path, _], i) => {
    const cut = path.lastIndexOf('.');
    module.getSubmodule(cut < 0 ? '' : path.slice(0, cut)).registerParameter(path.slice(cut + 1), ps[i]);
  });
  const originals = named.map(([, p]) => p);
  try {
    gradcheck((...all: Tensor[]) => {
      install(all.slice(inputs.length));
      return forward(...all.slice(0, inputs.length));
    }, [...inputs, ...originals]);
  } finally {
    install(originals);
  }
}

const input = (shape: number[], seed: number, grad = true) => {
  const x = randn(shape, { dtype: 'float64', generator: new Generator(seed) });
  return grad ? x.requiresGrad_(true) : x;
};

test('Linear: y = x·Wᵀ + b for 1-D, 2-D and 3-D inputs, PyTorch init bounds, gradcheck', () => {
  check(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat(1000), (inF, outF, seed) => {
    const layer = new Linear(inF, outF, { generator: new Generator(seed), dtype: 'float64' });
    const bound = 1 / Math.sqrt(inF);
    for (const v of [...layer.weight.data(), ...layer.bias!.data()]) assert.ok(Math.abs(v) <= bound);
    const x = input([2, 3, inF], seed, false);
    const expected = x.matmul(layer.weight.t()).add(layer.bias!);
    assertTensorClose(layer.forward(x), expected, 1e-12, 1e-12);
    assertTensorClose(layer.forward(x.select(0, 1).select(0, 2)), expected.select(0, 1).select(0, 2), 1e-12, 1e-12);
    gradcheckModule(layer, [input([2, inF], seed)]);
    gradcheckModule(new Linear(inF, outF, { bias: false, generator: new Generator(seed) }), [input([2, 2, inF], seed)]);
  }), 8);
  throwsMatching(() => new Linear(3, 2).forward(randn([2, 4])), /linear: input of shape \(2, ?4\) cannot be multiplied/);
});

test('Conv1D: weight (nx, nf), (..., nx) → (..., nf) as x·W + b, HF init, gradcheck', () => {
  check(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), (nf, nx, lead) => {
    const layer = new Conv1D(nf, nx, { generator: new Generator(nf * 10 + nx), dtype: 'float64' });
    assert.equal([...layer.weight.shape], [nx, nf]);
    assert.equal([...layer.bias.shape], [nf]);
    assert.ok([...layer.bias.data()].every((v) => v === 0));
    const x = input([...lead, nx], nf + nx, false);
    const y = layer.forward(x);
    assert.equal([...y.shape], [...lead, nf]);
    assertTensorClose(y, x.matmul(layer.weight).add(layer.bias), 1e-12, 1e-12);
    assert.is(layer.inFeatures, nx);
    assert.is(layer.outFeatures, nf);
    gradcheckModule(layer, [input([2, nx], nf)]);
  }), 8);
});

test('Embedding: lookup by int32 index, padding row zero with no gradient, gradcheck of the weight', () => {
  const emb = new Embedding(5, 3, { paddingIdx: 1, generator: new Generator(1), dtype: 'float64' });
  const idx = tensor([[0, 1], [4, 4]], { dtype: 'int32' });
  const out = emb.forward(idx);
  assert.equal([...out.shape], [2, 2, 3]);
  assertClose(out.select(0, 1).select(0, 0).data(), emb.weight.select(0, 4).data(), 0, 0);
  assertClose(emb.weight.select(0, 1).data(), [0, 0, 0], 0, 0);
  out.sum().backward();
  assertClose(emb.weight.grad!.data(), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2], 0, 0);
  const plain = new Embedding(4, 2, { generator: new Generator(2) });
  gradcheckModule(plain, [], () => plain.forward(tensor([3, 0, 3], { dtype: 'int32' })));
  throwsMatching(() => emb.forward(tensor([5], { dtype: 'int32' })), /Embedding: index 5 out of range for 5 embeddings/);
  throwsMatching(() => emb.forward(tensor([1])), /Embedding: expected int32 indices, got float32/);
});

test('LayerNorm: forward is (x − μ)/√(σ² + eps)·w + b with the biased variance (property)', () => {
  check(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 6 }), fc.nat(1000), (rows, width, seed) => {
    const x = input([rows, width], seed, false);
    const ln = new LayerNorm(width, { eps: 1e-5, dtype: 'float64' });
    ln.weight!.copy_(input([width], seed + 1, false));
    ln.bias!.copy_(input([width], seed + 2, false));
    const xs = x.data();
    const w = ln.weight!.data();
    const b = ln.bias!.data();
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(xs.slice(r * width, (r + 1) * width));
      const mean = row.reduce((s, v) => s + v, 0) / width;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / width;
      row.forEach((v, j) => expected.push(((v - mean) / Math.sqrt(variance + 1e-5)) * w[j] + b[j]));
    }
    assertClose(ln.forward(x).data(), expected, 1e-12, 1e-10);
    assertClose(composedLayerNorm(x, [width], ln.weight, ln.bias, 1e-5).data(), expected, 1e-12, 1e-10);
  }), 20);
});

test('LayerNorm: input, weight and bias gradients (fused cpu kernel and composed ops) pass gradcheck', () => {
  for (const shape of [[3, 4], [2, 2, 3], [5]]) {
    for (const normalized of [shape.slice(-1), shape.slice(-2)]) {
      const seed = shape.length * 10 + normalized.length;
      const args = [input(shape, seed), input(normalized, seed + 1), input(normalized, seed + 2)];
      gradcheck((x, w, b) => F.layerNorm(x, normalized, w, b), args);
      gradcheck((x, w, b) => composedLayerNorm(x, normalized, w, b, 1e-5), args);
      gradcheck((x) => F.layerNorm(x, normalized), [args[0]]);
      gradcheck((x) => composedLayerNorm(x, normalized, null, null, 1e-5), [args[0]]);
    }
  }
  gradcheckModule(new LayerNorm([2, 3], { eps: 1e-6 }), [input([2, 2, 3], 7)]);
  gradcheckModule(new LayerNorm(3, { elementwiseAffine: false }), [input([4, 3], 8)]);
  throwsMatching(() => new LayerNorm(4).forward(randn([2, 3])), /layerNorm: input of shape \(2, ?3\) does not end with normalized_shape \(4\)/);
  assert.is(new LayerNorm(4).toString(), 'LayerNorm((4,), eps=1e-05, elementwise_affine=True)');
});

test('activation modules: ReLU, GELU (exact and tanh), Tanh, Softmax match their formulas and pass gradcheck', () => {
  const x = f64([-2.5, -0.7, 0.3, 1.1, 2.9, -1.3], [2, 3]);
  const erfRef = (v: number) => { // Abramowitz–Stegun 7.1.26 is too coarse; integrate e^{−t²} with Simpson instead.
    const n = 2000;
    const h = v / n;
    let s = 0;
    for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
    return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
  };
  const xs = [...x.data()];
  assertClose(new ReLU().forward(x).data(), xs.map((v) => Math.max(0, v)), 0, 0);
  assertClose(new Tanh().forward(x).data(), xs.map(Math.tanh), 1e-15, 1e-12);
  assertClose(new GELU().forward(x).data(), xs.map((v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))), 1e-6, 1e-6);
  assertClose(new GELU('tanh').forward(x).data(), xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-12, 1e-10);
  const sm = new Softmax(1).forward(x).data();
  for (let r = 0; r < 2; r++) {
    const row = xs.slice(r * 3, r * 3 + 3).map(Math.exp);
    const total = row.reduce((s, v) => s + v, 0);
    assertClose(sm.slice(r * 3, r * 3 + 3), row.map((v) => v / total), 1e-15, 1e-12);
  }
  for (const m of [new ReLU(), new GELU(), new GELU('tanh'), new Tanh(), new Softmax(0)]) gradcheckModule(m, [x.clone().requiresGrad_(true)]);
});

test('Dropout: seeded and reproducible, zeroes about p and scales by 1/(1−p), identity in eval mode', () => {
  check(fc.property(real(0.05, 0.9), fc.nat(1000), (p, seed) => {
    const x = f64(Array.from({ length: 4000 }, (_, i) => 1 + (i % 7)), [40, 100]);
    const a = new Dropout(p, { seed }).forward(x).data();
    const b = new Dropout(p, { seed }).forward(x).data();
    assertClose(a, b, 0, 0);
    let zeros = 0;
    const xs = x.data();
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 0) zeros++;
      else assertClose([a[i]], [xs[i] / (1 - p)], 1e-12, 1e-12);
    }
    assert.ok(Math.abs(zeros / a.length - p) < 0.05, `dropped fraction ${zeros / a.length} for p=${p}`);
    const layer = new Dropout(p, { seed });
    layer.eval();
    assert.is(layer.forward(x), x);
    // A shared generator advances: two calls in training mode draw different masks.
    const shared = new Dropout(p, { seed });
    assert.not.equal([...shared.forward(x).data()], [...shared.forward(x).data()]);
  }), 8);
  gradcheck((x) => F.dropout(x, 0.4, { generator: new Generator(3) }), [input([3, 4], 1)]);
  throwsMatching(() => new Dropout(1.5), /Dropout: probability has to be between 0 and 1, but got 1\.5/);
});

/** Attention from the definition, one batch row and head at a time. */
function naiveAttention(q: number[][], k: number[][], v: number[][], keep: (i: number, j: number) => boolean): number[][] {
  const scale = 1 / Math.sqrt(q[0].length);
  return q.map((qi, i) => {
    const scores = k.map((kj, j) => (keep(i, j) ? qi.reduce((s, x, d) => s + x * kj[d], 0) * scale : -Infinity));
    const m = Math.max(...scores);
    const e = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - m)));
    const z = e.reduce((s, x) => s + x, 0);
    return v[0].map((_, d) => e.reduce((s, w, j) => s + (w / z) * v[j][d], 0));
  });
}

test('scaledDotProductAttention: matches the definition with padding and causal masks (property)', () => {
  check(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(1000), (t, d, causal, seed) => {
    const q = input([2, 1, t, d], seed, false);
    const k = input([2, 1, t, d], seed + 1, false);
    const v = input([2, 1, t, d], seed + 2, false);
    const pad = [Array.from({ length: t }, () => 1), Array.from({ length: t }, (_, j) => (j === 0 || j % 2 === 1 ? 1 : 0))];
    const out = F.scaledDotProductAttention(q, k, v, { attentionMask: tensor(pad, { dtype: 'int32' }), causal });
    for (let b = 0; b < 2; b++) {
      const rows = (x: Tensor) => x.select(0, b).select(0, 0).toArray() as number[][];
      const expected = naiveAttention(rows(q), rows(k), rows(v), (i, j) => pad[b][j] === 1 && (!causal || j <= i));
      assertClose(out.select(0, b).select(0, 0).reshape(-1).data(), expected.flat(), 1e-12, 1e-10);
    }
  }), 15);
});

test('MultiheadSelfAttention and the HF q/k/v self-attention: shapes, head split, gradcheck with masks', () => {
  const mha = new MultiheadSelfAttention(4, 2, { causal: true, generator: new Generator(4) });
  assert.equal(mha.namedChildren().map(([n]) => n), ['q_proj', 'k_proj', 'v_proj', 'out_proj']);
  const mask = tensor([[1, 1, 0], [1, 1, 1]], { dtype: 'int32' });
  gradcheckModule(mha, [input([2, 3, 4], 5)], (x) => mha.forward(x, { attentionMask: mask }));
  const qkv = new SelfAttentionQKV(4, 2, { dropout: 0, generator: new Generator(5) });
  gradcheckModule(qkv, [input([2, 3, 4], 6)], (x) => qkv.forward(x, mask));
  // Heads are independent: with 1 head of width 4 the result differs from 2 heads of width 2 in general.
  const x = input([1, 3, 4], 9, false);
  const heads = F.splitHeads(x, 2);
  assert.equal([...heads.shape], [1, 2, 3, 2]);
  assertTensorClose(F.mergeHeads(heads), x, 0, 0);
  throwsMatching(() => new MultiheadSelfAttention(5, 2), /embedDim \(5\) must be divisible by numHeads \(2\)/);
});

test('Sequential chains forward; containers name children 0, 1, …', () => {
  const seq = new Sequential([new Linear(3, 4, { generator: new Generator(1) }), new ReLU(), new Linear(4, 2, { generator: new Generator(2) })]);
  const x = randn([5, 3], { generator: new Generator(3) });
  const a = seq.at(0) as Linear;
  const c = seq.at(-1) as Linear;
  assertTensorClose(seq.forward(x), c.forward(a.forward(x).relu()), 0, 0);
  assert.equal(seq.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '2.weight', '2.bias']);
  assert.is(seq.length, 3);
  throwsMatching(() => seq.at(3), /Sequential: index 3 is out of range \(length 3\)/);
});

test.run();
