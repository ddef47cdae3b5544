/**
 * Several adapters over partly shared modules and modules_to_save, as PEFT's tests/test_custom_models.py checks it
 * with the FrodConfig entry of ALL_PEFT_CONFIG_CLASSES (on DeepMLP) and of the mixed-modules_to_save tests (on the
 * MLP). test_delete_adapter_multiple_adapters_with_modules_to_save runs with LoRA in PEFT; the behaviour is the
 * method-neutral tuner's, so it is replayed with FRoD.
 *
 * Not replayed: test_set_requires_grad[FrodConfig] (frod-ts has no set_requires_grad: what trains follows the
 * active adapters and inference mode).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import type { FrodConfigOptions } from '../../src/frod/config';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import type { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { DeepMLP, MLP, customInputs, frodConfig, run } from './models';

const X = customInputs();
const at = <T>(peft: PeftModel, path: string) => peft.model.getSubmodule(path) as unknown as T;
/** A layer's active adapters as PEFT lists them: a wrapper's active copy, or none. */
const wrapperActive = (wrapper: ModulesToSaveWrapper) => (wrapper.activeAdapter === null ? [] : [wrapper.activeAdapter]);

/** DeepMLP with adapter "default" (options0) and "other" (options1). */
function deepMlp(options0: FrodConfigOptions, options1: FrodConfigOptions): PeftModel {
  const peft = getPeftModel(new DeepMLP(), frodConfig(options0));
  peft.addAdapter('other', frodConfig(options1));
  return peft;
}

test('test_custom_models.py::TestPeftCustomModel::test_set_adapter_non_overlapping_modules[FrodConfig] — every layer follows the active adapter, also layers without it', () => {
  const peft = deepMlp({ targetModules: ['layers.0.lin0', 'layers.1.lin0'] }, { targetModules: ['layers.1.lin0', 'layers.2.lin0'] });
  const activeOfLayers = () => [0, 1, 2].map((i) => at<FrodLinear>(peft, `layers.${i}.lin0`).activeAdapters);
  assert.equal(peft.baseModel.activeAdapters, ['default']);
  assert.equal(activeOfLayers(), [['default'], ['default'], ['default']]);
  for (const set of [(n: string) => peft.setAdapter(n), (n: string) => peft.baseModel.setAdapter([n])]) {
    set('other');
    assert.equal(peft.baseModel.activeAdapters, ['other']);
    assert.equal(activeOfLayers(), [['other'], ['other'], ['other']]);
    set('default');
    assert.equal(peft.baseModel.activeAdapters, ['default']);
    assert.equal(activeOfLayers(), [['default'], ['default'], ['default']]);
  }
});

test('test_custom_models.py::TestPeftCustomModel::test_set_adapter_non_overlapping_modules_to_save[FrodConfig] — adding an adapter with modules_to_save does not activate its copy', () => {
  const peft = deepMlp({ targetModules: ['layers.0.lin0'] }, { targetModules: ['layers.0.lin0'], modulesToSave: ['layers.0.lin1'] });
  const lin1 = at<ModulesToSaveWrapper>(peft, 'layers.0.lin1');
  const copyTrains = () => (lin1.copies.get('other') as unknown as { weight: { requiresGrad: boolean } }).weight.requiresGrad;
  const check = (active: string) => {
    assert.equal(peft.baseModel.activeAdapters, [active]);
    assert.equal(at<FrodLinear>(peft, 'layers.0.lin0').activeAdapters, [active]);
    assert.equal(wrapperActive(lin1), active === 'other' ? ['other'] : []);
    assert.is(copyTrains(), active === 'other', `the copy of "other" trains only while "other" is active (${active})`);
  };
  check('default');
  for (const set of [(n: string) => peft.setAdapter(n), (n: string) => peft.baseModel.setAdapter([n])]) {
    set('other');
    check('other');
    set('default');
    check('default');
  }
});

