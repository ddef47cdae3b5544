/**
 * What `frod init` takes from a base's config.json, as PEFT takes it from the model (PEFT's
 * `_prepare_adapter_config`, `_create_new_module` and the task-specific PeftModel classes): default targets by
 * model_type when target_modules is absent, fan_in_fan_out forced for GPT-2's Conv1D with PEFT's warning,
 * task_type's heads in modules_to_save, "all-linear" from the architecture's layer types. And an adapter made
 * by the CLI on a folder is the one the library makes on a model built from the same config.json, and loads
 * there (BERT, GPT-2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import '../../src/frod/model';
import { getPeftModel } from '../../src/peft/mapping';
import { PeftModel } from '../../src/peft/peftModel';
import { BertForSequenceClassification, GPT2LMHeadModel, bertConfigFromHf, gpt2ConfigFromHf } from '../../src/nn/models';
import type { Module } from '../../src/nn/module';
import { loadSafetensors } from '../../src/nn/io/safetensors';
import { noGrad } from '../../src/autograd';
import { type Tensor, tensor } from '../../src/tensor';
import { assertOneLineFailure, bytesEqual, cleanTemp, frod, maxAbsDiff, readSafetensors, tempDir } from './helpers';
import { adapterConfig, tinyModel } from './models';

test.after.each(cleanTemp);

/** Runs `frod init` on `base` with an adapter config made of `json`; returns the run and the adapter dir. */
async function init(base: string, json: Record<string, unknown>, extra: string[] = []) {
  const out = path.join(tempDir(), 'adapter');
  const run = await frod(['init', '--base', base, '--config', adapterConfig(json), '--out', out, ...extra]);
  return { run, out };
}

const savedConfig = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
const adaptedModules = (dir: string) => [...readSafetensors(path.join(dir, 'adapter_model.safetensors')).entries.keys()]
  .filter((k) => k.endsWith('.frod_lambda_l')).map((k) => k.slice('base_model.model.'.length, -'.frod_lambda_l'.length)).sort();

test('target_modules absent: config.json\'s model_type gives PEFT\'s default targets (folder, or config.json beside a file)', async () => {
  const llama = await tinyModel('llama-tiny');
  const { run, out } = await init(llama, {});
  assert.is(run.code, 0, run.stderr);
  assert.equal(savedConfig(out).target_modules, ['q_proj', 'v_proj']);
  assert.equal(adaptedModules(out), [0, 1, 2].flatMap((i) => [`model.layers.${i}.self_attn.q_proj`, `model.layers.${i}.self_attn.v_proj`]));
  const bert = await init(path.join(await tinyModel('bert-tiny'), 'model.safetensors'), { target_modules: null });
  assert.is(bert.run.code, 0, bert.run.stderr);
  assert.equal(savedConfig(bert.out).target_modules, ['query', 'value']);
});

