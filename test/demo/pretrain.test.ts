import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeBatch } from '../../src/demo/batches';
import { PRETRAIN_DIGITS, splitDigits } from '../../src/demo/data';
import { DEMO_VIT_CONFIG, loadModel, modelFiles } from '../../src/demo/model';
import { pretrain } from '../../src/demo/pretrain';
import type { Tensor } from '../../src/tensor';

const sameValues = (a: Record<string, Tensor>, b: Record<string, Tensor>) =>
  Object.keys(a).length === Object.keys(b).length
  && Object.entries(a).every(([k, t]) => b[k] !== undefined && t.data().every((v, i) => v === b[k].data()[i]));

test('pretraining is reproducible from its seed, and a different seed gives different weights', () => {
  const run = (seed: number) => pretrain({ out: null, seed, steps: 2, batchSize: 8 });
  const a = run(5);
  const b = run(5);
  const c = run(6);
  assert.ok(sameValues(a.model.stateDict(), b.model.stateDict()));
  assert.not.ok(sameValues(a.model.stateDict(), c.model.stateDict()));
  assert.is(a.record.testAccuracy, b.record.testAccuracy);
  assert.equal(a.record.digits, [...PRETRAIN_DIGITS]);
  assert.is(a.model.config.hiddenSize, DEMO_VIT_CONFIG.hiddenSize);
});

test('a saved model loads back with the same outputs, in Hugging Face layout with a config.json-style file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-pretrain-'));
  try {
    const stem = join(dir, 'vit');
    const result = pretrain({ out: stem, seed: 1, steps: 1, batchSize: 4 });
    const files = modelFiles(stem);
    assert.equal(result.files, files);
    const config = JSON.parse(readFileSync(files.config, 'utf8')) as Record<string, unknown>;
    assert.is(config.model_type, 'vit');
    assert.is(config.image_size, 28);
    assert.equal(config.id2label, { 0: '0', 1: '1', 2: '2', 3: '3', 4: '4' });
    assert.is((config.frod_ts as { steps: number }).steps, 1);
    const loaded = loadModel(stem);
    const batch = makeBatch(splitDigits(PRETRAIN_DIGITS, { seed: 0, maxTest: 10 }).test, [0, 1, 2]);
    const x = result.model.eval().forward(batch.pixels).data();
    const y = loaded.model.eval().forward(batch.pixels).data();
    assert.ok(x.every((v, i) => v === y[i]));
    assert.throws(() => loadModel(join(dir, 'missing')), /not found; run `frod pretrain`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped base model is small, loads, and records how it was made', () => {
  const stem = join(import.meta.dirname, '..', '..', 'models', 'vit-mnist-0to4');
  const files = modelFiles(stem);
  assert.ok(statSync(files.weights).size + statSync(files.config).size <= 2 * 1024 * 1024);
  const { model, record } = loadModel(stem);
  assert.ok(record !== null);
  assert.ok(record!.testAccuracy > 0.9, `pretrained accuracy ${record!.testAccuracy}`);
  assert.ok(record!.command.startsWith('frod pretrain'));
  assert.is(model.config.numLabels, 5);
});

test.run();
