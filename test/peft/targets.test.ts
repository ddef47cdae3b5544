/**
 * Target selection as PEFT's tests/test_tuners_utils.py checks it. PEFT runs these with LoraConfig (or IA³) and
 * says the logic is common to every tuner; here they run with FrodConfig through src/peft/targets.ts:
 * REGEX_TEST_CASES of test_regex_matching_valid (check_target_module_exists ↔ matchesTarget), "all-linear"
 * (_maybe_include_all_linear_layers) on GPT-2 and a SEQ_CLS BERT, and TestTargetedModuleNames.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import type { Module } from '../../src/nn/module';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import type { PeftModel } from '../../src/peft/peftModel';
import { matchesTarget } from '../../src/peft/targets';
import { catchWarnings } from '../../src/peft/warnings';
import { MLP, frodConfig, tinyBert, tinyGpt2 } from './models';

type Row = [string, string | string[], number[] | null, string | string[] | null, boolean];
/** test_tuners_utils.py's REGEX_TEST_CASES: key, target_modules, layers_to_transform, layers_pattern, expected. */
const REGEX_TEST_CASES: Row[] = [
  ['', [], null, null, false], ['', ['foo'], null, null, false], ['foo', [], null, null, false],
  ['foo', ['foo'], null, null, true], ['foo', ['bar'], null, null, false], ['foo', ['foo', 'bar'], null, null, true],
  ['foo', 'foo', null, null, true], ['foo', '.*oo', null, null, true], ['foo', 'fo.*', null, null, true],
  ['foo', '.*bar.*', null, null, false], ['foobar', '.*oba.*', null, null, true],
  ['foo.bar.1.baz', ['baz'], [1], ['bar'], true], ['foo.bar.1.baz', ['baz'], [0], ['bar'], false],
  ['foo.bar.1.baz', ['baz'], [2], ['bar'], false], ['foo.bar.10.baz', ['baz'], [0], ['bar'], false],
  ['foo.bar.10.baz', ['baz'], [1], ['bar'], false], ['foo.bar.1.baz', ['baz'], [0, 1, 2], ['bar'], true],
  ['foo.bar.1.baz', ['baz', 'spam'], [1], ['bar'], true], ['foo.bar.1.baz', ['baz', 'spam'], [0, 1, 2], ['bar'], true],
  ['foo.whatever.1.baz', ['baz'], [1], [], true], ['foo.whatever.1.baz', ['baz'], [0], [], false],
  ['foo.whatever.1.baz', ['baz'], [1], '', true], ['foo.whatever.1.baz', ['baz'], [0], '', false],
  ['foo.whatever.1.baz', ['baz'], [1], null, true], ['foo.whatever.1.baz', ['baz'], [0], null, false],
  ['transformer.h.1.attn.attention.q_proj.foo', ['q_proj'], null, [], false],
  ['transformer.h.1.attn.attention.q_proj', [], null, [], false],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj'], null, [], true],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj', 'v_proj'], null, [], true],
  ['transformer.h.1.attn.attention.resid_dropout', ['q_proj', 'v_proj'], null, [], false],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj'], [1], ['h'], true],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj'], [0], ['h'], false],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj'], [2], ['h'], false],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj'], [0, 1, 2], ['h'], true],
  ['transformer.h.1.attn.attention.q_proj', ['q_proj', 'v_proj'], [0, 1, 2], ['h'], true],
  ['foo.bar.q_proj', ['q_proj'], null, [], true], ['foo.bar.1.baz', ['baz'], [1], ['foo'], false],
  ['foo.bar.1.baz', ['baz'], [1], ['baz'], false], ['bar.1.baz', ['baz'], [1], ['bar'], false],
  ['foo.bar.001.baz', ['baz'], [1], ['bar'], true], ['foo.bar.1.spam.2.baz', ['baz'], [1], ['bar'], true],
  ['foo.bar.2.spam.1.baz', ['baz'], [1], ['bar'], false],
  ['blocks.1.weight', ['weight'], [1], ['blocks'], false], ['blocks.1.bias', ['weight'], [1], ['blocks'], false],
  ['mlp.blocks.1.weight', ['weight'], [1], ['blocks'], true], ['mlp.blocks.1.bias', ['weight'], [1], ['blocks'], false],
];

