/**
 * The PEFT-style tuner around FRoD (docs/peft-compatibility.md; docs/frod-math.md §8): target errors, Conv1D handling, adapter management,
 * bias modes, modules_to_save, safe merge, unload, runtimeOffloadBaseWeight bookkeeping, parameter names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { Generator, type Tensor, randn } from '../../src/tensor';
import { FrodConfig } from '../../src/frod/config';
import { readAdapterDir } from '../../src/frod/checkpoint';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import { PeftModel } from '../../src/peft/peftModel';
import { Container, TinyModel, assertClose, sameBits } from './helpers';

const TARGETS = ['q_proj', 'v_proj', 'up_proj', 'down_proj'];
const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: TARGETS, sparseRate: 0.2, progressbar: false, ...extra });
const x = (d: number, seed = 0) => randn([3, d], { dtype: 'float64', generator: new Generator(`in/${seed}`) });
const run = (m: { forward(t: Tensor): unknown }, t: Tensor) => noGrad(() => m.forward(t) as Tensor);

/** Captures console.warn while fn runs. */
function warnings(fn: () => void): string[] {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { seen.push(args.join(' ')); };
  try { fn(); } finally { console.warn = warn; }
  return seen;
}

class WithNorm extends Module {
  constructor() {
    super();
    this.registerModule('proj', new Linear(4, 4));
    this.registerModule('norm', new Container());
  }
}

test('errors: a matched module that is not Linear/Conv1D names it and its type; matching nothing says so', () => {
  assert.throws(() => getPeftModel(new WithNorm(), new FrodConfig({ targetModules: ['norm'] })), /^FRoD: target module 'norm' is a Container; only Linear and Conv1D/);
  assert.throws(() => getPeftModel(new TinyModel(3, 1, 'float32', 0), new FrodConfig({ targetModules: ['nothing_here'] })), /matched no module/);
  assert.throws(() => getPeftModel(new TinyModel(3, 1, 'float32', 0), new FrodConfig({ targetModules: '.*q_pro' })), /matched no module/);
});

test('regex targets match whole paths; layersToTransform keeps listed layers only', () => {
  const peft = getPeftModel(new TinyModel(3, 3, 'float32', 1), new FrodConfig({ targetModules: '.*\\.(q_proj|up_proj)', progressbar: false }));
  const paths = peft.baseModel.tunerLayers().map(([p]) => p).sort();
  assert.equal(paths, ['model.layers.0.mlp.up_proj', 'model.layers.0.self_attn.q_proj', 'model.layers.1.mlp.up_proj',
    'model.layers.1.self_attn.q_proj', 'model.layers.2.mlp.up_proj', 'model.layers.2.self_attn.q_proj']);
  const some = getPeftModel(new TinyModel(3, 3, 'float32', 1), cfg({ layersToTransform: [0, 2], layersPattern: 'layers' }));
  assert.equal(some.baseModel.tunerLayers().map(([p]) => p.split('.')[2]).sort(), ['0', '0', '0', '0', '2', '2', '2', '2']);
});

test('parameter names follow PEFT: <path>.frod_lambda_l.<adapter>, <path>.base_layer.weight; U is not in the state dict', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float32', 2), cfg(), 'first');
  const names = peft.namedParameters().map(([n]) => n);
  assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.frod_lambda_l.first'));
  assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.frod_lambda_s_values.first'));
  assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight'));
  assert.not.ok(Object.keys(peft.stateDict()).some((k) => k.includes('frod_U')), 'U is not persistent');
  const trainable = peft.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
  assert.ok(trainable.length > 0 && trainable.every((n) => n.includes('.frod_lambda_')));
});

