/**
 * Checkpoints (docs/frod-math.md §10) and the raw-weight API: file layout and dtypes, byte-for-byte determinism,
 * save_projection false regenerating bit for bit, the warning / error cases, shape mismatches, corrupted
 * files, and agreement between the functional API and the Module API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { loadSafetensors } from '../../src/nn/io';
import type { Tensor } from '../../src/tensor';
import { FrodConfig } from '../../src/frod/config';
import { adapterFiles, readAdapterBytes, readAdapterDir, writeAdapterDir } from '../../src/frod/checkpoint';
import { initAdapterFromWeights, inspectAdapter, mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { lambdaKey, projectionKey, sIndicesKey, sSizeKey } from '../../src/frod/keys';
import { getPeftModel } from '../../src/frod/model';
import { Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { GOLDEN, TinyModel, goldenCases, sameBits } from './helpers';

const TARGETS = ['q_proj', 'v_proj', 'up_proj', 'down_proj'];
const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: TARGETS, sparseRate: 0.25, progressbar: false, ...extra });

/** The state dict of a toy model (plain tensors, as a safetensors file would give them). */
function stateDictOf(d: number, layers: number, seed: number, dtype: 'float32' | 'float64' = 'float32'): Record<string, Tensor> {
  return new TinyModel(d, layers, dtype, seed).stateDict();
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'frod-ckpt-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

const shapes = fc.record({ d: fc.integer({ min: 2, max: 6 }), layers: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1e6 }) });

test('adapter files: keys without adapter names, index tensors as I64, config as PEFT writes it', () => {
  withTempDir((dir) => {
    const config = cfg();
    const tensors = initAdapterFromWeights(weightsFromStateDict(stateDictOf(4, 2, 1), config), config);
    writeAdapterDir(dir, config, tensors);
    const raw = loadSafetensors(join(dir, 'adapter_model.safetensors'));
    assert.equal(raw.metadata, { format: 'pt' });
    assert.is(raw.dtypes[sIndicesKey('self_attn_q_proj')], 'I64');
    assert.is(raw.dtypes[sSizeKey('self_attn_q_proj')], 'I64');
    assert.is(raw.dtypes[projectionKey('self_attn_q_proj')], 'F32');
    assert.equal(Array.from(raw.tensors[sSizeKey('mlp_down_proj')].data()), [8, 8]);
    assert.is(readFileSync(join(dir, 'adapter_config.json'), 'utf8'), config.toJSONString());
    const back = readAdapterDir(dir);
    assert.equal(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
    for (const [key, value] of Object.entries(tensors)) assert.ok(sameBits(back.tensors[key], value), key);
  });
});

test('byte-for-byte determinism: the same weights and config give identical files', () => {
  fc.assert(fc.property(shapes, fc.boolean(), ({ d, layers, seed }, initWeights) => {
    const config = cfg({ initWeights });
    const make = () => adapterFiles(config, initAdapterFromWeights(weightsFromStateDict(stateDictOf(d, layers, seed), config), config));
    const a = make(), b = make();
    assert.is(a.configJson, b.configJson);
    assert.ok(Buffer.from(a.safetensors).equals(Buffer.from(b.safetensors)));
  }), { numRuns: 8 });
});

test('the functional API and the Module API write the same adapter, bit for bit', () => {
  fc.assert(fc.property(shapes, ({ d, layers, seed }) => {
    const config = cfg({ initWeights: false });
    const functional = initAdapterFromWeights(weightsFromStateDict(stateDictOf(d, layers, seed), config), config);
    const peft = getPeftModel(new TinyModel(d, layers, 'float32', seed), config);
    const fromModel = readAdapterBytes(...Object.values(peft.adapterFiles('default')) as [string, Uint8Array]).tensors;
    assert.equal(Object.keys(fromModel).sort(), Object.keys(functional).sort());
    for (const [key, value] of Object.entries(functional)) assert.ok(sameBits(fromModel[key].to(value.dtype), value), key);
  }), { numRuns: 6 });
});

test('save_projection false: no per-category tensors, regenerated bit for bit at merge and at load', () => {
  fc.assert(fc.property(shapes, ({ d, layers, seed }) => {
    const withProj = cfg({ initWeights: false });
    const without = withProj.with({ saveProjection: false });
    const weights = weightsFromStateDict(stateDictOf(d, layers, seed), withProj);
    const full = initAdapterFromWeights(weights, withProj);
    const lean = readAdapterBytes(...Object.values(adapterFiles(without, full)) as [string, Uint8Array]).tensors;
    assert.not.ok(Object.keys(lean).some((k) => k.startsWith('base_model.frod_')), 'projections left out');
    const a = mergeWeightsWithAdapter(weights, full, withProj);
    const b = mergeWeightsWithAdapter(weights, lean, without);
    for (const [key, value] of a) assert.ok(sameBits(b.get(key) as Tensor, value), key);
  }), { numRuns: 6 });
});

test('config false but projections saved: a warning, and the saved ones are used', () => {
  const [c] = goldenCases().filter((g) => g.name === 'stack');
  const { config, tensors } = readAdapterDir(join(GOLDEN, 'stack', 'adapter'));
  const weights = weightsFromStateDict(c.base, config);
  const warnings: string[] = [];
  const merged = mergeWeightsWithAdapter(weights, tensors, config.with({ saveProjection: false }), { warn: (m) => warnings.push(m) });
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /save_projection: false but adapter_model\.safetensors contains projections; using the saved ones/);
  const expected = mergeWeightsWithAdapter(weights, tensors, config);
  for (const [key, value] of expected) assert.ok(sameBits(merged.get(key) as Tensor, value), key);
});

