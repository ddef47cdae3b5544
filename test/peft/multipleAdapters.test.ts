/**
 * Several FRoD adapters on one model, as PEFT's tests/test_custom_models.py checks them: the "FRoD Same" row of
 * MULTIPLE_ACTIVE_ADAPTERS_TEST_CASES (two `init_weights: false` adapters on lin0 of the MLP) through every test of
 * TestMultipleActiveAdapters, and test_adapter_name_makes_no_difference with its FrodConfig row.
 *
 * PEFT copies a model with `copy.deepcopy`; here the same model is built again from the same seeds, which gives
 * the same weights and the same adapter noise (the noise follows the adapter's position, not its name).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPeftModel } from '../../src/frod/model';
import type { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { MLP, assertAllclose, assertNotAllclose, customInputs, frodConfig, run } from './models';

/** The "FRoD Same" row: both adapters on lin0 with init_weights false. */
const sameRow = () => frodConfig({ targetModules: ['lin0'], initWeights: false });

/** An MLP in eval mode with adapter `first` and then `second` of the "FRoD Same" row. */
function twoAdapters(first = 'adapter_1', second = 'adapter_2'): PeftModel {
  const peft = getPeftModel(new MLP().eval(), sameRow(), first).eval();
  peft.addAdapter(second, sameRow());
  return peft;
}

const X = customInputs();

test('test_custom_models.py::TestMultipleActiveAdapters::test_multiple_active_adapters_forward[FRoD Same] — adapter 1, adapter 2 and both give three different outputs', () => {
  const peft = twoAdapters();
  peft.setAdapter('adapter_1');
  const first = run(peft, X);
  peft.setAdapter('adapter_2');
  const second = run(peft, X);
  peft.baseModel.setAdapter(['adapter_1', 'adapter_2']);
  const both = run(peft, X);
  assertNotAllclose(first, second, 'adapter 1 vs adapter 2', 1e-5);
  assertNotAllclose(first, both, 'adapter 1 vs both', 1e-5);
  assertNotAllclose(second, both, 'adapter 2 vs both', 1e-5);
});

test('test_custom_models.py::TestMultipleActiveAdapters::test_multiple_active_adapters_merge_and_unmerge[FRoD Same] — merging both active adapters keeps the output; unmerged and disabled gives the base model', () => {
  const base = run(new MLP().eval(), X);
  const peft = twoAdapters();
  peft.baseModel.setAdapter(['adapter_1', 'adapter_2']);
  const both = run(peft, X);
  peft.mergeAdapter();
  assertAllclose(run(peft, X), both, 'merged output of both adapters', 1e-4);
  peft.unmergeAdapter();
  assertAllclose(peft.disableAdapter(() => run(peft, X)), base, 'disabled after unmerge', 1e-4);
});

/** The model of test_merge_layers_multi: "default", then "adapter-2" active, then "default" active again. */
function mergeLayersMultiModel(): PeftModel {
  const peft = twoAdapters('default', 'adapter-2');
  peft.setAdapter('default');
  return peft;
}

test('test_custom_models.py::TestMultipleActiveAdapters::test_merge_layers_multi[FRoD Same] — merge_and_unload of both, of adapter-2 only, of default only', () => {
  const peft = twoAdapters('default', 'adapter-2');
  const outputs1 = run(peft, X);
  peft.setAdapter('adapter-2');
  const outputs2 = run(peft, X);
  assertNotAllclose(outputs1, outputs2, 'default vs adapter-2', 1e-3, 1e-3);
  peft.setAdapter('default');
  assertAllclose(run(peft, X), outputs1, 'default again after set_adapter', 1e-3, 1e-3);

  const mergedAll = run(mergeLayersMultiModel().mergeAndUnload({ adapterNames: ['adapter-2', 'default'] }), X);
  assertNotAllclose(mergedAll, outputs2, 'both merged vs adapter-2', 1e-3, 1e-3);
  assertNotAllclose(mergedAll, outputs1, 'both merged vs default', 1e-3, 1e-3);
  assertAllclose(run(mergeLayersMultiModel().mergeAndUnload({ adapterNames: ['adapter-2'] }), X), outputs2, 'adapter-2 merged', 1e-3, 1e-3);
  assertAllclose(run(mergeLayersMultiModel().mergeAndUnload({ adapterNames: ['default'] }), X), outputs1, 'default merged', 1e-3, 1e-3);
});

test('test_custom_models.py::TestMultipleActiveAdapters::test_sequential_merge_matches_batch_merge[FRoD Same] — merging one then the other equals merging both at once', () => {
  const batch = twoAdapters();
  batch.mergeAdapter(['adapter_1', 'adapter_2']);
  const sequential = twoAdapters();
  sequential.mergeAdapter(['adapter_1']);
  catchWarnings(() => sequential.mergeAdapter(['adapter_2'])); // PEFT warns that adapter_1 is merged already
  assertAllclose(run(sequential, X), run(batch, X), 'sequential vs batch merge', 1e-3, 1e-3);
});

test('test_custom_models.py::TestMultipleActiveAdapters::test_unmerge_after_sequential_merge_restores_base[FRoD Same] — unmerge after two merges gives the base model back', () => {
  const base = run(new MLP().eval(), X);
  const peft = twoAdapters();
  peft.mergeAdapter(['adapter_1']);
  catchWarnings(() => peft.mergeAdapter(['adapter_2']));
  peft.unmergeAdapter();
  assertAllclose(peft.disableAdapter(() => run(peft, X)), base, 'disabled after unmerge', 1e-3, 1e-3);
});

test('test_custom_models.py::TestPeftCustomModel::test_adapter_name_makes_no_difference[FrodConfig] — "default", "adapter" and "other-name" give the same weights and outputs', () => {
  const base = run(new MLP().eval(), X);
  const make = (name: string) => getPeftModel(new MLP().eval(), frodConfig({ targetModules: ['lin0'], initWeights: false }), name).eval();
  const models = { default: make('default'), adapter: make('adapter'), 'other-name': make('other-name') };
  const stateDicts = Object.fromEntries(Object.entries(models).map(([name, m]) => [name, m.stateDict()]));
  const defaultKeys = Object.keys(stateDicts.default);
  for (const name of ['adapter', 'other-name']) {
    assert.is(Object.keys(stateDicts[name]).length, defaultKeys.length, `${name}: as many tensors`);
    for (const key of defaultKeys) {
      const renamed = key.replace('default', name);
      assert.ok(renamed in stateDicts[name], `${name}: has ${renamed}`);
      assertAllclose(stateDicts[name][renamed], stateDicts.default[key], `${name}: ${renamed}`);
    }
  }
  const outputs = Object.fromEntries(Object.entries(models).map(([name, m]) => [name, run(m, X)]));
  for (const name of Object.keys(models)) assertNotAllclose(outputs[name], base, `${name} vs base`);
  assertAllclose(outputs.adapter, outputs['other-name'], 'adapter vs other-name');
  assertAllclose(outputs.default, outputs.adapter, 'default vs adapter');
});

test.run();
