/**
 * Inference mode trains nothing: an adapter created with `inferenceMode: true`, or loaded without `isTrainable`
 * (PeftModel.fromPretrained, loadAdapter), leaves no parameter of the model with requiresGrad — for every bias
 * mode (none, all, <method>_only) and with modules_to_save, for FRoD and LoRA (the rule lives in the shared tuner,
 * src/peft/tuner.ts). PEFT's test_loading_model_requires_grad_set_correctly checks the same for its default
 * bias ("assert all(not p.requires_grad for p in model.parameters())"). Each case is paired with the same
 * model in training mode, where something does train, so that the count can tell the two apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import '../../src/frod/model'; // registers FRoD with getPeftModel / fromPretrained
import { LoraConfig } from '../../src/lora';
import { getPeftModel } from '../../src/peft/mapping';
import type { PeftConfig } from '../../src/peft/config';
import { PeftModel } from '../../src/peft/peftModel';
import { TinyModel } from './helpers';

const TARGETS = ['q_proj', 'v_proj', 'up_proj', 'down_proj'];

interface Method {
  name: string;
  biasModes: readonly string[];
  config(options: { bias: string; modulesToSave: string[] | null; inferenceMode?: boolean }): PeftConfig;
}

const METHODS: Method[] = [
  {
    name: 'FRoD',
    biasModes: ['none', 'all', 'frod_only'],
    config: ({ bias, modulesToSave, inferenceMode = false }) => new FrodConfig({
      targetModules: TARGETS, sparseRate: 0.2, progressbar: false, bias: bias as FrodConfig['bias'], modulesToSave, inferenceMode,
    }),
  },
  {
    name: 'LoRA',
    biasModes: ['none', 'all', 'lora_only'],
    config: ({ bias, modulesToSave, inferenceMode = false }) => new LoraConfig({
      r: 2, targetModules: TARGETS, bias: bias as LoraConfig['bias'], modulesToSave, inferenceMode,
    }),
  },
];

/** The names of the parameters that would train (requiresGrad), counted from the parameters themselves. */
const trainable = (peft: PeftModel) => peft.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);

const model = () => new TinyModel(3, 2, 'float64', 11);

/** A saved adapter of `config` (trained mode) in a fresh temporary directory; `use` gets its path. */
function withSavedAdapter(config: PeftConfig, use: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'frod-inference-'));
  try {
    getPeftModel(model(), config).savePretrained(dir);
    use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const method of METHODS) {
  for (const bias of method.biasModes) {
    for (const modulesToSave of [null, ['classifier']]) {
      const label = `${method.name}, bias ${bias}${modulesToSave ? ', modules_to_save' : ''}`;
      const options = { bias, modulesToSave };

      test(`${label}: getPeftModel with inferenceMode trains nothing (training mode trains something)`, () => {
        assert.ok(trainable(getPeftModel(model(), method.config(options))).length > 0, 'training mode');
        const peft = getPeftModel(model(), method.config({ ...options, inferenceMode: true }));
        assert.equal(trainable(peft), []);
        peft.train();
        peft.setAdapter('default');
        assert.equal(trainable(peft), [], 'still nothing after train() and setAdapter');
      });

      test(`${label}: PeftModel.fromPretrained without isTrainable trains nothing (with isTrainable it does)`, () => {
        withSavedAdapter(method.config(options), (dir) => {
          assert.ok(trainable(PeftModel.fromPretrained(model(), dir, { isTrainable: true })).length > 0, 'isTrainable');
          const loaded = PeftModel.fromPretrained(model(), dir);
          assert.equal(trainable(loaded), []);
          assert.is(loaded.peftConfig.get('default')?.inferenceMode, true);
        });
      });

      test(`${label}: an adapter added with loadAdapter (not trainable) trains nothing once active`, () => {
        withSavedAdapter(method.config(options), (dir) => {
          // One adapter with a bias at most (PEFT's rule): the trainable one beside it has bias none.
          const peft = getPeftModel(model(), method.config({ bias: 'none', modulesToSave }));
          const before = trainable(peft);
          peft.loadAdapter(dir, 'loaded');
          assert.equal(trainable(peft), before, 'loading does not change what trains');
          peft.setAdapter('loaded');
          assert.equal(trainable(peft), []);
          peft.setAdapter('default');
          assert.equal(trainable(peft), before, 'the trainable adapter trains again');
        });
      });
    }
  }
}

test.run();
