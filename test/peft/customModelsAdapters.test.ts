/**
 * Managing adapters, as PEFT's tests/test_custom_models.py runs it on the FRoD rows of TEST_CASES (the MLP,
 * test/peft/models.ts): active adapters, the disable_adapter context, deleting adapters (testing_common.py's
 * _test_delete_adapter, _test_delete_inactive_adapter, _test_delete_unknown_adapter_raises) and the one-adapter-with-
 * bias rule (_test_adding_multiple_adapters_with_bias_raises).
 *
 * Not replayed: test_get_base_model_state_dict (frod-ts has no get_base_model_state_dict; `unload()` gives the
 * base model back, see test/peft/taskTypes tests of _test_unload_adapter).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import type { PeftModel } from '../../src/peft/peftModel';
import { isTunerLayer } from '../../src/peft/tunerLayer';
import { catchWarnings } from '../../src/peft/warnings';
import { CUSTOM_FROD_ROWS, MLP, customInputs, frodConfig, initWeightsFalse, run } from './models';

const X = customInputs();
const tunerLayers = (peft: PeftModel) => peft.modules().filter(isTunerLayer) as FrodLinear[];
const wrappers = (peft: PeftModel) => peft.modules().filter((m): m is ModulesToSaveWrapper => m instanceof ModulesToSaveWrapper);

/** No layer and no modules_to_save wrapper holds adapter `name` any more. */
function assertGone(peft: PeftModel, name: string): void {
  assert.not.ok(peft.peftConfig.has(name), `${name} has no config`);
  for (const layer of tunerLayers(peft)) assert.not.ok(layer.adapterNames().includes(name), `${layer.modulePath} does not hold ${name}`);
  for (const wrapper of wrappers(peft)) assert.not.ok(wrapper.copies.has(name), `no modules_to_save copy of ${name}`);
}

/**
 * Every Map-like field (anything with `has`) of the PeftModel, its tuner and its tuner layers that holds `name`:
 * PEFT's test_delete_adapter_properly_cleans_up_after_itself discovers them the same way.
 */
function holders(peft: PeftModel, name: string): string[] {
  const found: string[] = [];
  const owners: [string, object][] = [['PeftModel', peft], ['tuner', peft.baseModel], ...tunerLayers(peft).map((l) => [l.modulePath, l] as [string, object])];
  for (const [owner, object] of owners) {
    for (const key of Object.getOwnPropertyNames(object)) {
      const value = (object as Record<string, unknown>)[key] as { has?: (k: string) => boolean } | null;
      if (value && typeof value === 'object' && typeof value.has === 'function' && value.has(name)) found.push(`${owner}.${key}`);
    }
  }
  return found;
}