test('Conv1D targets force fan_in_fan_out (one warning), Linear targets force it off', () => {
  class Gpt2Like extends Module {
    constructor() {
      super();
      this.registerModule('c_attn', new Conv1D(6, 4));
      this.registerModule('c_proj', new Conv1D(4, 6));
    }
  }
  let peft: PeftModel<FrodConfig> | undefined;
  const seen = warnings(() => { peft = getPeftModel(new Gpt2Like(), new FrodConfig({ targetModules: ['c_attn', 'c_proj'], progressbar: false })); });
  assert.is(seen.length, 1);
  assert.match(seen[0], /fan_in_fan_out/);
  assert.is((peft as PeftModel<FrodConfig>).peftConfig.get('default')?.fanInFanOut, true);
  const linear = warnings(() => getPeftModel(new TinyModel(3, 1, 'float32', 0), cfg({ fanInFanOut: true })));
  assert.is(linear.length, 1);
  const conv = (peft as PeftModel<FrodConfig>).baseModel.model.getSubmodule('c_attn') as FrodLinear;
  assert.ok(conv.fanInFanOut);
  const input = randn([2, 4]);
  const base = new Conv1D(6, 4);
  noGrad(() => { base.weight.copy_(conv.baseLayer.weight); base.bias.copy_(conv.baseLayer.bias as Tensor); });
  assertClose(run(conv, input).data(), run(base, input).data(), 1e-5, 'Conv1D fresh adapter');
});

test('adapters: add, set, delete; projection key / save_projection / offload must agree', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 3), cfg({ initWeights: false }));
  peft.addAdapter('other', cfg({ initWeights: false, sparseRate: 0.5 }));
  assert.equal(peft.activeAdapters, ['default']);
  assert.throws(() => peft.addAdapter('other', cfg()), /already exists/);
  assert.throws(() => peft.addAdapter('bad', cfg({ projectionPrngKey: 1 })), /projectionPrngKey must be the same/);
  assert.throws(() => peft.addAdapter('bad', cfg({ saveProjection: false })), /saveProjection must be the same/);
  assert.throws(() => peft.addAdapter('a.b', cfg()), /without '\.'/);
  assert.throws(() => peft.setAdapter('missing'), /adapter 'missing' does not exist/);
  const layer = peft.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear;
  assert.ok(layer.frodLambdaL.get('default').requiresGrad);
  assert.not.ok(layer.frodLambdaL.get('other').requiresGrad, 'inactive adapters are frozen');
  assert.ok(layer.categoryOf('default').v === layer.categoryOf('other').v, 'same targets share V');
  assert.not.equal(layer.categoryOf('default').pattern.nnz, layer.categoryOf('other').pattern.nnz, 'own sparse rate, own pattern');
  assert.ok(layer.frodU.get('default') === layer.frodU.get('other'), 'one U for both');
  peft.addAdapter('third', cfg());
  assert.ok(layer.categoryOf('default') === layer.categoryOf('third'), 'same key and rate: the same category state');
  peft.setAdapter('other');
  assert.not.ok(layer.frodLambdaL.get('default').requiresGrad);
  assert.ok(layer.frodLambdaL.get('other').requiresGrad);
  peft.deleteAdapter('other');
  assert.equal(peft.activeAdapters, ['default']);
  assert.equal(layer.adapterNames(), ['default', 'third']);
});

test('bias modes: none trains no bias, all trains every bias, frod_only the adapted layers\' biases', () => {
  const biasNames = (peft: PeftModel) => peft.namedParameters().filter(([n, p]) => p.requiresGrad && n.endsWith('bias')).map(([n]) => n);
  assert.equal(biasNames(getPeftModel(new TinyModel(3, 1, 'float32', 4), cfg())), []);
  const all = biasNames(getPeftModel(new TinyModel(3, 1, 'float32', 4), cfg({ bias: 'all' })));
  assert.ok(all.includes('base_model.model.classifier.bias'));
  assert.is(all.length, 4); // q, up, down, classifier (v_proj has no bias)
  const only = biasNames(getPeftModel(new TinyModel(3, 1, 'float32', 4), cfg({ bias: 'frod_only' })));
  assert.is(only.length, 3);
  assert.not.ok(only.includes('base_model.model.classifier.bias'));
});

