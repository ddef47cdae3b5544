/**
 * Saving and loading, as PEFT's tests/test_custom_models.py runs it on the FRoD rows of TEST_CASES (the MLP,
 * test/peft/models.ts) through tests/testing_common.py's _test_save_pretrained, _test_save_pretrained_adapter_name_substring,
 * _test_load_multiple_adapters, _test_inference_safetensors and _test_adapter_name, and its own
 * test_save_load_roundtrip and test_parameters_after_loading_model.
 *
 * Not replayed: test_save_pretrained_pickle (frod-ts neither writes nor reads pickles: adapter_model.bin can run
 * code), test_load_model_low_cpu_mem_usage (no meta device) and test_from_pretrained_config_construction
 * (`PeftModel.fromPretrained` takes no config object: the config always comes from adapter_config.json).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { getPeftModel } from '../../src/frod/model';
import { type SafetensorsValue, loadSafetensors } from '../../src/nn/io';
import { SGD } from '../../src/nn/optim';
import { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { Tensor } from '../../src/tensor';
import {
  CUSTOM_FROD_ROWS, DeepMLP, MLP, assertAllclose, assertNotAllclose, customInputs, forward, frodConfig, initWeightsFalse, run, withTempDir,
} from './models';

const X = customInputs();


/** Every tensor of two state dicts is allclose, and they have the same keys. */
function assertSameStateDict(a: PeftModel, b: PeftModel, atol = 1e-8, rtol = 1e-5): void {
  const [x, y] = [a.stateDict(), b.stateDict()];
  assert.equal(Object.keys(y).sort(), Object.keys(x).sort(), 'the same keys');
  for (const key of Object.keys(x)) assertAllclose(y[key], x[key], key, atol, rtol);
}

/** The tensor of a checkpoint value (index tensors come wrapped with their file dtype). */
const plain = (value: SafetensorsValue): Tensor => (value instanceof Tensor ? value : value.tensor);

/** Three SGD steps on loss = sum(outputs), as PEFT's tests train. */
function train(peft: PeftModel, lr: number): void {
  peft.train();
  const optimizer = new SGD(peft.parameters(), { lr });
  for (let step = 0; step < 3; step++) {
    optimizer.zeroGrad();
    forward(peft, X).sum().backward();
    optimizer.step();
  }
}

