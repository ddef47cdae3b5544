/**
 * Training and forward, as PEFT's tests/test_custom_models.py runs it on the FRoD rows of TEST_CASES (the MLP,
 * test/peft/models.ts): test_training_custom_models (testing_common.py's _test_training), test_only_params_are_updated,
 * test_disable_adapters, test_forward_output_finite and test_in_features_out_features_exposed. PEFT's learning
 * rates, losses and tolerances are kept.
 *
 * Not replayed: test_forward_float16/bfloat16(_no_autocast) and test_adapter_dtype_autocast (half precision is
 * issue 10 item 12, done separately), test_peft_model_device_map (no device maps).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPeftModel } from '../../src/frod/model';
import { nllLoss } from '../../src/nn/functional';
import { SGD } from '../../src/nn/optim';
import type { PeftModel } from '../../src/peft/peftModel';
import { isTunerLayer } from '../../src/peft/tunerLayer';
import { tensor } from '../../src/tensor';
import {
  CUSTOM_FROD_ROWS, MLP, allclose, assertAllclose, assertNotAllclose, customInputs, forward, frodConfig, run, values,
} from './models';

const X = customInputs();

/** PEFT's test: a parameter is the method's or a modules_to_save copy (`model.prefix in n or "modules_to_save" in n`). */
const isAdapterParameter = (peft: PeftModel, name: string) => name.includes(peft.baseModel.prefix) || name.includes('modules_to_save');

for (const [row, options] of CUSTOM_FROD_ROWS) {
  test(`test_custom_models.py::TestPeftCustomModel::test_training_custom_models[${row}] — after backward only trainable adapter parameters have gradients`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options));
    forward(peft, X).select(0, 0).sum().backward();
    for (const [name, p] of peft.namedParameters()) {
      const expectGrad = isAdapterParameter(peft, name) && p.requiresGrad;
      assert.is(p.grad !== null, expectGrad, `${name}: ${expectGrad ? 'has' : 'has no'} gradient`);
    }
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_only_params_are_updated[${row}] — three SGD steps move the adapter parameters and nothing else`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options));
    const before = new Map(peft.namedParameters().map(([name, p]) => [name, values(p)]));
    peft.train();
    const optimizer = new SGD(peft.parameters(), { lr: 0.5 });
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad();
      forward(peft, X).sum().backward();
      optimizer.step();
    }
    const after = peft.namedParameters();
    assert.equal(after.map(([name]) => name).sort(), [...before.keys()].sort(), 'the same parameters');
    for (const [name, p] of after) {
      const old = before.get(name) as Float64Array;
      if (!isAdapterParameter(peft, name)) assertAllclose(values(p), old, `${name} (base) unchanged`, 1e-4, 1e-4);
      else if (!p.requiresGrad) assert.ok(values(p).every((v, i) => v === old[i]), `${name} (frozen) unchanged`);
      else assert.not.ok(allclose(values(p), old, 1e-4, 1e-4), `${name} (trained) changed`);
    }
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_disable_adapters[${row}] — a fresh adapter is the base model; after training, disabling gives the fresh outputs back`, () => {
    const base = new MLP().eval();
    const outputsBase = run(base, X);
    const peft = getPeftModel(base, frodConfig(options)).eval();
    const before = run(peft, X);
    assertAllclose(before, outputsBase, 'fresh adapter vs base model');
    peft.train();
    const optimizer = new SGD(peft.parameters(), { lr: 0.01 });
    const labels = tensor(Array.from({ length: 9 }, (_, i) => i % 2), { dtype: 'int32' });
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad();
      nllLoss(forward(peft, X), labels).backward();
      optimizer.step();
    }
    peft.eval();
    const after = run(peft, X);
    const disabled = peft.disableAdapter(() => run(peft, X));
    const enabledAgain = run(peft, X);
    assertNotAllclose(before, after, 'training changed the outputs', 1e-8, 1e-8);
    assertAllclose(disabled, before, 'disabled vs before training');
    assertAllclose(enabledAgain, after, 'enabled again after the context');
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_forward_output_finite[${row}] — the outputs are finite`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options)).eval();
    assert.ok(run(peft, X).data().every((v) => Number.isFinite(v)));
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_in_features_out_features_exposed[${row}] — every tuner layer tells its in and out features`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options));
    const layers = peft.modules().filter(isTunerLayer);
    assert.ok(layers.length > 0);
    for (const layer of layers) {
      const { inFeatures, outFeatures } = layer as unknown as { inFeatures: number; outFeatures: number };
      assert.ok(Number.isInteger(inFeatures) && Number.isInteger(outFeatures), `${layer.constructor.name}: in ${inFeatures}, out ${outFeatures}`);
    }
  });
}

test.run();
