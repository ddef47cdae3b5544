/**
 * PEFT's tests/testing_common.py (PeftCommonTester) for frod-ts: each `_test_*` method as a function of a
 * {@link Subject} — a model factory standing in for one of PEFT's hub test models, its FRoD row and its inputs —
 * and {@link registerCommonTests} to register them under PEFT's test names (not a test file itself).
 * decoderModels, featureExtractionModels and seqClassifierModels (.test.ts) use it, as PEFT's test_decoder_models.py,
 * test_feature_extraction_models.py and test_seq_classifier.py use PeftCommonTester.
 *
 * A model is built again from the same seed where PEFT reloads it from the hub or deep-copies it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import type { FrodConfigOptions } from '../../src/frod/config';
import { getPeftModel } from '../../src/frod/model';
import type { Module } from '../../src/nn/module';
import { PeftModel } from '../../src/peft/peftModel';
import { isTunerLayer } from '../../src/peft/tunerLayer';
import { catchWarnings } from '../../src/peft/warnings';
import { type Tensor, tensor } from '../../src/tensor';
import { assertAllclose, assertNotAllclose, frodConfig, initWeightsFalse, withTempDir } from './models';

/** A model of PEFT's test matrix with the FRoD row it runs. */
export interface Subject {
  /** The hub model it stands for, e.g. "tiny-random-GPT2LMHeadModel". */
  readonly id: string;
  /** A fresh model (always the same weights). */
  readonly make: () => Module;
  /** The FRoD row of the test file, e.g. { taskType: 'CAUSAL_LM', targetModules: null, sparseRate: 0.01 }. */
  readonly options: FrodConfigOptions;
  /** The model's output on PEFT's test inputs (recording gradients). */
  readonly output: (model: Module) => Tensor;
  /** Path of the input embeddings (PEFT's `get_input_embeddings()`). */
  readonly embeddings: string;
}


/** getPeftModel, with the warnings PEFT gives too (fan_in_fan_out forced for Conv1D) kept off the console. */
function peftOf(s: Subject, options: FrodConfigOptions = s.options, name = 'default', model = s.make()): PeftModel {
  return catchWarnings(() => getPeftModel(model, frodConfig(options), name)).result;
}

const outputNoGrad = (s: Subject, model: Module) => noGrad(() => s.output(model));
const isAdapterParameter = (peft: PeftModel, name: string) => name.includes(peft.baseModel.prefix) || name.includes('modules_to_save');

function assertSameStateDict(a: Module, b: Module): void {
  const [x, y] = [a.stateDict(), b.stateDict()];
  assert.equal(Object.keys(y).sort(), Object.keys(x).sort(), 'the same keys');
  for (const key of Object.keys(x)) assertAllclose(y[key], x[key], key);
}

/** _test_adapter_name: a parameter name carries the adapter name. */
export function adapterName(s: Subject): void {
  assert.ok(peftOf(s, s.options, 'test-adapter').namedParameters().some(([name]) => name.includes('test-adapter')));
}

/** _test_prepare_for_training (first half): the frozen input embeddings give outputs without gradients. */
export function prepareForTraining(s: Subject): void {
  const embeddings = peftOf(s).model.getSubmodule(s.embeddings);
  const out = (embeddings.forward as (ids: Tensor) => Tensor).call(embeddings, tensor([1, 1, 1, 1, 2, 1], { shape: [2, 3], dtype: 'int32' }));
  assert.not.ok(out.requiresGrad);
}