test('target_modules absent and no model_type to go by: one line saying what to write', async () => {
  const lone = path.join(tempDir(), 'model.safetensors');
  fs.copyFileSync(path.join(await tinyModel('llama-tiny'), 'model.safetensors'), lone);
  const { run } = await init(lone, { sparse_rate: 0.1 });
  assertOneLineFailure(run, 1, /adapter_config\.json: target_modules is null and there is no config\.json with a model_type beside .*model\.safetensors to give the model_type for PEFT's default targets; write "target_modules" \(e\.g\. \["q_proj", "v_proj"\]\) in this file$/);
  const odd = await tinyModel('llama-tiny');
  fs.writeFileSync(path.join(odd, 'config.json'), JSON.stringify({ model_type: 'frobnicator' }));
  assertOneLineFailure((await init(odd, {})).run, 1, /adapter_config\.json: FRoD: target_modules is null and model type "frobnicator" has no default target modules: please specify target_modules in the adapter config$/);
});

test('GPT-2 (Conv1D): fan_in_fan_out false is set to true with PEFT\'s warning on stderr; a Linear model gets false', async () => {
  const { run, out } = await init(await tinyModel('gpt2-tiny'), { task_type: 'CAUSAL_LM' });
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stderr, 'frod init: warning: fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.\n');
  assert.is(savedConfig(out).fan_in_fan_out, true);
  assert.equal(adaptedModules(out), ['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
  const llama = await init(await tinyModel('llama-tiny'), { fan_in_fan_out: true });
  assert.match(llama.run.stderr, /^frod init: warning: fan_in_fan_out is set to True but the target module is `torch\.nn\.Linear`\. Setting fan_in_fan_out to False\.\n$/);
  assert.is(savedConfig(llama.out).fan_in_fan_out, false);
});

test('task_type SEQ_CLS adds classifier and score to modules_to_save and saves the head; QUESTION_ANS adds qa_outputs; SEQ_2_SEQ_LM is refused', async () => {
  const base = await tinyModel('bert-tiny');
  const { run, out } = await init(base, { task_type: 'SEQ_CLS' });
  assert.is(run.code, 0, run.stderr);
  assert.equal(savedConfig(out).modules_to_save, ['classifier', 'score']);
  const saved = readSafetensors(path.join(out, 'adapter_model.safetensors'));
  const model = readSafetensors(path.join(base, 'model.safetensors'));
  for (const name of ['classifier.weight', 'classifier.bias']) {
    assert.ok(bytesEqual(saved.entries.get(`base_model.model.${name}`)!.bytes, model.entries.get(name)!.bytes), name);
  }
  const qa = await init(base, { task_type: 'QUESTION_ANS', modules_to_save: ['pooler'] });
  assert.is(qa.run.code, 0, qa.run.stderr);
  assert.equal(savedConfig(qa.out).modules_to_save, ['pooler', 'qa_outputs']);
  assertOneLineFailure((await init(base, { task_type: 'SEQ_2_SEQ_LM' })).run, 1, /adapter_config\.json: task_type "SEQ_2_SEQ_LM" needs an encoder-decoder model/);
});

test('"all-linear" on a model type with known layer types: every Linear but the embeddings and the output layer; refused on a bare file', async () => {
  const llama = await tinyModel('llama-tiny');
  const { run, out } = await init(llama, { target_modules: 'all-linear' });
  assert.is(run.code, 0, run.stderr);
  const names = ['mlp.down_proj', 'mlp.gate_proj', 'mlp.up_proj', 'self_attn.k_proj', 'self_attn.o_proj', 'self_attn.q_proj', 'self_attn.v_proj'];
  assert.equal(adaptedModules(out), [0, 1, 2].flatMap((i) => names.map((n) => `model.layers.${i}.${n}`)));
  const bert = await init(await tinyModel('bert-tiny'), { target_modules: 'ALL-LINEAR', task_type: 'SEQ_CLS' });
  assert.is(bert.run.code, 0, bert.run.stderr);
  assert.not.ok(adaptedModules(bert.out).some((m) => m.includes('embeddings') || m === 'classifier'));
  const lone = path.join(tempDir(), 'model.safetensors');
  fs.copyFileSync(path.join(llama, 'model.safetensors'), lone);
  assertOneLineFailure((await init(lone, { target_modules: 'all-linear' })).run, 1, /target_modules "all-linear" needs the model's layer types, and the base has no config\.json saying its model_type/);
});

/** A library model built from a folder's config.json, its weights loaded from the folder. */
function libraryModel(dir: string): Module {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const { tensors } = loadSafetensors(path.join(dir, 'model.safetensors'));
  if (json.model_type === 'bert') {
    const model = new BertForSequenceClassification({ ...bertConfigFromHf(json), seed: 1 });
    model.loadHf(tensors);
    return model.eval();
  }
  const model = new GPT2LMHeadModel({ ...gpt2ConfigFromHf(json), seed: 1 });
  model.loadHf(tensors);
  return model.eval();
}

for (const [shape, targets] of [['bert-tiny', ['query', 'value']], ['gpt2-tiny', ['c_attn']]] as const) {
  test(`${shape}: the CLI's adapter is the library's on a model built from config.json, and loads there`, async () => {
    const base = await tinyModel(shape);
    const { run, out } = await init(base, { sparse_rate: 0.05, fan_in_fan_out: shape === 'gpt2-tiny' });
    assert.is(run.code, 0, run.stderr);
    const library = getPeftModel(libraryModel(base), new FrodConfig({ targetModules: [...targets], sparseRate: 0.05, fanInFanOut: shape === 'gpt2-tiny' }));
    const libraryDir = path.join(tempDir(), 'library');
    library.savePretrained(libraryDir);
    const mine = readSafetensors(path.join(out, 'adapter_model.safetensors'));
    const theirs = readSafetensors(path.join(libraryDir, 'adapter_model.safetensors'));
    assert.equal([...mine.entries.keys()].sort(), [...theirs.entries.keys()].sort());
    for (const [name, entry] of theirs.entries) assert.ok(bytesEqual(mine.entries.get(name)!.bytes, entry.bytes), name);
    const loaded = PeftModel.fromPretrained(libraryModel(base), out);
    const plain = libraryModel(base);
    const ids = tensor(new Int32Array([1, 5, 3, 7]), { dtype: 'int32', shape: [1, 4] });
    const logits = (model: Module) => {
      const value = noGrad(() => (model as unknown as { forward(ids: Tensor): unknown }).forward(ids));
      return (((value as { logits?: unknown }).logits ?? value) as Tensor).data();
    };
    assert.ok(maxAbsDiff(logits(loaded), logits(plain)) < 1e-4, 'a fresh adapter leaves the outputs');
  });
}

test.run();
