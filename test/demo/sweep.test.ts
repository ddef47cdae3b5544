import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveModel } from '../../src/demo/model';
import { DEMO_PRESETS } from '../../src/demo/run';
import { LR_GRID, learningRateSweep } from '../../src/demo/sweep';
import { ViTForImageClassification } from '../../src/nn/models/vit';

test('the sweep tries every rate of the grid and keeps the one with the best validation accuracy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-sweep-'));
  try {
    const model = new ViTForImageClassification({
      imageSize: 28, patchSize: 14, numChannels: 1, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 8, numLabels: 5,
    });
    saveModel(model, join(dir, 'tiny'), [0, 1, 2, 3, 4], null);
    const settings = { ...DEMO_PRESETS.quick, steps: 3, batchSize: 8 };
    const { points, chosen } = learningRateSweep({ modelPath: join(dir, 'tiny'), seed: 0, methods: ['linear-probe'], settings, progress: false });
    assert.equal(points.map((p) => p.learningRate), [...LR_GRID['linear-probe']]);
    const best = Math.max(...points.map((p) => p.validationAccuracy));
    const winner = points.find((p) => p.learningRate === chosen['linear-probe'])!;
    assert.is(winner.validationAccuracy, best);
    for (const p of points) {
      if (p.validationAccuracy === best) assert.ok(winner.validationLoss <= p.validationLoss);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