for (const [row, options] of CUSTOM_FROD_ROWS) {
  if (!options.modulesToSave) {
    test(`test_custom_models.py::TestPeftCustomModel::test_active_adapter[${row}] — default active; a second adapter stays inactive until set; both can be active on the tuner`, () => {
      const config = frodConfig(options);
      const peft = getPeftModel(new MLP(), config);
      assert.equal([peft.activeAdapters, peft.activeAdapter], [['default'], 'default']);
      peft.addAdapter('other', config);
      assert.equal([peft.activeAdapters, peft.activeAdapter], [['default'], 'default']);
      peft.setAdapter('other');
      assert.equal([peft.activeAdapters, peft.activeAdapter], [['other'], 'other']);
      peft.baseModel.setAdapter(['default', 'other']);
      assert.equal(peft.activeAdapters, ['default', 'other']);
      assert.equal(peft.baseModel.activeAdapters, ['default', 'other']);
    });
  }

  test(`test_custom_models.py::TestPeftCustomModel::test_disable_adapters_exiting_context_restores_previous_state[${row}] — enabled stays enabled, disabled stays disabled`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options));
    const layers = tunerLayers(peft);
    assert.ok(layers.every((l) => !l.adaptersDisabled), 'all enabled');
    peft.disableAdapter(() => undefined);
    assert.ok(layers.every((l) => !l.adaptersDisabled), 'still all enabled');
    peft.disableAdapterLayers();
    assert.ok(layers.every((l) => l.adaptersDisabled), 'all disabled');
    peft.disableAdapter(() => undefined);
    assert.ok(layers.every((l) => l.adaptersDisabled), 'still all disabled');
  });

  // PEFT returns early when there are fewer than two tuner layers: only "Vanilla MLP 4 FRoD" adapts two.
  if (Array.isArray(options.targetModules) && options.targetModules.length > 1) {
    test(`test_custom_models.py::TestPeftCustomModel::test_disable_adapters_exiting_context_irregular_state[${row}] — a mixed state warns, and all layers are enabled afterwards`, () => {
      const peft = getPeftModel(new MLP(), frodConfig(options));
      const layers = tunerLayers(peft);
      layers[0].setAdaptersDisabled(true);
      assert.equal(new Set(layers.map((l) => l.adaptersDisabled)), new Set([true, false]));
      const { warnings } = catchWarnings(() => peft.disableAdapter(() => undefined));
      assert.ok(warnings.some((w) => w.includes('The model contains some adapter layers that are enabled and others that are disabled')), warnings.join(' | '));
      assert.ok(layers.every((l) => !l.adaptersDisabled), 'all enabled after the context');
    });
  }

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_adapter[${row}] — deleting the active adapter leaves "default" active; deleting the last leaves the plain forward`, () => {
    const config = frodConfig(options);
    const peft = getPeftModel(new MLP(), config);
    peft.addAdapter('delete_me', config);
    peft.setAdapter('delete_me');
    catchWarnings(() => peft.deleteAdapter('delete_me')); // "… was active which is now deleted", as PEFT warns
    assertGone(peft, 'delete_me');
    assert.equal(peft.activeAdapters, ['default']);
    for (const wrapper of wrappers(peft)) assert.is(wrapper.activeAdapter, 'default');
    peft.deleteAdapter('default');
    assertGone(peft, 'default');
    assert.equal(peft.activeAdapters, []);
    for (const wrapper of wrappers(peft)) assert.is(wrapper.activeAdapter, null);
    assert.equal(run(peft.baseModel.model, X).shape, [9, 2], 'the base model still runs');
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_inactive_adapter[${row}] — deleting an adapter never activated`, () => {
    const config = frodConfig(options);
    const peft = getPeftModel(new MLP(), config);
    peft.addAdapter('delete_me', config);
    peft.deleteAdapter('delete_me');
    assertGone(peft, 'delete_me');
    assert.equal(peft.activeAdapters, ['default']);
    peft.deleteAdapter('default');
    assertGone(peft, 'default');
    assert.equal(peft.activeAdapters, []);
    assert.equal(run(peft.baseModel.model, X).shape, [9, 2], 'the base model still runs');
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_unknown_adapter_raises[${row}] — the error names the adapter that does not exist`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options));
    assert.throws(() => peft.deleteAdapter('unknown-adapter'), /unknown-adapter' does not exist/);
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_merged_adapter_raises_without_mutation[${row}] — refused with PEFT's message, nothing changes; after unmerging it goes`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(initWeightsFalse(options)));
    const layers = tunerLayers(peft);
    peft.mergeAdapter();
    const merged = layers.map((l) => [...l.mergedAdapters]);
    const held = layers.map((l) => l.adapterNames());
    assert.throws(() => peft.deleteAdapter('default'), (err: Error) => err.message === "Cannot delete adapter(s) ['default'] while they are merged. Please unmerge them first.");
    assert.ok(peft.peftConfig.has('default'));
    assert.equal(layers.map((l) => [...l.mergedAdapters]), merged);
    assert.equal(layers.map((l) => l.adapterNames()), held);
    peft.unmergeAdapter();
    assert.ok(layers.every((l) => l.mergedAdapters.length === 0));
    peft.deleteAdapter('default');
    assert.not.ok(peft.peftConfig.has('default'));
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_merged_adapter_only_rejects_the_merged_one[${row}] — the unmerged adapter can go, the merge stays`, () => {
    const config = frodConfig(initWeightsFalse(options));
    const peft = getPeftModel(new MLP(), config, 'adapter0');
    peft.addAdapter('adapter1', config);
    peft.setAdapter('adapter1');
    const layers = tunerLayers(peft);
    peft.mergeAdapter();
    const merged = layers.map((l) => [...l.mergedAdapters]);
    assert.throws(() => peft.deleteAdapter('adapter1'), /Cannot delete adapter\(s\) \['adapter1'\] while they are merged/);
    assert.equal([...peft.peftConfig.keys()].sort(), ['adapter0', 'adapter1']);
    peft.deleteAdapter('adapter0');
    assert.equal([...peft.peftConfig.keys()], ['adapter1']);
    assert.equal(layers.map((l) => [...l.mergedAdapters]), merged);
    peft.unmergeAdapter();
    peft.deleteAdapter('adapter1');
    assert.is(peft.peftConfig.size, 0);
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_delete_adapter_properly_cleans_up_after_itself[${row}] — no per-adapter map keeps "foobar"`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options), 'foobar');
    assert.ok(holders(peft, 'foobar').length > 0, 'some maps hold the adapter before');
    peft.deleteAdapter('foobar');
    assert.equal(holders(peft, 'foobar'), [], 'dangling after deletion');
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_adding_multiple_adapters_with_bias_raises[${row}] — a second adapter with bias "all" is refused and leaves no trace`, () => {
    const config = frodConfig({ ...options, bias: 'all' });
    const peft = getPeftModel(new MLP(), config, 'adapter0');
    assert.throws(() => peft.addAdapter('adapter1', config), /supports only 1 adapter with bias/);
    assert.not.ok(peft.peftConfig.has('adapter1'));
    assertGone(peft, 'adapter1');
  });
}

test('test_custom_models.py::TestPeftCustomModel::test_delete_adapter_with_multiple_adapters_works (LoRA in PEFT, replayed with FRoD) — the next adapter by name takes over', () => {
  const config = frodConfig({ targetModules: ['lin0'] });
  const peft = getPeftModel(new MLP(), config, 'adapter0');
  peft.addAdapter('adapter1', config);
  peft.addAdapter('adapter2', config);
  assert.equal(peft.activeAdapters, ['adapter0']);
  run(peft, X);
  const { warnings } = catchWarnings(() => peft.deleteAdapter('adapter0'));
  assert.equal(warnings, ['Adapter adapter0 was active which is now deleted. Setting active adapter to adapter1.']);
  assert.equal(peft.activeAdapters, ['adapter1']);
  run(peft, X);
  peft.deleteAdapter('adapter2');
  assert.equal(peft.activeAdapters, ['adapter1']);
  run(peft, X);
});

test('BaseTunerLayer.delete_adapter (tuners_utils.py): the new active adapter is the first remaining one in sorted order, not the first added', () => {
  const config = frodConfig({ targetModules: ['lin0'] });
  const peft = getPeftModel(new MLP(), config, 'zeta');
  peft.addAdapter('gamma', config);
  peft.addAdapter('alpha', config);
  catchWarnings(() => peft.deleteAdapter('zeta'));
  assert.equal(peft.activeAdapters, ['alpha']);
});

test.run();
