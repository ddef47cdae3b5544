/**
 * Merging several active adapters (docs/frod-math.md §8): each adds its difference W'_a − W to the base weight, so the merged
 * weight is W + Σ_a (W'_a − W) and the merged model computes what the unmerged one did. With one adapter,
 * "write W'" and "add W' − W" agree to rounding; with two they differ by a whole adapter's difference. The
 * expected values come from an independent computation: the unmerged forward, and W'_a = U (S + diag λ) Vᵀ
 * written out in plain loops from each adapter's own U, λ, S values, pattern and V.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { FrodConfig } from '../../src/frod/config';
import type { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import type { Linear } from '../../src/nn/layers/linear';
import { Generator, type Tensor, randn } from '../../src/tensor';
import { TinyModel, assertClose, relativeError, sameBits } from './helpers';

const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'], progressbar: false, initWeights: false, ...extra });
const input = (d: number) => randn([5, d], { dtype: 'float64', generator: new Generator('multi-merge/x') });
const run = (m: { forward(t: Tensor): unknown }, x: Tensor) => noGrad(() => m.forward(x) as Tensor);

/** A float64 toy model with adapters 'a' (sparse rate 0.2) and 'b' (0.5), both active and neither merged. */
function twoActive(d = 4) {
  const peft = getPeftModel(new TinyModel(d, 2, 'float64', 21), cfg({ sparseRate: 0.2 }), 'a');
  peft.addAdapter('b', cfg({ sparseRate: 0.5 }));
  peft.setAdapter(['a', 'b']);
  const layers = peft.baseModel.tunerLayers().map(([path, layer]) => [path, layer as FrodLinear] as const);
  return { peft, layers };
}

/** W'_a (out, in) row-major: Σ_j U[i][j]·C[j][k] with C = (S + diag λ) Vᵀ, from the adapter's own tensors. */
function adaptedWeightByHand(layer: FrodLinear, name: string): number[] {
  const u = layer.frodU.get(name);
  const [out, n] = u.shape;
  const U = u.data();
  const lambda = layer.frodLambdaL.get(name).data();
  const s = layer.frodLambdaSValues.get(name).data();
  const { v, pattern } = layer.categoryOf(name);
  const V = v.data;
  const c = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) c[j * n + k] = lambda[j] * V[k * n + j];
  for (let t = 0; t < pattern.nnz; t++) {
    const j = pattern.rows[t], col = pattern.cols[t];
    for (let k = 0; k < n; k++) c[j * n + k] += s[t] * V[k * n + col];
  }
  const w = new Array<number>(out * n).fill(0);
  for (let i = 0; i < out; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) w[i * n + k] += U[i * n + j] * c[j * n + k];
  return w;
}

const weightOf = (layer: FrodLinear) => [...(layer.baseLayer as Linear).weight.data()];

test('two active adapters: the merged model computes what the unmerged one did (forward and mergeAndUnload)', () => {
  const { peft } = twoActive();
  const x = input(4);
  const unmerged = run(peft, x);
  peft.mergeAdapter();
  assertClose(run(peft, x).data(), unmerged.data(), 1e-10, 'merged forward');
  const { peft: again } = twoActive();
  const plain = again.mergeAndUnload();
  assertClose(run(plain, x).data(), unmerged.data(), 1e-10, 'mergeAndUnload forward');
});

test('two active adapters: each layer\'s merged weight is W + Σ_a (W\'_a − W) from the adapters\' own U, λ, S, V', () => {
  const { peft, layers } = twoActive();
  const expected = layers.map(([, layer]) => {
    const w = weightOf(layer);
    const wa = adaptedWeightByHand(layer, 'a');
    const wb = adaptedWeightByHand(layer, 'b');
    // The case must tell "add each difference" from "write the last W'": adapter a's difference is not small.
    assert.ok(relativeError(wa, w) > 1e-3, `${layer.modulePath}: adapter a changes the weight`);
    return w.map((wi, i) => wi + (wa[i] - wi) + (wb[i] - wi));
  });
  peft.mergeAdapter();
  layers.forEach(([path, layer], i) => {
    assert.equal(layer.mergedAdapters, ['a', 'b'], path);
    assertClose(weightOf(layer), expected[i], 1e-12, `${path} merged weight`);
  });
});

test('getDeltaWeight of each adapter is W\'_a − W from its own tensors, also while another adapter is merged', () => {
  const { peft, layers } = twoActive();
  const originals = layers.map(([, layer]) => weightOf(layer));
  const deltas = layers.map(([, layer], i) => ['a', 'b'].map((name) => adaptedWeightByHand(layer, name).map((w, k) => w - originals[i][k])));
  peft.mergeAdapter(['a']);
  layers.forEach(([path, layer], i) => {
    ['a', 'b'].forEach((name, a) => assertClose(layer.getDeltaWeight(name).data(), deltas[i][a], 1e-10, `${path} ΔW_${name}`));
  });
});

test('merging a and then b equals merging both at once; unmerge restores W bit for bit', () => {
  const { peft: together, layers: both } = twoActive();
  const { peft: stepwise, layers: steps } = twoActive();
  const originals = steps.map(([, layer]) => (layer.baseLayer as Linear).weight.clone());
  together.mergeAdapter();
  stepwise.mergeAdapter(['a']);
  stepwise.mergeAdapter(['b']);
  steps.forEach(([path, layer], i) => {
    assert.equal(layer.mergedAdapters, ['a', 'b'], path);
    assertClose(weightOf(layer), weightOf(both[i][1]), 1e-12, `${path} stepwise = together`);
  });
  stepwise.unmergeAdapter();
  steps.forEach(([path, layer], i) => assert.ok(sameBits((layer.baseLayer as Linear).weight, originals[i]), `${path} restored`));
});

test.run();
