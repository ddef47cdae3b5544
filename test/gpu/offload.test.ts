/**
 * FRoD's runtimeOffloadBaseWeight on the gpu device (docs/frod-math.md §3, §8; docs/gpu.md): with one active adapter and
 * no active dropout an adapted layer's base weight waits in host memory while the model and its adapters run
 * on the gpu; it comes back for the paths that need it (dropout in training, several adapters, disabled
 * adapters, merging, unloading), and the model's outputs and gradients are those of the model without
 * offloading. Properties over small random models (Linear and GPT-2 Conv1D targets).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { noGrad } from '../../src/autograd';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { AdamW } from '../../src/nn/optim';
import { crossEntropy } from '../../src/nn/functional/loss';
import { Generator, type Tensor } from '../../src/tensor';
import { gpu } from '../../src/tensor/gpu';
import { FrodConfig } from '../../src/frod/config';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import type { PeftModel } from '../../src/peft/peftModel';
import { TinyModel, sameBits } from '../frod/helpers';
import { assertOnGpu, assertParity, ints, normal, runs, seedArb } from './util';

const RUNS = 4;

/** GPT-2-like blocks of Conv1D layers (weights stored (in, out)): h ← h + c_proj(tanh(c_attn(h))). */
class ConvModel extends Module {
  constructor(readonly d: number, readonly layers: number, seed: number) {
    super();
    const generator = new Generator(`conv/${seed}`);
    for (let i = 0; i < layers; i++) {
      const block = new Module();
      block.registerModule('c_attn', new Conv1D(2 * d, d, { generator }));
      block.registerModule('c_proj', new Conv1D(d, 2 * d, { generator }));
      this.registerModule(`h${i}`, block);
    }
  }

  override forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers; i++) {
      const call = (name: string, t: Tensor) => (this.getSubmodule(`h${i}.${name}`) as Conv1D).forward(t);
      h = h.add(call('c_proj', call('c_attn', h).tanh()));
    }
    return h;
  }
}

interface Spec {
  conv: boolean;
  d: number;
  layers: number;
  seed: number;
  sparseRate: number;
  batch: number;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  conv: fc.boolean(),
  d: fc.integer({ min: 2, max: 5 }),
  layers: fc.integer({ min: 1, max: 2 }),
  seed: seedArb,
  sparseRate: fc.constantFrom(0.2, 0.5),
  batch: fc.integer({ min: 1, max: 4 }),
});

type Model = PeftModel<FrodConfig, Module>;

function config(spec: Spec, offload: boolean, extra: ConstructorParameters<typeof FrodConfig>[0] = {}): FrodConfig {
  return new FrodConfig({
    targetModules: spec.conv ? ['c_attn', 'c_proj'] : ['q_proj', 'v_proj', 'up_proj', 'down_proj'],
    fanInFanOut: spec.conv, sparseRate: spec.sparseRate, initWeights: false, progressbar: false,
    runtimeOffloadBaseWeight: offload, ...extra,
  });
}

/** The spec's model with a FRoD adapter, still on the cpu. */
function build(spec: Spec, offload: boolean, extra: ConstructorParameters<typeof FrodConfig>[0] = {}): Model {
  const base = spec.conv ? new ConvModel(spec.d, spec.layers, spec.seed) : new TinyModel(spec.d, spec.layers, 'float32', spec.seed);
  return getPeftModel(base as Module, config(spec, offload, extra)) as Model;
}

/** The same adapted model without and with offloading, both moved to the gpu. */
function pair(spec: Spec, extra: ConstructorParameters<typeof FrodConfig>[0] = {}): { plain: Model; off: Model } {
  return { plain: build(spec, false, extra).to('gpu'), off: build(spec, true, extra).to('gpu') };
}

const input = (spec: Spec) => normal([spec.batch, spec.d], spec.seed + 7).to('gpu');
const run = (m: Model, x: Tensor) => noGrad(() => m.forward(x as never) as Tensor);
const layersOf = (m: Model) => m.baseModel.tunerLayers().map(([path, layer]) => [path, layer as FrodLinear] as const);

/** Every adapted layer's base weight waits in host memory (or, with `false`, sits on the gpu). */
function assertOffloaded(m: Model, offloaded: boolean, when: string): void {
  for (const [path, layer] of layersOf(m)) {
    assert.is(layer.baseWeightOffloaded, offloaded, `${when}: ${path} offloaded`);
    assert.is(layer.baseLayer.weight.device, offloaded ? 'cpu' : 'gpu', `${when}: ${path} base weight device`);
  }
}

/** Outputs of the offloading model equal the plain model's (both on the gpu) to float32 tolerance. */
function assertSameOutputs(off: Tensor, plain: Tensor, when: string): void {
  assertOnGpu(plain, `${when}: plain output`);
  assertParity(off, plain, `${when}: outputs`);
}

test.before(() => {
  gpu.configure({ mode: 'gpu' });
});