for (const [row, options] of CUSTOM_FROD_ROWS) {
  test(`test_custom_models.py::TestPeftCustomModel::test_save_pretrained[${row}] — reload without warnings gives the same state dict; only the two adapter files are written`, () => {
    withTempDir((dir) => {
      const peft = getPeftModel(new MLP(), frodConfig(initWeightsFalse(options)));
      peft.savePretrained(dir);
      const { result: loaded, warnings } = catchWarnings(() => PeftModel.fromPretrained(new MLP(), dir));
      assert.equal(warnings, [], 'no warning while loading');
      assertSameStateDict(peft, loaded);
      assert.ok(existsSync(join(dir, 'adapter_model.safetensors')) && existsSync(join(dir, 'adapter_config.json')));
      assert.not.ok(existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'config.json')), 'no model files');
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_save_pretrained_adapter_name_substring[${row}] — saving "default" writes only its tensors, whatever the other names contain`, () => {
    withTempDir((dir) => {
      const config = frodConfig(initWeightsFalse(options));
      const peft = getPeftModel(new MLP(), config);
      const expected = Object.keys(peft.baseModel.checkpointTensors('default')).length;
      for (const name of ['default2', 'other_default', 'foodefault_bar', 'efaul']) peft.addAdapter(name, config);
      peft.savePretrained(dir, { adapterNames: ['default'] });
      assert.is(Object.keys(loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors).length, expected);
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_load_multiple_adapters[${row}] — one directory loads as three adapters, each with the saved values`, () => {
    withTempDir((dir) => {
      const peft = getPeftModel(new MLP(), frodConfig(options));
      peft.savePretrained(dir);
      const loaded = PeftModel.fromPretrained(new MLP(), dir);
      loaded.loadAdapter(dir, 'other');
      loaded.loadAdapter(dir, 'yet-another');
      const saved = peft.baseModel.checkpointTensors('default');
      for (const name of ['default', 'other', 'yet-another']) {
        const tensors = loaded.baseModel.checkpointTensors(name);
        assert.equal(Object.keys(tensors).sort(), Object.keys(saved).sort(), `${name}: every key`);
        for (const key of Object.keys(saved)) assertAllclose(plain(tensors[key]), plain(saved[key]), `${name}: ${key}`);
      }
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_inference_safetensors[${row}] — after a backward pass, safetensors only, and the reloaded model predicts the same`, () => {
    withTempDir((dir) => {
      const peft = getPeftModel(new MLP(), frodConfig(options));
      forward(peft, X).sum().backward();
      peft.eval();
      const logits = run(peft, X);
      peft.savePretrained(dir);
      const files = readdirSync(dir);
      assert.ok(files.includes('adapter_model.safetensors') && !files.includes('adapter_model.bin'), files.join(', '));
      assertAllclose(run(PeftModel.fromPretrained(new MLP(), dir), X), logits, 'reloaded logits', 1e-4, 1e-4);
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_save_load_roundtrip[${row}] — a noisy adapter reloads to the same outputs`, () => {
    withTempDir((dir) => {
      const base = new MLP().eval();
      const outputBase = run(base, X);
      const peft = getPeftModel(base, frodConfig(initWeightsFalse(options))).eval();
      const before = run(peft, X);
      assertNotAllclose(outputBase, before, 'the adapter changes the outputs', 1e-5, 1e-5);
      peft.savePretrained(dir);
      assertAllclose(run(PeftModel.fromPretrained(new MLP().eval(), dir), X), before, 'after reload', 1e-5, 1e-5);
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_parameters_after_loading_model[${row}] — trained parameters reload exactly`, () => {
    withTempDir((dir) => {
      const peft = getPeftModel(new MLP(), frodConfig(options));
      train(peft, 0.5);
      peft.savePretrained(dir);
      assertSameStateDict(peft, PeftModel.fromPretrained(new MLP(), dir), 1e-4, 1e-4);
    });
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_adapter_name[${row}] — parameter names carry the adapter name "test-adapter"`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options), 'test-adapter');
    assert.ok(peft.namedParameters().some(([name]) => name.includes('test-adapter')));
  });
}

for (const isTrainable of [false, true]) {
  for (const modulesToSave of [null, ['layers.0.lin1']]) {
    const name = modulesToSave ? 'test_loading_model_with_modules_to_save_requires_grad_set_correctly' : 'test_loading_model_requires_grad_set_correctly';
    test(`test_custom_models.py::TestRequiresGrad::${name}[FrodConfig-${isTrainable}] — ${isTrainable ? 'only the loaded adapter trains, also after loading "other"' : 'nothing trains, also after loading "other"'}`, () => {
      withTempDir((dir) => {
        getPeftModel(new DeepMLP(), frodConfig({ targetModules: ['layers.0.lin0'], modulesToSave })).savePretrained(dir);
        const peft = PeftModel.fromPretrained(new DeepMLP(), dir, { isTrainable });
        const check = () => {
          for (const [param, p] of peft.namedParameters()) {
            assert.is(p.requiresGrad, isTrainable && param.includes('.default'), `${param} requires grad`);
          }
        };
        check();
        peft.loadAdapter(dir, 'other', { isTrainable });
        check();
      });
    });
  }
}

test('peft_model.py PeftModel.load_adapter: without is_trainable the model is put in eval mode (dropout off); with it, it is left as it was', () => {
  withTempDir((dir) => {
    getPeftModel(new MLP(), frodConfig({ targetModules: ['lin0'] })).savePretrained(dir);
    assert.not.ok(PeftModel.fromPretrained(new MLP(), dir).modules().some((m) => m.training), 'eval mode');
    assert.ok(PeftModel.fromPretrained(new MLP(), dir, { isTrainable: true }).modules().every((m) => m.training), 'still training mode');
  });
});

for (const [row, options] of CUSTOM_FROD_ROWS) {
  for (const bias of ['all', 'frod_only'] as const) {
    test(`test_custom_models.py::TestPeftCustomModel::test_save_load_roundtrip_fsdp_wrapped_learnable_bias[${row}-${bias}] (without FSDP) — trained biases are saved and come back`, () => {
      withTempDir((dir) => {
        const peft = getPeftModel(new MLP(), frodConfig({ ...initWeightsFalse(options), bias })).eval();
        for (const [name, p] of peft.namedParameters()) {
          const adaptedBias = /\.base_layer\.bias$/.test(name);
          if ((bias === 'all' && name.endsWith('.bias')) || adaptedBias) noGrad(() => p.fill_(1.23));
        }
        const before = run(peft, X);
        peft.savePretrained(dir);
        const loaded = PeftModel.fromPretrained(new MLP().eval(), dir);
        assertAllclose(run(loaded, X), before, 'outputs after reload');
      });
    });
  }
}

test.run();
