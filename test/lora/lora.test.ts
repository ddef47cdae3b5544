import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { FrodConfig } from '../../src/frod/config';
import { selectTargets } from '../../src/peft/targets';
import { loadSafetensors } from '../../src/nn/io';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { ViTForImageClassification } from '../../src/nn/models/vit';
import { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { LoraConfig, LoraLinear, getLoraModel, loraKey } from '../../src/lora';
import { Generator, randn, type Tensor } from '../../src/tensor';

const maxAbsDiff = (a: Tensor, b: Tensor) => {
  const x = a.data();
  const y = b.data();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
};

function tinyVit(seed = 0): ViTForImageClassification {
  return new ViTForImageClassification({
    imageSize: 8, patchSize: 4, numChannels: 1, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
    intermediateSize: 12, numLabels: 3, seed,
  });
}

const layerArb = fc.record({
  inF: fc.integer({ min: 1, max: 7 }), outF: fc.integer({ min: 1, max: 7 }), r: fc.integer({ min: 1, max: 4 }),
  alpha: fc.double({ min: 0.5, max: 16, noNaN: true }), rslora: fc.boolean(), conv1d: fc.boolean(), seed: fc.integer(),
});

test('merged weights give the forward of the unmerged adapter; unmerge restores the weight exactly (property)', () => {
  fc.assert(fc.property(layerArb, ({ inF, outF, r, alpha, rslora, conv1d, seed }) => {
    const generator = new Generator(seed);
    const base = conv1d ? new Conv1D(outF, inF, { dtype: 'float64', generator }) : new Linear(inF, outF, { dtype: 'float64', generator });
    const original = base.weight.clone();
    const layer = new LoraLinear(base, 'blk.proj', conv1d);
    layer.updateLayer('default', new LoraConfig({ r, loraAlpha: alpha, useRslora: rslora, initLoraWeights: false, targetModules: ['proj'] }));
    assert.is(layer.scalingOf('default'), rslora ? alpha / Math.sqrt(r) : alpha / r);
    const x = randn([3, 2, inF], { dtype: 'float64', generator });
    const unmerged = layer.forward(x);
    assert.ok(maxAbsDiff(unmerged, base.forward(x)) > 0, 'a random adapter changes the output');
    layer.merge();
    assert.equal(layer.mergedAdapters, ['default']);
    assert.ok(maxAbsDiff(layer.forward(x), unmerged) < 1e-10);
    assert.ok(maxAbsDiff(base.forward(x), unmerged) < 1e-10, 'the merged base alone computes the adapted output');
    layer.unmerge();
    assert.is(maxAbsDiff(base.weight, original), 0);
    assert.ok(maxAbsDiff(layer.forward(x), unmerged) < 1e-12);
  }), { numRuns: 40 });
});

test('a fresh adapter (B = 0) leaves the outputs exactly as the base layer computes them', () => {
  fc.assert(fc.property(layerArb, ({ inF, outF, r, alpha, conv1d, seed }) => {
    const generator = new Generator(seed);
    const base = conv1d ? new Conv1D(outF, inF, { generator }) : new Linear(inF, outF, { generator });
    const layer = new LoraLinear(base, 'proj', conv1d);
    layer.updateLayer('default', new LoraConfig({ r, loraAlpha: alpha, targetModules: ['proj'] }));
    assert.ok(layer.loraB.get('default').weight.data().every((v) => v === 0));
    assert.ok(layer.loraA.get('default').weight.data().some((v) => v !== 0), 'A is random so B receives gradients');
    const x = randn([4, inF], { generator });
    assert.is(maxAbsDiff(layer.forward(x), base.forward(x)), 0);
  }), { numRuns: 30 });
});

test('gradients reach A, B and the input only; the base weight stays frozen', () => {
  const base = new Linear(5, 4, { dtype: 'float64', generator: new Generator(1) });
  base.requiresGrad_(false);
  const layer = new LoraLinear(base, 'proj', false);
  layer.updateLayer('default', new LoraConfig({ r: 2, initLoraWeights: false, targetModules: ['proj'] }));
  const x = randn([3, 5], { dtype: 'float64', generator: new Generator(2) });
  x.requiresGrad_(true);
  layer.forward(x).square().sum().backward();
  assert.ok(layer.loraA.get('default').weight.grad !== null);
  assert.ok(layer.loraB.get('default').weight.grad !== null);
  assert.ok(x.grad !== null);
  assert.is(base.weight.grad, null);
});

test('getLoraModel adapts the same modules as FRoD for the same target_modules, and trains only A, B and the head copy', () => {
  const model = tinyVit();
  const paths = model.namedModules().map(([p]) => p);
  const selection = { targetModules: ['query', 'value'], modulesToSave: ['classifier'] };
  const frodTargets = selectTargets(paths, new FrodConfig(selection));
  const peft = getLoraModel(model, new LoraConfig({ r: 2, loraAlpha: 4, ...selection }));
  const adapted = peft.baseModel.tunerLayers().map(([p]) => p);
  assert.equal(adapted, frodTargets);
  assert.is(adapted.length, 4);
  const trainable = peft.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
  assert.ok(trainable.includes('base_model.model.vit.encoder.layer.0.attention.attention.query.lora_A.default.weight'));
  assert.ok(trainable.includes('base_model.model.classifier.modules_to_save.default.weight'));
  assert.ok(trainable.every((n) => n.includes('.lora_') || n.includes('modules_to_save.default')), trainable.join(', '));
  const [nTrainable, nAll] = peft.getNbTrainableParameters();
  assert.is(nTrainable, 4 * 2 * (8 + 8) + (8 * 3 + 3));
  assert.ok(nAll > nTrainable);
  assert.throws(() => getLoraModel(tinyVit(), new LoraConfig({ targetModules: ['nothing_here'] })), /LoRA: target_modules \["nothing_here"\] matched no module/);
  assert.throws(() => getLoraModel(tinyVit(), new LoraConfig({ targetModules: ['layernorm'] })), /is a LayerNorm; only Linear and Conv1D/);
});

test('savePretrained writes PEFT keys and config; fromPretrained gives the same predictions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lora-'));
  try {
    const peft = getLoraModel(tinyVit(3), new LoraConfig({ r: 2, loraAlpha: 4, initLoraWeights: false, targetModules: ['query', 'value'], modulesToSave: ['classifier'] }));
    const x = randn([2, 1, 8, 8], { generator: new Generator(9) });
    peft.eval();
    const before = peft.forward(x as never) as Tensor;
    peft.savePretrained(dir);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.is(config.peft_type, 'LORA');
    assert.is(config.r, 2);
    assert.is(config.lora_alpha, 4);
    assert.is(config.inference_mode, true);
    assert.ok(readFileSync(join(dir, 'adapter_config.json'), 'utf8').includes('"lora_dropout": 0.0'));
    const keys = Object.keys(loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors).sort();
    assert.ok(keys.includes(loraKey('vit.encoder.layer.1.attention.attention.value', 'B')));
    assert.ok(keys.includes('base_model.model.classifier.weight'));
    assert.is(keys.length, 4 * 2 + 2);
    const loaded = PeftModel.fromPretrained(tinyVit(3), dir);
    loaded.eval();
    assert.ok(maxAbsDiff(loaded.forward(x as never) as Tensor, before) < 1e-6);
    assert.is(loaded.getNbTrainableParameters()[0], 0, 'loaded for inference: frozen');
    const base = tinyVit(3);
    assert.ok(maxAbsDiff(base.forward(x), before) > 1e-6, 'the adapter matters');
    assert.ok(maxAbsDiff(loaded.disableAdapter(() => loaded.forward(x as never) as Tensor), base.forward(x)) === 0);
    const merged = loaded.mergeAndUnload() as ViTForImageClassification;
    assert.ok(maxAbsDiff(merged.forward(x), before) < 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LoraConfig: defaults, JSON round trip with unknown keys, rank/alpha patterns, errors naming the field', () => {
  const config = new LoraConfig({ targetModules: ['q'] });
  assert.is(config.r, 8);
  assert.is(config.loraAlpha, 8);
  assert.is(config.bias, 'none');
  const json = { ...config.toJSON(), some_future_key: [1, 2] };
  const again = LoraConfig.fromJSON(json);
  assert.equal(again.toJSON(), json);
  assert.is(JSON.parse(again.toJSONString()).some_future_key[1], 2);
  const patterned = new LoraConfig({ r: 4, targetModules: ['query', 'value'], rankPattern: { 'layer\\.1\\..*query': 2 }, alphaPattern: { value: 32 } });
  assert.is(patterned.rankFor('vit.encoder.layer.1.attention.attention.query'), 2);
  assert.is(patterned.rankFor('vit.encoder.layer.0.attention.attention.query'), 4);
  assert.is(patterned.alphaFor('x.value'), 32);
  assert.is(patterned.alphaFor('x.myvalue'), 8);
  assert.throws(() => new LoraConfig({ r: 0 }), /LoraConfig\.r: expected a positive integer, got 0/);
  assert.throws(() => new LoraConfig({ loraDropout: 2 }), /LoraConfig\.loraDropout/);
  assert.throws(() => LoraConfig.fromJSON({ peft_type: 'LORA', bias: 'some' }), /LoraConfig\.bias/);
  assert.throws(() => LoraConfig.fromJSON({ peft_type: 'FROD' }), /peft_type/);
  assert.throws(() => LoraConfig.fromJSON({ peft_type: 'LORA', use_dora: true }), /use_dora/);
  assert.throws(() => new LoraConfig({ targetModules: '(' }), /invalid regular expression/);
});