for (const [key, targetModules, layersToTransform, layersPattern, expected] of REGEX_TEST_CASES) {
  const row = JSON.stringify([key, targetModules, layersToTransform, layersPattern]);
  test(`test_tuners_utils.py::TestPeftCustomKwargs::test_regex_matching_valid${row} — ${expected ? 'selected' : 'not selected'}`, () => {
    const config = new FrodConfig({ targetModules, layersToTransform, layersPattern });
    assert.is(matchesTarget(key, config), expected);
  });
}

/** Every module path of `peft` with the class of the module there. */
const moduleTypes = (peft: PeftModel) => new Map(peft.namedModules().map(([path, m]) => [path, m.constructor.name]));
const count = (model: Module, type: abstract new (...args: never[]) => Module) => model.modules().filter((m) => m instanceof type).length;

for (const spelling of ['all-linear', 'ALL-LINEAR']) {
  test(`test_tuners_utils.py::TestPeftCustomKwargs::test_maybe_include_all_linear_layers_lora[tiny-random-gpt2, "${spelling}"] — the same layers as c_attn, c_proj, c_fc`, () => {
    const { result: actual } = catchWarnings(() => getPeftModel(tinyGpt2(), frodConfig({ targetModules: spelling })));
    const { result: expected } = catchWarnings(() => getPeftModel(tinyGpt2(), frodConfig({ targetModules: ['c_attn', 'c_proj', 'c_fc'] })));
    assert.equal(moduleTypes(actual), moduleTypes(expected));
  });
}

test('test_tuners_utils.py::TestPeftCustomKwargs::test_maybe_include_all_linear_does_not_target_classifier_head (SEQ_CLS BERT) — the head is a modules_to_save copy, every other Linear is adapted', () => {
  const model = tinyBert();
  const linear = count(model, Linear);
  const peft = getPeftModel(model, frodConfig({ taskType: 'SEQ_CLS', targetModules: 'all-linear' }));
  const classifier = peft.model.getSubmodule('classifier');
  assert.ok(classifier instanceof ModulesToSaveWrapper);
  assert.ok(classifier.originalModule instanceof Linear && classifier.copies.get('default') instanceof Linear);
  assert.is(count(peft, FrodLinear), linear - 1);
});

test('test_tuners_utils.py::TestPeftCustomKwargs::test_add_second_adapter_with_all_linear_works (GPT-2) — both adapters on every layer, no adapter inside an adapter', () => {
  const peft = catchWarnings(() => {
    const model = getPeftModel(tinyGpt2(), frodConfig({ targetModules: 'all-linear' }));
    model.addAdapter('other', frodConfig({ targetModules: 'all-linear' }));
    return model;
  }).result;
  const layers = peft.modules().filter((m): m is FrodLinear => m instanceof FrodLinear);
  assert.is(layers.length, 2 * 4, 'c_attn, c_proj (attention), c_fc, c_proj (mlp) in 2 blocks');
  for (const layer of layers) {
    assert.ok(layer.baseLayer instanceof Conv1D, `${layer.modulePath}: the base layer is the Conv1D`);
    assert.equal(layer.adapterNames(), ['default', 'other']);
  }
});

const targeted: [string, string | string[], string[]][] = [
  ['test_one_targeted_module_regex', 'lin0', ['lin0']],
  ['test_two_targeted_module_regex', 'lin.*', ['lin0', 'lin1']],
  ['test_one_targeted_module_list', ['lin0'], ['lin0']],
  ['test_two_targeted_module_list', ['lin0', 'lin1'], ['lin0', 'lin1']],
];
for (const [name, targetModules, expected] of targeted) {
  test(`test_tuners_utils.py::TestTargetedModuleNames::${name} — adapted: ${expected.join(', ')}`, () => {
    const peft = getPeftModel(new MLP(), frodConfig({ targetModules }));
    assert.equal(peft.baseModel.tunerLayers().map(([path]) => path), expected);
  });
}

test.run();
