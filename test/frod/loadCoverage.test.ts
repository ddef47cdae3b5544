/**
 * Loading a FRoD adapter checks that its file covers exactly the modules its config targets in this model, by
 * each of FRoD's two per-module tensors (λ and the S values) on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readAdapterDir, writeAdapterDir } from '../../src/frod/checkpoint';
import { FrodConfig } from '../../src/frod/config';
import { lambdaKey, sValuesKey } from '../../src/frod/keys';
import { getPeftModel } from '../../src/frod/model';
import { PeftModel } from '../../src/peft/peftModel';
import type { Tensor } from '../../src/tensor';
import { TinyModel } from './helpers';

const Q = 'model.layers.0.self_attn.q_proj';
const V = 'model.layers.0.self_attn.v_proj';

/** Saves a fresh q_proj + v_proj adapter, lets `edit` change its tensors and config, and loads it into a new model. */
function loadEdited(edit: (tensors: Record<string, Tensor>) => FrodConfig): PeftModel {
  const dir = mkdtempSync(join(tmpdir(), 'frod-cover-'));
  try {
    const config = new FrodConfig({ targetModules: ['q_proj', 'v_proj'], sparseRate: 0.25, progressbar: false });
    getPeftModel(new TinyModel(4, 1, 'float32', 5), config).savePretrained(dir);
    const { tensors } = readAdapterDir(dir);
    writeAdapterDir(dir, edit(tensors), tensors);
    return PeftModel.fromPretrained(new TinyModel(4, 1, 'float32', 5), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const qOnly = new FrodConfig({ targetModules: ['q_proj'], sparseRate: 0.25, progressbar: false });
const both = qOnly.with({ targetModules: ['q_proj', 'v_proj'] });

test('a λ of a module the config does not target is refused, naming the key and the module', () => {
  assert.throws(() => loadEdited((t) => { delete t[sValuesKey(V)]; return qOnly; }),
    (err: Error) => err.message === `FRoD: the adapter has '${lambdaKey(V)}' but its config does not target module '${V}' in this model`);
});

test('S values of a module the config does not target are refused, naming the key and the module', () => {
  assert.throws(() => loadEdited((t) => { delete t[lambdaKey(V)]; return qOnly; }),
    (err: Error) => err.message === `FRoD: the adapter has '${sValuesKey(V)}' but its config does not target module '${V}' in this model`);
});

test('a targeted module without its λ is refused, naming the module and the missing key', () => {
  assert.throws(() => loadEdited((t) => { delete t[lambdaKey(Q)]; return both; }),
    (err: Error) => err.message === `FRoD: the config targets module '${Q}' but the adapter has no '${lambdaKey(Q)}'`);
});

test('the unedited file loads (the edits above are what the errors are about)', () => {
  const model = loadEdited(() => both);
  assert.ok(model.getSubmodule(`base_model.model.${Q}`) !== undefined);
});

test.run();