test('bias "lora_only" trains the biases of adapted layers only; only one adapter may train biases', () => {
  const peft = getLoraModel(tinyVit(), new LoraConfig({ r: 1, targetModules: ['query'], bias: 'lora_only' }));
  const trainable = peft.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
  const biases = trainable.filter((n) => n.endsWith('.bias'));
  assert.equal(biases, [0, 1].map((i) => `base_model.model.vit.encoder.layer.${i}.attention.attention.query.base_layer.bias`));
  const all = getLoraModel(tinyVit(), new LoraConfig({ r: 1, targetModules: ['query'], bias: 'all' }));
  assert.ok(all.namedParameters().filter(([n, p]) => p.requiresGrad && n.endsWith('.bias')).length > 2);
  assert.throws(() => all.addAdapter('second', new LoraConfig({ r: 1, targetModules: ['query'], bias: 'all' })), /only 1 adapter with bias/);
});

test('two adapters: each active one adds its update; disabling gives the base model; deleting removes one', () => {
  const model = tinyVit(5);
  const x = randn([2, 1, 8, 8], { generator: new Generator(1) });
  const base = model.forward(x);
  const peft = getLoraModel(model, new LoraConfig({ r: 2, initLoraWeights: false, targetModules: ['value'] }));
  peft.addAdapter('other', new LoraConfig({ r: 3, initLoraWeights: false, targetModules: ['value'] }));
  const first = peft.forward(x as never) as Tensor;
  peft.setAdapter('other');
  const second = peft.forward(x as never) as Tensor;
  assert.ok(maxAbsDiff(first, second) > 1e-6);
  const trainable = peft.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
  assert.ok(trainable.length > 0 && trainable.every((n) => n.includes('.other.')), trainable.join(', '));
  assert.is(maxAbsDiff(peft.disableAdapter(() => peft.forward(x as never) as Tensor), base), 0);
  peft.deleteAdapter('other');
  assert.equal(peft.activeAdapters, ['default']);
  assert.ok(maxAbsDiff(peft.forward(x as never) as Tensor, first) < 1e-6);
});

test('GPT-2 Conv1D targets force fan_in_fan_out and merge in the (in, out) orientation', () => {
  class Block extends Module {
    declare c_attn: Conv1D;
    constructor() {
      super();
      this.registerModule('c_attn', new Conv1D(6, 4, { dtype: 'float64', generator: new Generator(3) }));
    }
    override forward(x: Tensor): Tensor {
      return this.c_attn.forward(x);
    }
  }
  const { result: peft, warnings } = catchWarnings(() =>
    getLoraModel(new Block(), new LoraConfig({ r: 2, initLoraWeights: false, targetModules: ['c_attn'] })));
  assert.ok(warnings.some((w) => w.includes('Setting fan_in_fan_out to True')));
  assert.is(peft.peftConfig.get('default')!.fanInFanOut, true);
  const x = randn([3, 4], { dtype: 'float64', generator: new Generator(4) });
  const before = peft.forward(x as never) as Tensor;
  const merged = peft.mergeAndUnload() as Block;
  assert.equal(merged.c_attn.weight.shape, [4, 6]);
  assert.ok(maxAbsDiff(merged.forward(x), before) < 1e-10);
});

test.run();
