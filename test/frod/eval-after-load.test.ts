/**
 * PeftModel.fromPretrained / loadAdapter put the model in eval mode unless isTrainable, as PEFT's
 * from_pretrained and load_adapter do: on a BERT encoder with dropout 0.1 the loaded model's forward is then
 * deterministic and equal to the merged model's (the case of the issue, where they differed by 1.89).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig, PeftModel, getPeftModel, nn, noGrad, randint, type Tensor } from '../../src/index';

const config = { vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, numLabels: 3, seed: 4 };
const ids = randint(0, 40, [3, 7]);

/** An adapter trained a few steps on a dropout-0.1 BERT, saved to a temporary folder (removed by `done`). */
function savedAdapter(): { dir: string; done: () => void } {
  const model = new nn.BertForSequenceClassification(config);
  assert.is(model.config.hiddenDropoutProb, 0.1);
  const peft = getPeftModel(model, new FrodConfig({ targetModules: ['query', 'value'], sparseRate: 0.1 }));
  const opt = new nn.optim.AdamW(peft.parameters().filter((p) => p.requiresGrad), { lr: 0.05 });
  for (let step = 0; step < 3; step++) {
    opt.zeroGrad();
    nn.functional.crossEntropy(peft.forward(ids), randint(0, 3, [3], { dtype: 'int32' })).backward();
    opt.step();
  }
  const dir = mkdtempSync(join(tmpdir(), 'frod-eval-'));
  peft.savePretrained(dir);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const maxDiff = (a: Tensor, b: Tensor) => noGrad(() => a.sub(b).abs().max().item());

test('fromPretrained leaves a dropout BERT in eval mode: forward is deterministic and equals the merged model', () => {
  const { dir, done } = savedAdapter();
  try {
    const loaded = PeftModel.fromPretrained(new nn.BertForSequenceClassification(config), dir);
    assert.ok(loaded.modules().every((m) => !m.training), 'every module in eval mode');
    const adapted = noGrad(() => loaded.forward(ids));
    assert.is(maxDiff(adapted, noGrad(() => loaded.forward(ids))), 0);
    const merged = loaded.mergeAndUnload();
    assert.ok(maxDiff(adapted, noGrad(() => merged.forward(ids))) < 1e-4, 'adapted and merged forward agree');
  } finally {
    done();
  }
});

test('fromPretrained with isTrainable keeps the mode the model had and the adapter trainable', () => {
  const { dir, done } = savedAdapter();
  try {
    const loaded = PeftModel.fromPretrained(new nn.BertForSequenceClassification(config), dir, { isTrainable: true });
    assert.ok(loaded.modules().every((m) => m.training), 'still in training mode');
    assert.ok(loaded.parameters().some((p) => p.requiresGrad));
    const frozen = PeftModel.fromPretrained(new nn.BertForSequenceClassification(config), dir);
    assert.ok(frozen.parameters().every((p) => !p.requiresGrad), 'loaded for inference: nothing trains');
  } finally {
    done();
  }
});

test('loadAdapter of a second adapter, not trainable, puts the model in eval mode too', () => {
  const { dir, done } = savedAdapter();
  try {
    const peft = getPeftModel(new nn.BertForSequenceClassification(config), new FrodConfig({ targetModules: ['query', 'value'] }));
    assert.ok(peft.training);
    peft.loadAdapter(dir, 'other');
    assert.ok(peft.modules().every((m) => !m.training));
  } finally {
    done();
  }
});

test.run();