const clashes: [string, string[], string[]][] = [
  ['test_multiple_active_adapters_with_same_modules_to_save_raises', ['layers.0.lin1'], ['layers.0.lin1']],
  ['test_multiple_active_adapters_with_overlapping_modules_to_save_raises', ['layers.0.lin1', 'layers.1.lin1'], ['layers.2.lin1', 'layers.1.lin1']],
];
for (const [name, modules0, modules1] of clashes) {
  test(`test_custom_models.py::TestPeftCustomModel::${name}[FrodConfig] — activating both is refused with PEFT's message; adding was fine`, () => {
    const peft = deepMlp({ targetModules: ['layers.0.lin0'], modulesToSave: modules0 }, { targetModules: ['layers.0.lin0'], modulesToSave: modules1 });
    assert.throws(() => peft.baseModel.setAdapter(['default', 'other']), /Only one adapter can be set at a time for ModulesToSaveWrapper/);
    assert.equal(peft.activeAdapters, ['default'], 'the active adapters are unchanged');
  });
}

test('test_custom_models.py::TestPeftCustomModel::test_multiple_active_adapters_with_different_modules_to_save_works[FrodConfig] — each wrapper runs its own adapter\'s copy', () => {
  const peft = deepMlp({ targetModules: ['layers.0.lin0'], modulesToSave: ['layers.0.lin1'] }, { targetModules: ['layers.0.lin0'], modulesToSave: ['layers.1.lin1'] });
  peft.baseModel.setAdapter(['default', 'other']);
  assert.equal(wrapperActive(at(peft, 'layers.0.lin1')), ['default']);
  assert.equal(wrapperActive(at(peft, 'layers.1.lin1')), ['other']);
});

const mixed: [string, FrodConfigOptions, FrodConfigOptions, string[]][] = [
  ['test_multiple_adapters_mixed_modules_to_save', { targetModules: ['lin0'], modulesToSave: ['lin1'] }, { targetModules: ['lin0'] }, ['default']],
  ['test_multiple_adapters_mixed_modules_to_save_order_switched', { targetModules: ['lin0'] }, { targetModules: ['lin0'], modulesToSave: ['lin1'] }, ['other']],
];
for (const [name, options0, options1, copies] of mixed) {
  test(`test_custom_models.py::TestPeftCustomModel::${name}[FrodConfig] — only the adapter that names lin1 gets a copy; both adapters run`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options0));
    peft.addAdapter('other', frodConfig(options1));
    assert.equal(at<ModulesToSaveWrapper>(peft, 'lin1').copies.keys(), copies);
    assert.equal(run(peft, X).shape, [9, 2]);
    peft.setAdapter('other');
    assert.equal(run(peft, X).shape, [9, 2]);
  });
}

test('test_custom_models.py::TestPeftCustomModel::test_delete_adapter_multiple_adapters_with_modules_to_save (LoRA in PEFT, replayed with FRoD) — copies go with their adapters', () => {
  const peft = getPeftModel(new MLP(), frodConfig({ targetModules: ['lin0'], modulesToSave: ['lin1'] }), 'adapter0');
  peft.addAdapter('adapter1', frodConfig({ targetModules: ['lin0'] }));
  peft.addAdapter('adapter2', frodConfig({ targetModules: ['lin0'], modulesToSave: ['lin1'] }));
  const lin1 = at<ModulesToSaveWrapper>(peft, 'lin1');
  const steps: [string | null, string[], string[]][] = [
    [null, ['adapter0'], ['adapter0', 'adapter2']],
    ['adapter0', ['adapter1'], ['adapter2']],
    ['adapter1', ['adapter2'], ['adapter2']],
  ];
  for (const [deleted, active, copies] of steps) {
    if (deleted !== null) catchWarnings(() => peft.deleteAdapter(deleted));
    assert.equal(peft.activeAdapters, active, `active after deleting ${deleted}`);
    assert.equal(lin1.copies.keys().sort(), copies, `copies after deleting ${deleted}`);
    assert.equal(run(peft, X).shape, [9, 2]);
  }
  peft.deleteAdapter('adapter2');
  assert.equal(peft.activeAdapters, []);
  assert.equal(lin1.copies.keys(), []);
});

test.run();