test('modules_to_save: a trainable copy, the original untouched, saved under the original name and loaded back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-mts-'));
  try {
    const model = new TinyModel(3, 1, 'float64', 5);
    const original = (model.getSubmodule('classifier') as Linear).weight.clone();
    const peft = getPeftModel(model, cfg({ modulesToSave: ['classifier'] }));
    const wrapper = peft.model.getSubmodule('classifier');
    assert.instance(wrapper, ModulesToSaveWrapper);
    const copy = (wrapper as ModulesToSaveWrapper).copies.get('default') as Linear;
    assert.ok(copy.weight.requiresGrad);
    assert.not.ok((wrapper as ModulesToSaveWrapper).originalModule.parameters().some((p) => p.requiresGrad));
    noGrad(() => copy.weight.copy_(copy.weight.add(1)));
    assert.ok(sameBits((model.getSubmodule('classifier.original_module') as Linear).weight, original), 'original untouched');
    const input = x(3);
    const trained = run(peft, input);
    assert.ok(sameBits(peft.disableAdapter(() => run(peft, input)), run(new TinyModel(3, 1, 'float64', 5), input)), 'disabled uses the original');
    peft.savePretrained(dir);
    assert.ok(Object.hasOwn(readAdapterDir(dir).tensors, 'base_model.model.classifier.weight'));
    const loaded = PeftModel.fromPretrained(new TinyModel(3, 1, 'float64', 5), dir);
    assert.ok(sameBits(run(loaded, input), trained));
    const plain = peft.mergeAndUnload();
    assert.instance(plain.getSubmodule('classifier'), Linear);
    assert.ok(sameBits((plain.getSubmodule('classifier') as Linear).weight, copy.weight), 'the trained copy replaces the module');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('safe merge refuses non-finite results and names the adapter; nothing is merged', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 6), cfg());
  const layer = peft.model.getSubmodule('model.layers.0.mlp.up_proj') as FrodLinear;
  const before = layer.baseLayer.weight.clone();
  noGrad(() => layer.frodLambdaL.get('default').copy_(layer.frodLambdaL.get('default').mul(Infinity)));
  assert.throws(() => peft.mergeAdapter(undefined, { safeMerge: true }), /safe merge of adapter 'default' into module 'model\.layers\.0\.mlp\.up_proj'/);
  assert.ok(sameBits(layer.baseLayer.weight, before));
  assert.equal(layer.mergedAdapters, []);
});

test('safe merge that fails in a later layer leaves every layer as it was (earlier layers are rolled back)', () => {
  const peft = getPeftModel(new TinyModel(3, 2, 'float32', 6), cfg({ initWeights: false }));
  const layers = peft.baseModel.tunerLayers().map(([, l]) => l as FrodLinear);
  peft.mergeAdapter(['default'], { safeMerge: true });
  const merged = layers.map((l) => l.baseLayer.weight.clone());
  peft.unmergeAdapter();
  peft.addAdapter('other', cfg({ initWeights: false }));
  peft.mergeAdapter(['default']); // every layer holds 'default' merged before the failing call
  const last = layers[layers.length - 1];
  noGrad(() => last.frodLambdaL.get('other').copy_(last.frodLambdaL.get('other').mul(Infinity)));
  assert.throws(() => peft.mergeAdapter(['other'], { safeMerge: true }), /safe merge of adapter 'other'/);
  layers.forEach((l, i) => {
    assert.equal(l.mergedAdapters, ['default'], l.modulePath);
    assert.ok(sameBits(l.baseLayer.weight, merged[i]), `${l.modulePath} keeps its weight bit for bit`);
  });
  peft.unmergeAdapter();
  noGrad(() => last.frodLambdaL.get('default').copy_(last.frodLambdaL.get('default').mul(Infinity)));
  const before = layers.map((l) => l.baseLayer.weight.clone());
  assert.throws(() => peft.mergeAdapter(['default'], { safeMerge: true }), /safe merge of adapter 'default'/);
  layers.forEach((l, i) => {
    assert.equal(l.mergedAdapters, [], l.modulePath);
    assert.ok(sameBits(l.baseLayer.weight, before[i]), `${l.modulePath} is unchanged`);
  });
});

test('unload gives back the original layers and weights; mergeAndUnload the merged ones', () => {
  const input = x(4, 1);
  const reference = run(new TinyModel(4, 2, 'float64', 7), input);
  const peft = getPeftModel(new TinyModel(4, 2, 'float64', 7), cfg({ initWeights: false }));
  const adapted = run(peft, input);
  peft.mergeAdapter();
  const plain = peft.unload();
  assert.instance(plain.getSubmodule('model.layers.1.mlp.down_proj'), Linear);
  assert.ok(sameBits(run(plain, input), reference), 'unload restores the base model exactly');
  const again = getPeftModel(new TinyModel(4, 2, 'float64', 7), cfg({ initWeights: false }));
  const merged = again.mergeAndUnload();
  assert.instance(merged.getSubmodule('model.layers.0.self_attn.q_proj'), Linear);
  assertClose(run(merged, input).data(), adapted.data(), 1e-10, 'merged model = adapted model');
});