test('config true but projections missing: an error that explains both ways out', () => {
  const config = cfg();
  const weights = weightsFromStateDict(stateDictOf(3, 1, 2), config);
  const tensors = initAdapterFromWeights(weights, config);
  delete tensors[projectionKey('mlp_up_proj')];
  assert.throws(() => mergeWeightsWithAdapter(weights, tensors, config),
    /no 'base_model\.frod_V\.mlp_up_proj' for category 'mlp_up_proj' but adapter_config\.json says save_projection: true; either save the adapter again with its projections.*or set "save_projection": false/);
});

test('an adapter made for other shapes: the error names the module and both shapes', () => {
  const config = cfg();
  const small = initAdapterFromWeights(weightsFromStateDict(stateDictOf(3, 1, 3), config), config);
  const big = weightsFromStateDict(stateDictOf(4, 1, 3), config);
  assert.throws(() => mergeWeightsWithAdapter(big, small, config),
    /saved V of category 'mlp_down_proj' has shape \(6,6\) but module 'model\.layers\.0\.mlp\.down_proj' has a weight of shape \(4,8\)/);
  const lean = cfg({ saveProjection: false });
  const noV = readAdapterBytes(...Object.values(adapterFiles(lean, small)) as [string, Uint8Array]).tensors;
  assert.throws(() => mergeWeightsWithAdapter(big, noV, lean), /frod_lambda_l' has shape \(6\) but module 'model\.layers\.0\.mlp\.down_proj' has in_features 8/);
});

/** `head.dense` sits inside a module that modules_to_save names; `body.dense` does not. */
class HeadModel extends Module {
  constructor() {
    super();
    const body = new Module();
    body.registerModule('dense', new Linear(4, 4, { dtype: 'float64' }));
    const head = new Module();
    head.registerModule('dense', new Linear(4, 2, { dtype: 'float64' }));
    this.registerModule('body', body);
    this.registerModule('head', head);
  }
}

test('weightsFromStateDict leaves out targets inside a modules_to_save module, as the Module API does', () => {
  const config = cfg({ targetModules: ['dense'], modulesToSave: ['head'] });
  const model = new HeadModel();
  const functional = [...weightsFromStateDict(model.stateDict(), config).keys()];
  const peft = getPeftModel(new HeadModel(), config);
  assert.equal(functional, peft.baseModel.tunerLayers().map(([path]) => path));
  assert.equal(functional, ['body.dense']);
});

test('missing pieces: a module the base lacks, λ without S values, unknown keys', () => {
  const config = cfg();
  const sd = stateDictOf(3, 2, 4);
  const tensors = initAdapterFromWeights(weightsFromStateDict(sd, config), config);
  const fewer = weightsFromStateDict(stateDictOf(3, 1, 4), config);
  assert.throws(() => mergeWeightsWithAdapter(fewer, tensors, config), /adapts module 'model\.layers\.1\.mlp\.down_proj' but the base model has no 2-D weight/);
  const broken = { ...tensors };
  delete broken['base_model.model.model.layers.0.mlp.up_proj.frod_lambda_s_values'];
  assert.throws(() => mergeWeightsWithAdapter(weightsFromStateDict(sd, config), broken, config), /has 'base_model\.model\.model\.layers\.0\.mlp\.up_proj\.frod_lambda_l' but no/);
  const named = { ...tensors, 'base_model.model.model.layers.0.mlp.up_proj.frod_lambda_l.default': tensors[lambdaKey('model.layers.0.mlp.up_proj')] };
  assert.throws(() => mergeWeightsWithAdapter(weightsFromStateDict(sd, config), named, config), /adapter tensor/);
});

test('readAdapterDir: corrupted safetensors and invalid configs fail with one clear line', () => {
  withTempDir((dir) => {
    const config = cfg();
    writeAdapterDir(dir, config, initAdapterFromWeights(weightsFromStateDict(stateDictOf(3, 1, 5), config), config));
    const file = join(dir, 'adapter_model.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    assert.throws(() => readAdapterDir(dir), (err: Error) => err.message.includes('adapter_model.safetensors') && !err.message.includes('\n'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config.toJSON(), sparse_rate: 2 }));
    assert.throws(() => readAdapterDir(dir), /adapter_config\.json: FrodConfig\.sparse_rate: expected a number in \[0, 1\], got 2/);
    writeFileSync(join(dir, 'adapter_config.json'), '{ not json');
    assert.throws(() => readAdapterDir(dir), /adapter_config\.json: not valid JSON/);
  });
});

test('inspectAdapter: categories, in, nnz and trainable counts; modules_to_save and biases from the state dict', () => {
  const config = cfg({ modulesToSave: ['classifier'], bias: 'frod_only' });
  const sd = stateDictOf(4, 2, 6);
  const tensors = initAdapterFromWeights(weightsFromStateDict(sd, config), config, { stateDict: sd });
  assert.ok(Object.hasOwn(tensors, 'base_model.model.classifier.weight'));
  assert.ok(Object.hasOwn(tensors, 'base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias'));
  assert.not.ok(Object.hasOwn(tensors, 'base_model.model.model.layers.0.self_attn.q_proj.weight'));
  const summary = inspectAdapter(tensors);
  assert.equal(summary.categories.map((c) => [c.name, c.inFeatures, c.nnz, c.modules.length, c.hasProjection]), [
    ['mlp_down_proj', 8, 16, 2, true], ['mlp_up_proj', 4, 4, 2, true], ['self_attn_q_proj', 4, 4, 2, true], ['self_attn_v_proj', 4, 4, 2, true],
  ]);
  assert.is(summary.trainableParameters, 2 * (24 + 8 + 8 + 8));
  assert.ok(summary.otherTensors.includes('base_model.model.classifier.bias'));
});

test('weightsFromStateDict: Conv1D orientation from fan_in_fan_out; non-2-D targets and no matches are errors', () => {
  const c = goldenCases().find((g) => g.name === 'gpt2');
  if (!c) throw new Error('gpt2 golden case missing');
  const config = new FrodConfig({ targetModules: ['c_attn'], fanInFanOut: true });
  const weights = weightsFromStateDict(c.base, config);
  assert.ok([...weights.values()].every((w) => w.fanInFanOut));
  assert.throws(() => weightsFromStateDict(c.base, new FrodConfig({ targetModules: ['nope'] })), /matched no module among/);
  const bad = { 'a.weight': c.base['transformer.h.0.attn.c_attn.bias'] };
  assert.throws(() => weightsFromStateDict(bad, new FrodConfig({ targetModules: ['a'] })), /module 'a' has a weight of shape \(48\); only 2-D/);
});

test.run();
