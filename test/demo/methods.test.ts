import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeBatch } from '../../src/demo/batches';
import { FINETUNE_DIGITS, splitDigits } from '../../src/demo/data';
import { evaluate } from '../../src/demo/evaluate';
import { demoMethods, parameterGroups, type MethodId } from '../../src/demo/methods';
import { freshModel, trainMethod, DEMO_PRESETS } from '../../src/demo/run';
import type { LoadedModel } from '../../src/demo/model';
import { crossEntropy } from '../../src/nn/functional/loss';
import { ViTForImageClassification } from '../../src/nn/models/vit';
import { AdamW } from '../../src/nn/optim';
import { PeftModel } from '../../src/peft/peftModel';
import { noGrad } from '../../src/autograd';
import type { Tensor } from '../../src/tensor';
import '../../src/lora';

/** A tiny ViT for 28×28 digits (4 patches of 14×14), so a step takes milliseconds. */
function tinyBase(seed = 1): LoadedModel {
  const model = new ViTForImageClassification({
    imageSize: 28, patchSize: 14, numChannels: 1, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
    intermediateSize: 24, numLabels: 5, seed,
  });
  return { model, record: null, files: { weights: '', config: '' } };
}

const data = splitDigits(FINETUNE_DIGITS, { seed: 0, maxTest: 60, maxValidation: 40 });
const batch = makeBatch(data.train, Array.from({ length: 32 }, (_, i) => i));

/** Every tensor of the model's state as seen by the user (tuner layers see through to base weights). */
function snapshot(module: { namedParameters(): [string, Tensor][] }): Map<string, Float64Array> {
  return new Map(module.namedParameters().map(([name, p]) => [name, Float64Array.from(p.data())]));
}

const ids: MethodId[] = ['frod', 'frod-all-linear', 'lora', 'full', 'linear-probe'];

for (const id of ids) {
  test(`${id}: one step lowers the loss on its batch and changes only the trainable tensors`, () => {
    const spec = demoMethods().find((m) => m.id === id)!;
    const prepared = spec.prepare(freshModel(tinyBase(), 0));
    const trainableNames = new Set(prepared.module.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n));
    assert.is(trainableNames.size > 0, true);
    assert.is(prepared.trainable.reduce((n, p) => n + p.numel(), 0), prepared.trainableParams);
    const before = snapshot(prepared.module);
    const optimizer = new AdamW(prepared.trainable, { lr: 1e-3 });
    prepared.module.train();
    const loss = crossEntropy(prepared.logits(batch.pixels), batch.labels);
    loss.backward();
    optimizer.step();
    const after = noGrad(() => crossEntropy(prepared.logits(batch.pixels), batch.labels)).item();
    assert.ok(after < loss.item(), `loss ${loss.item()} → ${after}`);
    for (const [name, values] of snapshot(prepared.module)) {
      const old = before.get(name)!;
      const changed = values.some((v, i) => v !== old[i]);
      if (trainableNames.has(name)) assert.ok(changed, `${name} trains but did not change`);
      else assert.not.ok(changed, `${name} is frozen but changed`);
    }
    if (id === 'linear-probe') assert.ok([...trainableNames].every((n) => n.startsWith('classifier.')));
    if (id === 'full') assert.is(prepared.trainableParams, prepared.totalParams);
    if (id.startsWith('frod') || id === 'lora') {
      const prefix = id === 'lora' ? '.lora_' : '.frod_lambda';
      assert.ok([...trainableNames].every((n) => n.includes(prefix) || n.includes('.modules_to_save.default.')), [...trainableNames].join(', '));
    }
  });
}

test('every method starts from the same weights and the same new head', () => {
  const base = tinyBase(4);
  const outputs = ids.map((id) => {
    const prepared = demoMethods().find((m) => m.id === id)!.prepare(freshModel(base, 7));
    return evaluate(prepared.module, prepared.logits, data.test).predictions;
  });
  for (const p of outputs.slice(1)) assert.equal(Array.from(p), Array.from(outputs[0]));
  const otherHead = demoMethods()[3].prepare(freshModel(base, 8));
  const differs = evaluate(otherHead.module, otherHead.logits, data.test).predictions;
  assert.ok(differs.some((v, i) => v !== outputs[0][i]), 'another seed gives another head');
});

test('a trained FRoD adapter saved in the PEFT layout reloads into a fresh base model with the same predictions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-demo-adapter-'));
  try {
    const base = tinyBase(2);
    const spec = demoMethods({ frod: 3e-2 }).find((m) => m.id === 'frod')!;
    const settings = { ...DEMO_PRESETS.quick, steps: 6, batchSize: 8 };
    const { prepared, history } = trainMethod(spec, base, { train: data.train, validation: data.validation }, settings, { seed: 0, progress: false });
    assert.is(history.lossCurve.length, 6);
    assert.equal(history.validationCurve.map((p) => p.step), [6]);
    const trained = evaluate(prepared.module, prepared.logits, data.test);
    prepared.peft!.savePretrained(dir);
    const reloaded = PeftModel.fromPretrained(tinyBase(2).model, dir);
    const again = evaluate(reloaded, (x) => reloaded.forward(x as never) as Tensor, data.test);
    assert.equal(Array.from(again.predictions), Array.from(trained.predictions));
    assert.is(again.accuracy, trained.accuracy);
    const untouched = evaluate(base.model, (x) => base.model.forward(x), data.test);
    assert.ok(Math.abs(untouched.loss - trained.loss) > 1e-6, 'training changed the model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parameter groups: FRoD\'s S values get sScale × the rate, λ and the head the rate; other methods one group', () => {
  const base = tinyBase(3);
  for (const spec of demoMethods()) {
    const prepared = spec.prepare(freshModel(base, 0));
    const groups = parameterGroups(prepared, 0.05, 0.1);
    assert.equal(new Set(groups.flatMap((g) => g.params)), new Set(prepared.trainable), `${spec.id}: every trainable tensor once`);
    assert.is(groups.flatMap((g) => g.params).length, prepared.trainable.length);
    const names = new Map(prepared.module.namedParameters().map(([name, p]) => [p, name]));
    if (spec.id.startsWith('frod')) {
      assert.equal(groups.map((g) => g.lr), [0.05, 0.05 * 0.1]);
      assert.ok(groups[1].params.every((p) => names.get(p)!.includes('.frod_lambda_s_values.')));
      assert.ok(groups[0].params.every((p) => !names.get(p)!.includes('.frod_lambda_s_values.')));
      assert.ok(groups[0].params.some((p) => names.get(p)!.includes('.frod_lambda_l.')));
    } else {
      assert.equal(groups.map((g) => g.lr), [0.05], spec.id);
    }
  }
});

test('a FRoD step with S at rate 0 moves λ but leaves S at zero', () => {
  const spec = demoMethods().find((m) => m.id === 'frod')!;
  const prepared = spec.prepare(freshModel(tinyBase(4), 0));
  const optimizer = new AdamW(parameterGroups(prepared, 1e-2, 0), { lr: 1e-2 });
  const before = snapshot(prepared.module);
  optimizer.zeroGrad();
  crossEntropy(prepared.logits(batch.pixels), batch.labels).backward();
  optimizer.step();
  const after = snapshot(prepared.module);
  const moved = (part: string) => [...after].filter(([name]) => name.includes(part))
    .some(([name, values]) => values.some((v, i) => v !== before.get(name)![i]));
  assert.ok(moved('.frod_lambda_l.'), 'λ trains');
  assert.not.ok(moved('.frod_lambda_s_values.'), 'S stays');
});

test.run();