test('offloaded: base weights in host memory, adapters and outputs on the gpu, outputs as without offload', () => {
  fc.assert(fc.property(specArb, (spec) => {
    const plain = build(spec, false).to('gpu');
    const off = build(spec, true);
    const storages = layersOf(off).map(([, layer]) => layer.baseLayer.weight.storage);
    off.to('gpu');
    assertOffloaded(plain, false, 'without offload');
    assertOffloaded(off, true, 'after peft.to(gpu)');
    layersOf(off).forEach(([path, layer], i) => {
      assert.ok(layer.baseLayer.weight.storage === storages[i], `${path}: peft.to never moved the offloaded weight`);
      assertOnGpu(layer.frodLambdaL.get('default'), `${path} λ`);
      assertOnGpu(layer.frodLambdaSValues.get('default'), `${path} S values`);
      assertOnGpu(layer.frodU.get('default'), `${path} U`);
      if (layer.baseLayer.bias) assertOnGpu(layer.baseLayer.bias, `${path} bias`);
    });
    const x = input(spec);
    assertSameOutputs(run(off, x), run(plain, x), 'eval forward');
    off.train();
    plain.train();
    assertSameOutputs(run(off, x), run(plain, x), 'training forward without dropout');
    assertOffloaded(off, true, 'after forwards on the single-adapter path');
  }), runs(RUNS));
});

test('paths that need W bring it to the gpu (dropout, disabled adapters, several adapters); the single path sends it back', () => {
  fc.assert(fc.property(specArb, (spec) => {
    const { plain, off } = pair(spec, { frodDropout: 0.3 });
    const x = input(spec);
    const both = (fn: (m: Model) => Tensor, when: string) => assertSameOutputs(fn(off), fn(plain), when);
    for (const m of [plain, off]) m.eval();
    both((m) => run(m, x), 'eval: dropout off');
    assertOffloaded(off, true, 'eval forward');

    for (const m of [plain, off]) m.train();
    both((m) => run(m, x), 'training with dropout (same seeded masks)');
    assertOffloaded(off, false, 'dropout active in training');
    for (const m of [plain, off]) m.eval();
    both((m) => run(m, x), 'eval again');
    assertOffloaded(off, true, 'back on the single-adapter path');

    both((m) => m.disableAdapter(() => run(m, x)), 'adapters disabled (the base model)');
    assertOffloaded(off, false, 'after the base forward');
    both((m) => run(m, x), 'enabled again');
    assertOffloaded(off, true, 'enabled again');

    layersOf(off).forEach(([path, layer], i) => {
      const delta = layer.getDeltaWeight('default');
      assertOnGpu(delta, `${path} ΔW`);
      assert.ok(sameBits(delta, layersOf(plain)[i][1].getDeltaWeight('default')), `${path}: ΔW read from host memory is exact`);
    });
    assertOffloaded(off, true, 'getDeltaWeight reads W in host memory');

    for (const m of [plain, off]) m.addAdapter('second', config(spec, m === off, { sparseRate: 0.4, initWeights: false }));
    assertOffloaded(off, true, 'adding an adapter reads W where it is');
    for (const [path, layer] of layersOf(off)) assertOnGpu(layer.frodLambdaL.get('second'), `${path} λ of the new adapter`);
    for (const m of [plain, off]) m.setAdapter(['default', 'second']);
    both((m) => run(m, x), 'two active adapters');
    assertOffloaded(off, false, 'several active adapters');
    for (const m of [plain, off]) m.setAdapter('second');
    both((m) => run(m, x), 'the second adapter alone');
    assertOffloaded(off, true, 'one active adapter again');

    for (const m of [plain, off]) m.deleteAdapter('default');
    assertOffloaded(off, true, 'one adapter left');
    for (const m of [plain, off]) m.deleteAdapter('second');
    assertOffloaded(off, false, 'no adapter left');
    both((m) => run(m, x), 'no adapters (the base model)');
  }), runs(RUNS));
});

