/**
 * Merging, as PEFT's tests/test_custom_models.py runs it on the FRoD rows of TEST_CASES (the MLP with lin0/lin1,
 * test/peft/models.ts) through tests/testing_common.py's _test_merge_layers, _test_merge_layers_is_idempotent,
 * _test_safe_merge and test_disable_adapters_with_merging. PEFT's tolerances are kept.
 *
 * Not replayed: test_merge_layers_fp16 (half precision is issue 10 item 12, done separately).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPeftModel } from '../../src/frod/model';
import { nllLoss } from '../../src/nn/functional';
import { loadSafetensors, saveSafetensors } from '../../src/nn/io';
import { Adam } from '../../src/nn/optim';
import { isTunerLayer } from '../../src/peft/tunerLayer';
import { catchWarnings } from '../../src/peft/warnings';
import { tensor } from '../../src/tensor';
import {
  CUSTOM_FROD_ROWS, MLP, assertAllclose, assertNotAllclose, customInputs, frodConfig, initWeightsFalse, run,
} from './models';

const X = customInputs();

for (const [row, options] of CUSTOM_FROD_ROWS) {
  test(`test_custom_models.py::TestPeftCustomModel::test_merge_layers[${row}] — merged, unmerged and merge_and_unload outputs equal the adapter's; no tuner layer is left`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(initWeightsFalse(options))).eval();
    const logits = run(peft, X);
    peft.mergeAdapter();
    const merged = run(peft, X);
    peft.unmergeAdapter();
    const unmerged = run(peft, X);
    const unloaded = peft.mergeAndUnload();
    assert.not.ok(unloaded.modules().some(isTunerLayer), 'no tuner layer after merge_and_unload');
    const mergedUnloaded = run(unloaded, X);
    assertAllclose(merged, logits, 'merged', 1e-4, 1e-4);
    assertAllclose(unmerged, logits, 'unmerged', 1e-4, 1e-4);
    assertAllclose(mergedUnloaded, logits, 'merged and unloaded', 1e-4, 1e-4);
    assertNotAllclose(merged, run(new MLP().eval(), X), 'merged vs the base model', 1e-10, 1e-10);
    // PEFT round-trips the unloaded model through pickle; here through its state dict into a fresh MLP.
    const again = new MLP().eval();
    again.loadStateDict(unloaded.stateDict());
    assertAllclose(run(again, X), merged, 'merged model after a state-dict round trip', 1e-4, 1e-4);
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_merge_layers_is_idempotent[${row}] — merging again warns "All adapters are already merged" and changes nothing`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(initWeightsFalse(options))).eval();
    peft.mergeAdapter();
    const first = run(peft, X);
    const { warnings } = catchWarnings(() => peft.mergeAdapter());
    assert.ok(warnings.some((w) => w.includes('All adapters are already merged, nothing to do')), warnings.join(' | '));
    assertAllclose(run(peft, X), first, 'after merging twice', 1e-6, 1e-6);
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_safe_merge[${row}] — a safe merge_and_unload keeps the adapter's outputs and the result saves as safetensors`, () => {
    const base = new MLP().eval();
    const logitsBase = run(base, X);
    const peft = getPeftModel(base, frodConfig(initWeightsFalse(options))).eval();
    const logitsPeft = run(peft, X);
    assertNotAllclose(logitsBase, logitsPeft, 'the adapter changes the outputs', 1e-6, 1e-6);
    const unloaded = peft.mergeAndUnload({ safeMerge: true });
    assertAllclose(run(unloaded, X), logitsPeft, 'after a safe merge', 1e-6, 1e-6);
    const dir = mkdtempSync(join(tmpdir(), 'frod-peft-'));
    try {
      saveSafetensors(join(dir, 'model.safetensors'), unloaded.stateDict());
      assert.equal(Object.keys(loadSafetensors(join(dir, 'model.safetensors')).tensors).sort(), Object.keys(unloaded.stateDict()).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`test_custom_models.py::TestPeftCustomModel::test_disable_adapters_with_merging[${row}] — after training, merged equals unmerged, disabled equals the fresh adapter`, () => {
    const peft = getPeftModel(new MLP(), frodConfig(options)).eval();
    const before = run(peft, X);
    peft.train();
    const optimizer = new Adam(peft.parameters(), { lr: 0.01 });
    const labels = tensor(Array.from({ length: 9 }, (_, i) => i % 2), { dtype: 'int32' });
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad();
      nllLoss(peft.forward(X), labels).backward();
      optimizer.step();
    }
    peft.eval();
    const unmerged = run(peft, X);
    peft.mergeAdapter();
    const after = run(peft, X);
    const disabled = peft.disableAdapter(() => run(peft, X));
    const enabledAgain = run(peft, X);
    assertNotAllclose(before, after, 'training changed the outputs', 1e-5, 1e-5);
    assertAllclose(after, unmerged, 'merged vs unmerged', 1e-5, 1e-5);
    assertAllclose(disabled, before, 'disabled vs before training', 1e-5, 1e-5);
    assertAllclose(enabledAgain, after, 'enabled again after disable', 1e-5, 1e-5);
  });
}

test.run();