test('getDeltaWeight is W\' − W in the stored orientation; zero for a fresh adapter', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 8), cfg());
  const layer = peft.model.getSubmodule('model.layers.0.mlp.down_proj') as FrodLinear;
  const delta = layer.getDeltaWeight('default');
  assert.equal(delta.shape, layer.baseLayer.weight.shape);
  assert.ok(delta.data().every((v) => Math.abs(v) < 1e-12));
});

test('runtimeOffloadBaseWeight: the base weight waits in host memory on the single-adapter path and comes back when needed', () => {
  const moves: string[] = [];
  const mover = FrodLinear.baseWeightMover;
  FrodLinear.baseWeightMover = (weight, device) => { moves.push(device); mover(weight, device); };
  try {
    const peft = getPeftModel(new TinyModel(3, 1, 'float64', 9), cfg({ runtimeOffloadBaseWeight: true }));
    const layer = peft.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear;
    assert.ok(layer.baseWeightOffloaded, 'offloaded after injection');
    run(peft, x(3));
    assert.ok(layer.baseWeightOffloaded, 'the single-adapter forward does not need it');
    peft.mergeAdapter();
    assert.not.ok(layer.baseWeightOffloaded, 'back for merging');
    peft.unmergeAdapter();
    run(peft, x(3));
    assert.ok(layer.baseWeightOffloaded, 'offloaded again on the single-adapter path');
    peft.unload();
    assert.not.ok(layer.baseWeightOffloaded, 'back on unload');
    assert.ok(moves.length >= 4);
    assert.throws(() => peft.addAdapter('x', cfg()), /runtimeOffloadBaseWeight must be the same/);
  } finally {
    FrodLinear.baseWeightMover = mover;
  }
});

test('savePretrained writes "default" into the directory and other adapters into sub-directories; loadAdapter adds one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-multi-'));
  try {
    const input = x(3, 2);
    const peft = getPeftModel(new TinyModel(3, 2, 'float64', 10), cfg({ initWeights: false }));
    peft.addAdapter('second', cfg({ initWeights: false, sparseRate: 0.5 }));
    peft.setAdapter('second');
    const secondOut = run(peft, input);
    peft.savePretrained(dir);
    assert.ok(readAdapterDir(dir).config.sparseRate === 0.2);
    assert.ok(readAdapterDir(join(dir, 'second')).config.sparseRate === 0.5);
    const other = getPeftModel(new TinyModel(3, 2, 'float64', 10), cfg());
    const before = run(other, input);
    other.loadAdapter(join(dir, 'second'), 'second');
    assert.equal(other.activeAdapters, ['default'], 'loading does not activate');
    assert.ok(sameBits(run(other, input), before));
    other.setAdapter('second');
    assert.ok(sameBits(run(other, input), secondOut), 'loaded adapter reproduces its outputs');
    assert.throws(() => other.loadAdapter(join(dir, 'second'), 'second'), /already exists/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint that does not fit leaves the model unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-bad-'));
  try {
    getPeftModel(new TinyModel(3, 2, 'float64', 11), cfg()).savePretrained(dir);
    const peft = getPeftModel(new TinyModel(4, 2, 'float64', 11), cfg());
    const layersBefore = peft.model.namedModules().map(([p, m]) => [p, m.constructor.name]);
    assert.throws(() => peft.loadAdapter(dir, 'other'), /saved V of category 'mlp_down_proj' has shape \(6,6\) but module 'model\.layers\.0\.mlp\.down_proj' has a weight of shape \(4,8\)/);
    assert.equal(peft.model.namedModules().map(([p, m]) => [p, m.constructor.name]), layersBefore);
    assert.equal([...peft.peftConfig.keys()], ['default']);
    assert.equal((peft.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear).adapterNames(), ['default']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('disableAdapter re-enables after a rejected promise and after a throw', async () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 12), cfg({ initWeights: false }));
  const input = x(3, 3);
  const adapted = run(peft, input);
  await peft.disableAdapter(async () => { throw new Error('boom'); }).catch(() => undefined);
  assert.ok(sameBits(run(peft, input), adapted));
  assert.throws(() => peft.disableAdapter(() => { throw new Error('sync boom'); }), /sync boom/);
  assert.ok(sameBits(run(peft, input), adapted));
});

test.run();