/** _test_save_pretrained: reload without warnings, the same state dict, only the adapter files. */
export function savePretrained(s: Subject): void {
  withTempDir((dir) => {
    const peft = peftOf(s, initWeightsFalse(s.options));
    peft.savePretrained(dir);
    const { result: loaded, warnings } = catchWarnings(() => PeftModel.fromPretrained(s.make(), dir));
    assert.equal(warnings, []);
    assertSameStateDict(peft, loaded);
    assert.equal(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  });
}

/** _test_save_pretrained_selected_adapters: both adapters reload; saving only "default" writes only it. */
export function savePretrainedSelectedAdapters(s: Subject): void {
  withTempDir((dir) => {
    const peft = peftOf(s, initWeightsFalse(s.options));
    peft.addAdapter('new_adapter', frodConfig(initWeightsFalse(s.options)));
    peft.savePretrained(dir);
    const loaded = PeftModel.fromPretrained(s.make(), dir);
    loaded.loadAdapter(join(dir, 'new_adapter'), 'new_adapter');
    assertSameStateDict(peft, loaded);
    assert.equal(readdirSync(join(dir, 'new_adapter')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  });
  withTempDir((dir) => {
    const peft = peftOf(s, initWeightsFalse(s.options));
    peft.addAdapter('new_adapter', frodConfig(initWeightsFalse(s.options)));
    peft.savePretrained(dir, { adapterNames: ['default'] });
    assert.equal([...PeftModel.fromPretrained(s.make(), dir).peftConfig.keys()], ['default']);
  });
}

/** _test_merge_layers: merged, unmerged and unloaded outputs agree (1e-4); no tuner layer is left. */
export function mergeLayers(s: Subject): void {
  const peft = peftOf(s, initWeightsFalse(s.options)).eval();
  const logits = outputNoGrad(s, peft);
  peft.mergeAdapter();
  const merged = outputNoGrad(s, peft);
  peft.unmergeAdapter();
  const unmerged = outputNoGrad(s, peft);
  const model = peft.mergeAndUnload();
  assert.not.ok(model.modules().some(isTunerLayer), 'no tuner layer after merge_and_unload');
  assertAllclose(merged, logits, 'merged', 1e-4, 1e-4);
  assertAllclose(unmerged, logits, 'unmerged', 1e-4, 1e-4);
  assertAllclose(outputNoGrad(s, model), logits, 'merged and unloaded', 1e-4, 1e-4);
  assertNotAllclose(merged, outputNoGrad(s, s.make().eval()), 'merged vs the base model', 1e-10, 1e-10);
  const again = s.make().eval();
  again.loadStateDict(model.stateDict());
  assertAllclose(outputNoGrad(s, again), merged, 'the merged model saved and loaded', 1e-4, 1e-4);
}

/** _test_merge_layers_multi: two adapters; merging both, or each alone, as their outputs say. */
export function mergeLayersMulti(s: Subject): void {
  const options = initWeightsFalse(s.options);
  const build = () => {
    const peft = peftOf(s, options).eval();
    peft.addAdapter('adapter-2', frodConfig(options));
    return peft;
  };
  const peft = build();
  const logits1 = outputNoGrad(s, peft);
  peft.setAdapter('adapter-2');
  for (const layer of peft.baseModel.tunerLayers().map(([, l]) => l)) {
    assert.equal((layer as unknown as { adapterNames(): string[] }).adapterNames(), ['default', 'adapter-2']);
  }
  const logits2 = outputNoGrad(s, peft);
  assertNotAllclose(logits1, logits2, 'adapter 1 vs adapter-2', 1e-3, 1e-3);
  peft.setAdapter('default');
  assertAllclose(outputNoGrad(s, peft), logits1, 'default again', 1e-3, 1e-3);
  const mergedAll = outputNoGrad(s, build().mergeAndUnload({ adapterNames: ['adapter-2', 'default'] }));
  assertNotAllclose(mergedAll, logits2, 'both merged vs adapter-2', 1e-3, 1e-3);
  assertNotAllclose(mergedAll, logits1, 'both merged vs default', 1e-3, 1e-3);
  assertAllclose(outputNoGrad(s, build().mergeAndUnload({ adapterNames: ['adapter-2'] })), logits2, 'adapter-2 merged', 1e-3, 1e-3);
  assertAllclose(outputNoGrad(s, build().mergeAndUnload({ adapterNames: ['default'] })), logits1, 'default merged', 1e-3, 1e-3);
}

/** _test_merge_layers_nan: merging keeps the logits; a NaN in the adapter makes a safe merge refuse, naming it. */
export function mergeLayersNan(s: Subject): void {
  const peft = peftOf(s, initWeightsFalse(s.options)).eval();
  const logits = outputNoGrad(s, peft);
  assertAllclose(outputNoGrad(s, peft.mergeAndUnload()), logits, 'merged', 1e-3, 1e-3);
  const broken = peftOf(s, initWeightsFalse(s.options));
  for (const [name, p] of broken.namedParameters()) {
    if (!name.includes(broken.baseModel.prefix)) continue;
    const values = Array.from(p.data(), Number);
    values[0] = Number.NaN;
    noGrad(() => p.copy_(tensor(values, { shape: p.shape, dtype: p.dtype })));
  }
  assert.throws(() => broken.mergeAndUnload({ safeMerge: true }), /adapter 'default'.*seems to be broken/);
}

/** _test_training: after backward, exactly the trainable adapter parameters have gradients. */
export function training(s: Subject): void {
  const peft = peftOf(s);
  s.output(peft).select(0, 0).sum().backward();
  for (const [name, p] of peft.namedParameters()) {
    const expected = isAdapterParameter(peft, name) && p.requiresGrad;
    assert.is(p.grad !== null, expected, `${name}: ${expected ? 'has' : 'has no'} gradient`);
  }
}

/** _test_training_layer_indexing: layers_to_transform [0] trains fewer parameters; its adapter reloads. */
export function trainingLayerIndexing(s: Subject): void {
  const peft = peftOf(s, { ...s.options, layersToTransform: [0] });
  s.output(peft).select(0, 0).sum().backward();
  let trainable = 0;
  for (const [name, p] of peft.namedParameters()) {
    const adapter = name.includes(peft.baseModel.prefix);
    assert.is(p.grad !== null, adapter, `${name}: ${adapter ? 'has' : 'has no'} gradient`);
    if (adapter) trainable += 1;
  }
  withTempDir((dir) => {
    peft.eval();
    const logits = outputNoGrad(s, peft);
    peft.savePretrained(dir);
    assertAllclose(outputNoGrad(s, PeftModel.fromPretrained(s.make(), dir)), logits, 'reloaded', 1e-4, 1e-4);
  });
  const all = peftOf(s).namedParameters().filter(([name]) => name.includes(peft.baseModel.prefix)).length;
  assert.ok(trainable < all, `layer 0 only: ${trainable} adapter parameters, all layers: ${all}`);
}

/** _test_inference_safetensors: after a training step's backward, the saved adapter predicts the same. */
export function inferenceSafetensors(s: Subject): void {
  withTempDir((dir) => {
    const peft = peftOf(s);
    s.output(peft).sum().backward();
    peft.eval();
    const logits = outputNoGrad(s, peft);
    peft.savePretrained(dir);
    assert.ok(readdirSync(dir).includes('adapter_model.safetensors') && !readdirSync(dir).includes('adapter_model.bin'));
    assertAllclose(outputNoGrad(s, PeftModel.fromPretrained(s.make(), dir)), logits, 'reloaded', 1e-4, 1e-4);
  });
}

/** _test_delete_adapter (inactive: _test_delete_inactive_adapter): the adapter goes from every layer. */
export function deleteAdapter(s: Subject, activate: boolean): void {
  const peft = peftOf(s);
  peft.addAdapter('delete_me', frodConfig(s.options));
  if (activate) peft.setAdapter('delete_me');
  catchWarnings(() => peft.deleteAdapter('delete_me'));
  assert.not.ok(peft.peftConfig.has('delete_me'));
  assert.equal(peft.activeAdapters, ['default']);
  const held = () => peft.baseModel.tunerLayers().flatMap(([, l]) => (l as unknown as { adapterNames(): string[] }).adapterNames());
  assert.not.ok(held().includes('delete_me'));
  peft.deleteAdapter('default');
  assert.equal([peft.peftConfig.size, peft.activeAdapters, held()], [0, [], []]);
  assert.ok(outputNoGrad(s, peft.baseModel.model).data().every(Number.isFinite), 'the base model still runs');
}

/** _test_adding_multiple_adapters_with_bias_raises: a second adapter that trains biases is refused, leaving no trace. */
export function addingMultipleAdaptersWithBiasRaises(s: Subject): void {
  const peft = peftOf(s, { ...s.options, bias: 'all' }, 'adapter0');
  assert.throws(() => peft.addAdapter('adapter1', frodConfig({ ...s.options, bias: 'all' })), /supports only 1 adapter with bias/);
  assert.not.ok(peft.peftConfig.has('adapter1'));
}

/** _test_unload_adapter: unload gives the base model back: its outputs and its state-dict keys. */
export function unloadAdapter(s: Subject): void {
  const base = s.make().eval();
  const keys = Object.keys(base.stateDict()).length;
  const logitsBase = outputNoGrad(s, base);
  const peft = peftOf(s, initWeightsFalse(s.options), 'default', base);
  const withAdapter = outputNoGrad(s, peft);
  peft.eval();
  const model = peft.unload();
  assert.not.ok(model.modules().some(isTunerLayer), 'no tuner layer after unload');
  const logitsUnloaded = outputNoGrad(s, model);
  assertNotAllclose(withAdapter, logitsUnloaded, 'adapter vs unloaded', 1e-10, 1e-10);
  assertAllclose(logitsUnloaded, logitsBase, 'unloaded vs base', 1e-4, 1e-4);
  assert.is(Object.keys(model.stateDict()).length, keys);
}

/** _test_disable_adapter: inside disable_adapter the base outputs; after it the adapter's again. */
export function disableAdapter(s: Subject): void {
  const model = s.make().eval();
  const before = outputNoGrad(s, model);
  const peft = peftOf(s, initWeightsFalse(s.options), 'default', model);
  const withAdapter = outputNoGrad(s, peft);
  assertNotAllclose(before, withAdapter, 'the adapter changes the outputs');
  assertAllclose(peft.disableAdapter(() => outputNoGrad(s, peft)), before, 'disabled', 1e-6, 1e-6);
  assertAllclose(outputNoGrad(s, peft), withAdapter, 'after the context', 1e-6, 1e-6);
}

/** PEFT's test method name → what it checks and the function replaying it. */
export const COMMON_TESTS: readonly (readonly [string, string, (s: Subject) => void])[] = [
  ['test_adapter_name', 'parameter names carry the adapter name', adapterName],
  ['test_prepare_for_training', 'the frozen input embeddings give outputs without gradients', prepareForTraining],
  ['test_save_pretrained', 'reloads to the same state dict; only the adapter files', savePretrained],
  ['test_save_pretrained_selected_adapters', 'two adapters reload; selecting "default" saves only it', savePretrainedSelectedAdapters],
  ['test_merge_layers', 'merged, unmerged and unloaded outputs agree', mergeLayers],
  ['test_merge_layers_multi', 'two adapters merged together or alone', mergeLayersMulti],
  ['test_merge_layers_nan', 'a NaN in the adapter makes a safe merge refuse', mergeLayersNan],
  ['test_training', 'only trainable adapter parameters get gradients', training],
  ['test_training_layer_indexing', 'layers_to_transform [0] trains fewer parameters', trainingLayerIndexing],
  ['test_inference_safetensors', 'the saved adapter predicts the same', inferenceSafetensors],
  ['test_delete_adapter', 'the deleted active adapter is gone everywhere', (s) => deleteAdapter(s, true)],
  ['test_delete_inactive_adapter', 'the deleted inactive adapter is gone everywhere', (s) => deleteAdapter(s, false)],
  ['test_adding_multiple_adapters_with_bias_raises', 'a second adapter with bias is refused', addingMultipleAdaptersWithBiasRaises],
  ['test_unload_adapter', 'unload gives the base model back', unloadAdapter],
  ['test_disable_adapter', 'disabled: the base outputs; afterwards the adapter\'s', disableAdapter],
];

/**
 * Registers the tests a PEFT test file runs for `subject`: `names` maps each name in that file to the entry of
 * {@link COMMON_TESTS} it calls (e.g. test_training_decoders → test_training); each test is named
 * `<file>::<class>::<name>[<model id>-FrodConfig]`.
 */
export function registerCommonTests(file: string, cls: string, subject: Subject, names: Readonly<Record<string, string>>): void {
  for (const [name, common] of Object.entries(names)) {
    const entry = COMMON_TESTS.find(([n]) => n === common);
    if (!entry) throw new Error(`registerCommonTests: no common test ${common}`);
    // PEFT warns too where a test adds an adapter with fan_in_fan_out false to Conv1D layers; keep that off the console.
    test(`${file}::${cls}::${name}[${subject.id}-FrodConfig] — ${entry[1]}`, () => { catchWarnings(() => entry[2](subject)); });
  }
}
