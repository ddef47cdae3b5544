/**
 * FrodLinear on its own (docs/frod-math.md §3): gradients by finite differences, batched inputs, seeded init noise,
 * the forward formula against the dense W' = U (S + diag λ) Vᵀ, and input checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { gradcheck, noGrad } from '../../src/autograd';
import { Linear } from '../../src/nn/layers/linear';
import { Generator, type Tensor, randn, tensor } from '../../src/tensor';
import { FrodConfig } from '../../src/frod/config';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { TinyModel, assertClose, sameBits } from './helpers';

const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: ['q_proj', 'up_proj', 'down_proj'], sparseRate: 0.3, progressbar: false, initWeights: false, ...extra });

function layerOf(d: number, layers: number, seed: number, path: string, extra: ConstructorParameters<typeof FrodConfig>[0] = {}): FrodLinear {
  const peft = getPeftModel(new TinyModel(d, layers, 'float64', seed), cfg(extra));
  return peft.model.getSubmodule(path) as FrodLinear;
}

const shapes = fc.record({ d: fc.integer({ min: 2, max: 5 }), layers: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1e6 }) });

test('gradients of the forward in λ, the S values and x agree with finite differences', () => {
  fc.assert(fc.property(shapes, fc.constantFrom('model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.down_proj'), ({ d, layers, seed }, path) => {
    const layer = layerOf(d, layers, seed, path);
    const n = layer.inFeatures;
    const x = randn([3, n], { dtype: 'float64', generator: new Generator(seed) }).requiresGrad_(true);
    const lambda = layer.frodLambdaL.get('default').detach().requiresGrad_(true);
    const values = layer.frodLambdaSValues.get('default').detach().requiresGrad_(true);
    const fn = (xi: Tensor, li: Tensor, si: Tensor) => {
      layer.frodLambdaL.set('default', li);
      layer.frodLambdaSValues.set('default', si);
      return layer.forward(xi);
    };
    assert.ok(gradcheck(fn, [x, lambda, values], { atol: 1e-6, rtol: 1e-5 }));
  }), { numRuns: 10 });
});

test('the forward equals x W\'ᵀ + b with the dense W\' = U (S + diag λ) Vᵀ (merged weight), for batched inputs', () => {
  fc.assert(fc.property(shapes, ({ d, layers, seed }) => {
    const layer = layerOf(d, layers, seed, 'model.layers.0.mlp.up_proj');
    const x = randn([2, 3, d], { dtype: 'float64', generator: new Generator(seed + 1) });
    const y = noGrad(() => layer.forward(x));
    assert.equal(y.shape, [2, 3, 2 * d]);
    const delta = layer.getDeltaWeight('default');
    const dense = new Linear(d, 2 * d, { dtype: 'float64' });
    noGrad(() => {
      dense.weight.copy_(layer.baseLayer.weight.add(delta));
      (dense.bias as Tensor).copy_(layer.baseLayer.bias as Tensor);
    });
    assertClose(y.data(), noGrad(() => dense.forward(x)).data(), 1e-10, 'dense W\'');
  }), { numRuns: 10 });
});

test('init_weights false: seeded noise (same config → same values), S values ~ N(0, 0.1²), λ shifted by 0.1·N(0, 1)', () => {
  const a = layerOf(6, 2, 1, 'model.layers.1.mlp.down_proj');
  const b = layerOf(6, 2, 1, 'model.layers.1.mlp.down_proj');
  assert.ok(sameBits(a.frodLambdaSValues.get('default'), b.frodLambdaSValues.get('default')));
  assert.ok(sameBits(a.frodLambdaL.get('default'), b.frodLambdaL.get('default')));
  const clean = layerOf(6, 2, 1, 'model.layers.1.mlp.down_proj', { initWeights: true });
  assert.ok(clean.frodLambdaSValues.get('default').data().every((v) => v === 0));
  const values = Array.from(a.frodLambdaSValues.get('default').data());
  const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  assert.ok(std > 0.05 && std < 0.2, `S values std ${std}`);
  const shift = Array.from(a.frodLambdaL.get('default').data()).map((v, i) => v - clean.frodLambdaL.get('default').data()[i]);
  assert.ok(shift.every((s) => Math.abs(s) < 0.6) && shift.some((s) => s !== 0));
});

test('an input whose last dimension is not in_features is an error naming the module', () => {
  const layer = layerOf(3, 1, 2, 'model.layers.0.self_attn.q_proj');
  assert.throws(() => layer.forward(randn([2, 4], { dtype: 'float64' })), /FrodLinear 'model\.layers\.0\.self_attn\.q_proj': input of shape \(2,4\) does not end in in_features 3/);
});

test('an integer input is refused as the base layer refuses it (PyTorch\'s Linear does too), not computed in integers', () => {
  const layer = layerOf(3, 1, 2, 'model.layers.0.self_attn.q_proj');
  const x = tensor([1, 2, 3], { dtype: 'int32', shape: [1, 3] });
  assert.throws(() => layer.baseLayer.forward(x), /same dtype/);
  assert.throws(() => layer.forward(x), /^matmul: expected both operands to have the same dtype, but got int32 \(1,3\) and float64 \(3,3\)$/);
});

test('updateLayer refuses a category whose V does not fit the module, naming both sizes', () => {
  const path = 'model.layers.0.self_attn.q_proj';
  const layer = layerOf(3, 1, 1, path);
  const wider = layerOf(4, 1, 1, path).categoryOf('default');
  assert.throws(() => layer.updateLayer('other', wider, cfg()),
    /^FRoD: V of category 'self_attn_q_proj' is \(4,4\) but module 'model\.layers\.0\.self_attn\.q_proj' has in_features 3$/);
});

test('adapters share U only when their category has the same V', () => {
  const path = 'model.layers.0.self_attn.q_proj';
  const layer = layerOf(3, 2, 1, path);
  const sameV = layer.categoryOf('default');
  const otherV = layerOf(3, 2, 2, path).categoryOf('default'); // other weights, another V
  layer.updateLayer('same', sameV, cfg());
  layer.updateLayer('other', otherV, cfg());
  assert.is(layer.frodU.get('same'), layer.frodU.get('default'), 'one U tensor for the same V');
  assert.is.not(layer.frodU.get('other'), layer.frodU.get('default'));
  assert.not.ok(sameBits(layer.frodU.get('other'), layer.frodU.get('default')), 'U = W V⁻ᵀ diag(1/λ) differs with V');
});

test('toString shows the wrapped layer and the adapters', () => {
  const layer = layerOf(3, 1, 2, 'model.layers.0.self_attn.q_proj');
  assert.match(layer.toString(), /^FrodLinear\(\n {2}adapters=\[default\], in_features=3, out_features=3\n {2}\(base_layer\): Linear\(in_features=3, out_features=3, bias=True\)/);
});

test.run();
