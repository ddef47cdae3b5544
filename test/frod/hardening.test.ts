/**
 * The library under hostile and unlucky input (issue 11): safe merges judged on what is stored, weights FRoD
 * cannot decompose, contradicting adapter files, and adapter names that cannot be saved.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { FrodConfig } from '../../src/frod/config';
import { initAdapterFromWeights, mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import type { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Linear } from '../../src/nn/layers/linear';
import { type Tensor, tensor } from '../../src/tensor';
import { TinyModel } from './helpers';

const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: ['q_proj', 'v_proj'], sparseRate: 0.2, progressbar: false, ...extra });

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'frod-hard-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function throwsMatching(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    assert.not.ok((err as Error).message.includes('\n'), 'one line');
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

// ---- item 2: a safe merge judges the weight as it is stored -------------------------------------------

test('FrodLinear.merge({safeMerge}) refuses a float32 weight that is finite in float64 but rounds to infinity', () => {
  const model = new TinyModel(4, 1, 'float32', 3);
  const q = model.getSubmodule('model.layers.0.self_attn.q_proj') as Linear;
  noGrad(() => q.weight.copy_(tensor(Float32Array.from({ length: 16 }, (_, i) => 40 * Math.sin(i + 1)), { shape: [4, 4] }))); // V carries this scale
  const peft = getPeftModel(model, cfg());
  const layer = peft.model.getSubmodule('model.layers.0.self_attn.q_proj') as FrodLinear;
  const lambda = layer.frodLambdaL.get('default');
  noGrad(() => lambda.copy_(tensor(new Float32Array(lambda.numel()).fill(3.4e38))));
  const before = Float32Array.from((layer.baseLayer.weight as Tensor).data());
  assert.ok(Array.from(layer.frodLambdaL.get('default').data()).every(Number.isFinite), 'λ itself is finite');
  throwsMatching(() => peft.mergeAdapter(['default'], { safeMerge: true }), /safe merge of adapter 'default' into module 'model\.layers\.0\.self_attn\.q_proj' gives NaN or infinite weights/);
  assert.equal(Float32Array.from((layer.baseLayer.weight as Tensor).data()), before, 'nothing was merged');
  peft.mergeAdapter(['default']);
  assert.not.ok(Array.from((layer.baseLayer.weight as Tensor).data()).every(Number.isFinite), 'an unsafe merge overflows');
});

test('mergeWeightsWithAdapter({safe}) judges merged weights after rounding and checks the plain tensors it carries', () => {
  const state: Record<string, Tensor> = {
    'enc.q_proj.weight': tensor(Float32Array.from({ length: 24 }, (_, i) => 40 * Math.sin(i)), { shape: [6, 4] }),
    'head.weight': tensor(new Float32Array(8).fill(1), { shape: [2, 4] }),
  };
  const config = cfg({ modulesToSave: ['head'] });
  const weights = weightsFromStateDict(state, config);
  const adapter = initAdapterFromWeights(weights, config, { stateDict: state });
  const lambda = adapter['base_model.model.enc.q_proj.frod_lambda_l'];
  const big = { ...adapter, 'base_model.model.enc.q_proj.frod_lambda_l': tensor(new Float32Array(lambda.numel()).fill(3.4e38)) };
  throwsMatching(() => mergeWeightsWithAdapter(weights, big, config, { safe: true }), /module 'enc\.q_proj' gives NaN or infinite weights/);
  const inf = { ...adapter, 'base_model.model.head.weight': tensor(Float32Array.of(1, 1, 1, Infinity, 1, 1, 1, 1), { shape: [2, 4] }) };
  throwsMatching(() => mergeWeightsWithAdapter(weights, inf, config, { safe: true }), /its tensor 'base_model\.model\.head\.weight' \(a modules_to_save copy or trained bias\) holds NaN or infinite values/);
  assert.is(mergeWeightsWithAdapter(weights, inf, config).size, 2, 'without safe it merges');
});

// ---- item 9: weights FRoD cannot decompose ------------------------------------------------------------------

test('getPeftModel refuses finite weights near the float32 maximum, naming the module, and leaves the model as it was', () => {
  const model = new TinyModel(4, 1, 'float32', 4);
  const q = model.getSubmodule('model.layers.0.self_attn.q_proj') as Linear;
  noGrad(() => q.weight.copy_(tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? 2e38 : -1.5e38)), { shape: [4, 4] })));
  const baseOut = noGrad(() => q.forward(tensor(new Float32Array(4).fill(1e-3), { shape: [1, 4] })).data());
  assert.ok(Array.from(baseOut).every(Number.isFinite), 'the base layer itself is finite');
  throwsMatching(() => getPeftModel(model, cfg()), /FRoD: module 'model\.layers\.0\.self_attn\.q_proj': the weight holds -1\.50e\+38 .*needs \|w\| ≤ 1\.84e\+19 for float32 weights/);
  assert.instance(model.getSubmodule('model.layers.0.self_attn.q_proj'), Linear, 'no adapter layer was injected');
});

test('a non-finite weight is refused naming the module and the position', () => {
  const model = new TinyModel(3, 1, 'float64', 5);
  const v = model.getSubmodule('model.layers.0.self_attn.v_proj') as Linear;
  noGrad(() => { v.weight.data()[4] = NaN; });
  throwsMatching(() => getPeftModel(model, cfg()), /module 'model\.layers\.0\.self_attn\.v_proj': the weight holds NaN \(row 1, column 1 of its \(out, in\) weight\)/);
});

// ---- item 10: contradicting adapter files ----------------------------------------------------------------------

test('mergeWeightsWithAdapter refuses an adapter with both the FRoD tensors of a module and its plain weight', () => {
  const state = { 'enc.q_proj.weight': tensor(Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), { shape: [4, 4] }) };
  const weights = weightsFromStateDict(state, cfg());
  const adapter = initAdapterFromWeights(weights, cfg());
  for (const key of ['base_model.model.enc.q_proj.weight', 'base_model.model.enc.q_proj.base_layer.weight']) {
    const both = { ...adapter, [key]: tensor(new Float32Array(16).fill(7), { shape: [4, 4] }) };
    throwsMatching(() => mergeWeightsWithAdapter(weights, both, cfg()), /holds both the FRoD tensors of module 'enc\.q_proj' and a plain 'base_model\.model\.enc\.q_proj\.(base_layer\.)?weight'/);
  }
});

// ---- item 11: names checked up front, all adapters or none --------------------------------------------------------

test('an adapter name with a NUL byte is refused before anything is created or written', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 6), cfg());
  throwsMatching(() => peft.addAdapter('bad\u0000name', cfg()), /adapter name must be a non-empty string without .*control characters, got "bad\\u0000name"/);
  withTemp((dir) => {
    const out = join(dir, 'out');
    throwsMatching(() => peft.savePretrained(out, { adapterNames: ['default', 'bad\u0000name'] }), /adapter name must be/);
    assert.not.ok(existsSync(out), 'not even the valid adapter was written');
  });
});

test('savePretrained writes every adapter or none', () => {
  const peft = getPeftModel(new TinyModel(3, 1, 'float64', 7), cfg());
  peft.addAdapter('second', cfg({ sparseRate: 0.5 }));
  withTemp((dir) => {
    writeFileSync(join(dir, 'second'), 'a file where the second adapter goes');
    throwsMatching(() => peft.savePretrained(dir), /cannot write the adapter files \(.*second: exists and is not a directory\); the directory holds what it held before/);
    assert.equal(readdirSync(dir), ['second'], 'the default adapter was not written either');
    rmSync(join(dir, 'second'));
    peft.savePretrained(dir);
    assert.equal(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'second']);
    assert.equal(readdirSync(join(dir, 'second')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  });
});

test.run();
