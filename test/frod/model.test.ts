/**
 * Properties of the Module-level API on random toy models: a fresh adapter keeps the outputs, merge → unmerge
 * restores the weights bit for bit, disabled adapters are exactly the base model, save → load is exact
 * (with and without projections), the pattern follows the key, sparse rates 0 and 1, several adapters,
 * dropout, and the trainable parameter counts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { noGrad } from '../../src/autograd';
import { Generator, type Tensor, randn } from '../../src/tensor';
import { FrodConfig } from '../../src/frod/config';
import { readAdapterDir } from '../../src/frod/checkpoint';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { projectionKey } from '../../src/frod/keys';
import { sparseNnz } from '../../src/frod/pattern';
import { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { NOT_PORTABLE, initialLayerValues } from '../../src/frod/functional';
import { TinyModel, assertClose, sameBits } from './helpers';

const TARGETS = ['q_proj', 'v_proj', 'up_proj', 'down_proj'];
const shapes = fc.record({ d: fc.integer({ min: 2, max: 6 }), layers: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1e6 }) });

function config(extra: ConstructorParameters<typeof FrodConfig>[0] = {}): FrodConfig {
  return new FrodConfig({ targetModules: TARGETS, sparseRate: 0.2, progressbar: false, ...extra });
}

function input(d: number, seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return randn([4, d], { dtype, generator: new Generator(`x/${seed}`) });
}

const run = (model: { forward(x: Tensor): unknown }, x: Tensor) => noGrad(() => model.forward(x) as Tensor);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'frod-model-'));
}

test('a fresh adapter reproduces the base outputs (float64 ~1e-10, float32 ~1e-5)', () => {
  fc.assert(fc.property(shapes, fc.constantFrom('float64', 'float32'), ({ d, layers, seed }, dtype) => {
    const base = new TinyModel(d, layers, dtype, seed);
    const x = input(d, seed, dtype);
    const expected = run(base, x);
    const peft = getPeftModel(base, config());
    assertClose(run(peft, x).data(), expected.data(), dtype === 'float64' ? 1e-10 : 1e-5, 'fresh adapter output');
  }), { numRuns: 10 });
});

test('merge then unmerge restores every base weight bit for bit; merged forward equals adapter forward', () => {
  fc.assert(fc.property(shapes, ({ d, layers, seed }) => {
    const peft = getPeftModel(new TinyModel(d, layers, 'float64', seed), config({ initWeights: false }));
    const layersBefore = (peft.baseModel as unknown as { frodLayers(): [string, FrodLinear][] }).frodLayers();
    const before = layersBefore.map(([, l]) => l.baseLayer.weight.clone());
    const x = input(d, seed);
    const adapted = run(peft, x);
    peft.mergeAdapter();
    assert.ok(layersBefore.some(([, l], i) => !sameBits(l.baseLayer.weight, before[i])), 'merging changed the weights');
    assertClose(run(peft, x).data(), adapted.data(), 1e-10, 'merged forward');
    peft.unmergeAdapter();
    layersBefore.forEach(([path, l], i) => assert.ok(sameBits(l.baseLayer.weight, before[i]), `${path} restored`));
  }), { numRuns: 8 });
});

test('disableAdapter gives exactly the base outputs, also for a merged model, and re-enables afterwards', () => {
  fc.assert(fc.property(shapes, ({ d, layers, seed }) => {
    const x = input(d, seed);
    const expected = run(new TinyModel(d, layers, 'float64', seed), x);
    const peft = getPeftModel(new TinyModel(d, layers, 'float64', seed), config({ initWeights: false }));
    const adapted = run(peft, x);
    assert.ok(!sameBits(adapted, expected), 'noisy adapter changes outputs');
    assert.ok(sameBits(peft.disableAdapter(() => run(peft, x)), expected), 'disabled = base');
    assert.ok(sameBits(run(peft, x), adapted), 'enabled again');
    peft.mergeAdapter();
    assert.ok(sameBits(peft.disableAdapter(() => run(peft, x)), expected), 'disabled merged = base');
  }), { numRuns: 6 });
});

test('savePretrained → fromPretrained gives identical outputs (with and without projections)', () => {
  fc.assert(fc.property(shapes, fc.boolean(), ({ d, layers, seed }, saveProjection) => {
    const dir = tempDir();
    try {
      const peft = getPeftModel(new TinyModel(d, layers, 'float32', seed), config({ initWeights: false, saveProjection }));
      const x = input(d, seed, 'float32');
      peft.savePretrained(dir);
      const { config: saved, tensors } = readAdapterDir(dir);
      assert.is(saved.saveProjection, saveProjection);
      assert.is(saved.inferenceMode, true, 'saved with inference_mode true, as PEFT');
      assert.is(Object.keys(tensors).some((k) => k.startsWith('base_model.frod_V.')), saveProjection);
      assert.ok(Object.keys(tensors).every((k) => !k.includes('.default')), 'no adapter names in keys');
      const loaded = PeftModel.fromPretrained(new TinyModel(d, layers, 'float32', seed), dir);
      assert.ok(sameBits(run(loaded, x), run(peft, x)), 'identical outputs');
      for (const [path, layer] of (peft.baseModel as unknown as { frodLayers(): [string, FrodLinear][] }).frodLayers()) {
        const other = loaded.baseModel.model.getSubmodule(path) as FrodLinear;
        assert.ok(sameBits(other.frodU.get('default'), layer.frodU.get('default')), `${path}: U identical`);
        assert.equal(Array.from(other.categoryOf('default').v.data), Array.from(layer.categoryOf('default').v.data));
      }
      assert.equal(loaded.getNbTrainableParameters()[0], 0, 'loaded frozen by default');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }), { numRuns: 6 });
});

test('same key → same pattern and V; another key → another pattern', () => {
  const make = (key: number) => getPeftModel(new TinyModel(6, 2, 'float64', 1), config({ projectionPrngKey: key }));
  const pattern = (peft: PeftModel, key: string) => {
    const layer = peft.baseModel.model.getSubmodule(key) as FrodLinear;
    const state = layer.categoryOf('default');
    return [Array.from(state.pattern.rows), Array.from(state.pattern.cols)];
  };
  const path = 'model.layers.1.mlp.up_proj';
  assert.equal(pattern(make(3), path), pattern(make(3), path));
  assert.not.equal(pattern(make(3), path), pattern(make(4), path));
});

test('trainable parameters are in + nnz per adapted layer; printTrainableParameters prints PEFT\'s line', () => {
  for (const sparseRate of [0, 0.2, 1]) {
    const d = 5, layers = 2;
    const peft = getPeftModel(new TinyModel(d, layers, 'float32', 7), config({ sparseRate }));
    const perBlock = 3 * (d + sparseNnz(d, sparseRate)) + (2 * d + sparseNnz(2 * d, sparseRate));
    const [trainable, all] = peft.getNbTrainableParameters();
    assert.is(trainable, layers * perBlock, `sparseRate ${sparseRate}`);
    const baseCount = new TinyModel(d, layers, 'float32', 7).parameters().reduce((s, p) => s + p.numel(), 0);
    assert.is(all, baseCount + trainable);
    const logged: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => { logged.push(...args); };
    try { peft.printTrainableParameters(); } finally { console.log = log; }
    const pct = ((100 * trainable) / all).toFixed(4);
    assert.is(logged[0], `trainable params: ${trainable.toLocaleString('en-US')} || all params: ${all.toLocaleString('en-US')} || trainable%: ${pct}`);
  }
});

test('sparseRate 0 and 1: fresh adapters keep outputs; gradients reach λ and every S value', () => {
  for (const sparseRate of [0, 1]) {
    const base = new TinyModel(4, 2, 'float64', 11);
    const x = input(4, 11);
    const expected = run(base, x);
    const peft = getPeftModel(base, config({ sparseRate }));
    const y = peft.forward(x) as Tensor;
    assertClose(y.data(), expected.data(), 1e-10, `rate ${sparseRate}`);
    y.square().sum().backward();
    const layer = peft.baseModel.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear;
    assert.is(layer.frodLambdaSValues.get('default').numel(), sparseRate === 0 ? 0 : 12);
    assert.ok(layer.frodLambdaL.get('default').grad !== null, 'λ has a gradient');
    if (sparseRate === 1) assert.ok((layer.frodLambdaSValues.get('default').grad as Tensor).data().some((g) => g !== 0));
    assert.not.ok(layer.baseLayer.weight.requiresGrad, 'base weight frozen');
  }
});

test('savePretrained warns of the portability only for an adapter saved without projections, by name', () => {
  for (const saveProjection of [true, false]) {
    const dir = tempDir();
    try {
      const peft = getPeftModel(new TinyModel(3, 1, 'float64', 1), config({ saveProjection }));
      const { warnings } = catchWarnings(() => peft.savePretrained(dir));
      const expected = saveProjection ? [] : [`FRoD adapter 'default' is saved without its projections (save_projection: false): ${NOT_PORTABLE}`];
      assert.equal(warnings, expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('addAdapter refuses a config that is not a FrodConfig, naming the adapter', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 1), config());
  const plain = { ...config() } as unknown as FrodConfig;
  assert.throws(() => peft.addAdapter('b', plain), /^adapter 'b': expected a FrodConfig$/);
});

test('two active adapters add their differences: y = y_a + y_b − y_base', () => {
  fc.assert(fc.property(shapes, ({ d, seed }) => {
    const make = () => new TinyModel(d, 1, 'float64', seed);
    const x = input(d, seed);
    const base = run(make(), x);
    const peft = getPeftModel(make(), config({ initWeights: false }), 'a');
    peft.addAdapter('b', config({ initWeights: false, sparseRate: 0.3 }));
    const ya = run(peft, x);
    peft.setAdapter('b');
    const yb = run(peft, x);
    peft.setAdapter(['a', 'b']);
    assert.equal(peft.activeAdapters, ['a', 'b']);
    const both = run(peft, x);
    // The model is not linear (tanh), so check one layer: the q_proj of block 0.
    const layer = peft.baseModel.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear;
    const h = input(d, seed + 1);
    const yBase = noGrad(() => layer.baseLayer.forward(h));
    const yA = noGrad(() => layer.adapterOutput('a', h).add(layer.baseLayer.bias as Tensor));
    const yB = noGrad(() => layer.adapterOutput('b', h).add(layer.baseLayer.bias as Tensor));
    const yBoth = noGrad(() => layer.forward(h));
    assertClose(yBoth.data(), yA.add(yB).sub(yBase).data(), 1e-10, 'multi-adapter layer');
    assert.not.ok(sameBits(both, ya) || sameBits(both, yb) || sameBits(both, base));
  }), { numRuns: 5 });
});

test('dropout: training mode uses base(x) + FRoD(drop(x)) − drop(x)Wᵀ (a fresh adapter still gives base outputs); eval mode skips it', () => {
  const base = new TinyModel(5, 2, 'float64', 3);
  const x = input(5, 3);
  const expected = run(base, x);
  const peft = getPeftModel(base, config({ frodDropout: 0.5 }));
  peft.train();
  assertClose(run(peft, x).data(), expected.data(), 1e-10, 'fresh adapter with dropout');
  const noisy = getPeftModel(new TinyModel(5, 2, 'float64', 3), config({ frodDropout: 0.5, initWeights: false }));
  noisy.train();
  const first = run(noisy, x);
  const second = run(noisy, x);
  assert.not.ok(sameBits(first, second), 'dropout masks differ between calls');
  noisy.eval();
  assert.ok(sameBits(run(noisy, x), run(noisy, x)), 'eval: deterministic single-adapter path');
});

test('the saved V of a fresh save_projection adapter is what the layers use', () => {
  const dir = tempDir();
  try {
    const peft = getPeftModel(new TinyModel(4, 2, 'float32', 5), config());
    peft.savePretrained(dir);
    const { tensors } = readAdapterDir(dir);
    const layer = peft.baseModel.model.getSubmodule('model.layers.0.mlp.up_proj') as FrodLinear;
    assert.equal(Array.from(tensors[projectionKey('mlp_up_proj')].data()), Array.from(layer.categoryOf('default').v.data));
    assert.equal(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an adapter that targets more categories than an earlier one reuses its V (and U) for the shared ones', () => {
  const peft = getPeftModel(new TinyModel(4, 2, 'float64', 5), config({ targetModules: ['q_proj'] }), 'a');
  peft.addAdapter('b', config({ targetModules: ['q_proj', 'v_proj'] }));
  const q = peft.baseModel.model.getSubmodule('model.layers.1.self_attn.q_proj') as FrodLinear;
  assert.ok(q.categoryOf('b').v === q.categoryOf('a').v, 'one V for the q_proj category');
  assert.ok(q.frodU.get('b') === q.frodU.get('a'), 'hence one U per layer');
  const v = peft.baseModel.model.getSubmodule('model.layers.1.self_attn.v_proj') as FrodLinear;
  assert.equal(v.adapterNames(), ['b']);
});

test('an adapter with another sparse_rate over the same targets shares V but gets the pattern of its own rate', () => {
  const peft = getPeftModel(new TinyModel(6, 2, 'float64', 5), config({ sparseRate: 0.2 }), 'a');
  peft.addAdapter('b', config({ sparseRate: 0.5 }));
  peft.addAdapter('none', config({ sparseRate: 0 })); // an empty pattern agrees with any other entry by entry
  const layer = peft.baseModel.model.getSubmodule('model.layers.0.mlp.up_proj') as FrodLinear;
  assert.ok(layer.categoryOf('b').v === layer.categoryOf('a').v, 'one V');
  assert.is(layer.categoryOf('a').pattern.nnz, sparseNnz(6, 0.2));
  assert.is(layer.categoryOf('b').pattern.nnz, sparseNnz(6, 0.5));
  assert.is(layer.frodLambdaSValues.get('b').numel(), sparseNnz(6, 0.5));
  assert.is(layer.categoryOf('none').pattern.nnz, 0);
});

test('init_weights false: the n-th adapter added draws the noise of adapter number n (0, 1, …), whatever its name', () => {
  const path = 'model.layers.0.mlp.up_proj';
  const fresh = getPeftModel(new TinyModel(4, 1, 'float64', 5), config()).baseModel.model.getSubmodule(path) as FrodLinear;
  const decomposed = Float64Array.from(fresh.frodLambdaL.get('default').data());
  const noisy = config({ initWeights: false });
  const peft = getPeftModel(new TinyModel(4, 1, 'float64', 5), noisy, 'first');
  peft.addAdapter('second', noisy);
  const layer = peft.baseModel.model.getSubmodule(path) as FrodLinear;
  for (const [name, index] of [['first', 0], ['second', 1]] as const) {
    const expected = initialLayerValues(decomposed, layer.categoryOf(name).pattern.nnz, noisy, path, index);
    assert.equal(Array.from(layer.frodLambdaL.get(name).data()), Array.from(expected.lambda), `${name}: λ`);
    assert.equal(Array.from(layer.frodLambdaSValues.get(name).data()), Array.from(expected.sValues), `${name}: S`);
  }
});

test.run();