test('merge, unmerge, mergeAndUnload and unload leave W on the gpu with exact values', () => {
  fc.assert(fc.property(specArb, fc.boolean(), (spec, mergeAtEnd) => {
    const { plain, off } = pair(spec);
    const original = layersOf(off).map(([, layer]) => layer.baseLayer.weight.clone());
    const x = input(spec);
    const weightsMatch = (when: string, expected: Tensor[] = layersOf(plain).map(([, l]) => l.baseLayer.weight)) => {
      layersOf(off).forEach(([path, layer], i) => {
        assertOnGpu(layer.baseLayer.weight, `${when}: ${path} base weight`);
        assert.ok(sameBits(layer.baseLayer.weight, expected[i]), `${when}: ${path} base weight values`);
      });
    };
    for (const m of [plain, off]) m.mergeAdapter();
    weightsMatch('merged');
    assertSameOutputs(run(off, x), run(plain, x), 'merged');
    for (const m of [plain, off]) m.unmergeAdapter();
    weightsMatch('unmerged', original);
    assertSameOutputs(run(off, x), run(plain, x), 'unmerged');
    assertOffloaded(off, true, 'forward after unmerge');

    const paths = layersOf(off).map(([path]) => path);
    const offModel = mergeAtEnd ? off.mergeAndUnload() : off.unload();
    const plainModel = mergeAtEnd ? plain.mergeAndUnload() : plain.unload();
    paths.forEach((path, i) => {
      const layer = offModel.getSubmodule(path);
      assert.ok(layer instanceof Linear || layer instanceof Conv1D, `${path}: a plain layer again`);
      const weight = (layer as Linear | Conv1D).weight;
      assertOnGpu(weight, `${path}: weight after ${mergeAtEnd ? 'mergeAndUnload' : 'unload'}`);
      const expected = mergeAtEnd ? (plainModel.getSubmodule(path) as Linear).weight : original[i];
      assert.ok(sameBits(weight, expected), `${path}: exact weight after ${mergeAtEnd ? 'mergeAndUnload' : 'unload'}`);
    });
    const forward = (m: Module) => noGrad(() => (m.forward as (t: Tensor) => Tensor).call(m, x));
    assertSameOutputs(forward(offModel), forward(plainModel), 'the unloaded models');
  }), runs(RUNS));
});

test('the copy kept for unmerge waits in host memory, also when W is on the gpu at merge time', () => {
  fc.assert(fc.property(specArb, (spec) => {
    const { off } = pair(spec);
    for (const [path, layer] of layersOf(off)) {
      assertOnGpu(layer.getBaseLayer().weight, `${path}: brought back, as every path that needs W does`);
    }
    off.mergeAdapter();
    for (const [path, layer] of layersOf(off)) {
      // A second W on the device would undo what offloading saves (protected, so read by name).
      const kept = (layer as unknown as { originalWeight: Tensor }).originalWeight;
      assert.is(kept.device, 'cpu', `${path}: the copy kept for unmerge`);
    }
  }), runs(RUNS));
});

test('a plain Module.to on the wrapped model drags W along; the next single-adapter forward sends it back', () => {
  fc.assert(fc.property(specArb, (spec) => {
    const { plain, off } = pair(spec);
    off.model.to('gpu');
    for (const [path, layer] of layersOf(off)) assert.is(layer.baseLayer.weight.device, 'gpu', `${path}: dragged by Module.to`);
    assertOffloaded(off, false, 'dragged: baseWeightOffloaded says where W is, not where it was sent');
    const x = input(spec);
    assertSameOutputs(run(off, x), run(plain, x), 'after the plain move');
    assertOffloaded(off, true, 'sent back by the forward');
    off.to('cpu');
    for (const [path, layer] of layersOf(off)) assert.is(layer.frodLambdaL.get('default').device, 'cpu', `${path}: λ back on the cpu`);
    off.to('gpu');
    assertOffloaded(off, true, 'a cpu round trip');
    assertSameOutputs(run(off, x), run(plain, x), 'after the round trip');
  }), runs(RUNS));
});

test('a training step with offload: the same λ and S gradients, and the same step, as without', () => {
  fc.assert(fc.property(specArb, fc.boolean(), (spec, withDropout) => {
    const { plain, off } = pair(spec, { frodDropout: withDropout ? 0.25 : 0 });
    const x = input(spec);
    const outputs = spec.conv ? spec.d : 3;
    const labels = ints([spec.batch], spec.seed + 11, 0, outputs).to('gpu');
    const step = (m: Model) => {
      m.train();
      const trainable = m.parameters().filter((p) => p.requiresGrad);
      const optimizer = new AdamW(trainable, { lr: 0.05 });
      optimizer.zeroGrad();
      crossEntropy(m.forward(x as never) as Tensor, labels).backward();
      const grads = layersOf(m).map(([, l]) => [l.frodLambdaL.get('default').grad, l.frodLambdaSValues.get('default').grad]);
      optimizer.step();
      return grads;
    };
    const plainGrads = step(plain);
    const offGrads = step(off);
    assertOffloaded(off, !withDropout, withDropout ? 'dropout brought W back' : 'W stayed in host memory through training');
    layersOf(off).forEach(([path, layer], i) => {
      assert.is(layer.baseLayer.weight.grad, null, `${path}: W gets no gradient`);
      for (const [k, name] of ['λ', 'S values'].entries()) {
        const g = offGrads[i][k];
        assert.ok(g !== null, `${path}: ${name} has a gradient`);
        assertParity(g as Tensor, plainGrads[i][k] as Tensor, `${path}: gradient of ${name}`, { rtol: 1e-4, atol: 1e-6 });
      }
      assertParity(layer.frodLambdaL.get('default'), layersOf(plain)[i][1].frodLambdaL.get('default'), `${path}: λ after the step`);
    });
    for (const m of [plain, off]) m.eval();
    assertSameOutputs(run(off, x), run(plain, x), 'after the step');
  }), runs(RUNS));
});

test.run();
