/**
 * Bad model folders, for `frod init`, `merge` and `inspect`: a missing shard, a shard tensor the index does
 * not list, an index entry its shard lacks, a tensor in two shards, an index that is not JSON or names a
 * path outside the folder, a config.json without model_type — each one line naming the file, status 1,
 * nothing written (the folder and everything beside it unchanged).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { assertOneLineFailure, assertUnchanged, cleanTemp, frod, snapshot, tempDir } from './helpers';
import { modelEntries, tinyModel } from './models';

test.after.each(cleanTemp);

const INDEX = 'model.safetensors.index.json';
const SHARD = (i: number) => `model-0000${i}-of-00003.safetensors`;

/** A sharded llama-tiny folder damaged by `damage`, with an adapter config beside it. */
async function damagedFolder(damage: (dir: string) => void): Promise<{ root: string; model: string; config: string }> {
  const model = await tinyModel('llama-tiny', { shards: 3 });
  const root = path.dirname(model);
  const config = path.join(root, 'adapter_config.json');
  fs.writeFileSync(config, JSON.stringify({ peft_type: 'FROD', target_modules: ['q_proj'] }));
  damage(model);
  return { root, model, config };
}

/** Every command on the damaged folder fails with one line matching `pattern`, and writes nothing. */
async function failsEverywhere(damage: (dir: string) => void, pattern: RegExp): Promise<void> {
  const adapter = await makeAdapter();
  const { root, model, config } = await damagedFolder(damage);
  const runs = [
    ['init', '--base', model, '--config', config, '--out', path.join(root, 'out')],
    ['merge', '--base', model, '--adapter', adapter, '--out', path.join(root, 'merged')],
    ['merge', '--base', model, '--adapter', adapter, '--out', path.join(root, 'merged.safetensors')],
    ['inspect', model],
  ];
  for (const args of runs) {
    const before = snapshot(root);
    assertOneLineFailure(await frod(args), 1, new RegExp(`^frod ${args[0]}: `), pattern);
    assertUnchanged(root, before);
  }
}

/** An adapter for llama-tiny's q_proj, made from an intact folder. */
async function makeAdapter(): Promise<string> {
  const { model, config } = await damagedFolder(() => undefined);
  const dir = path.join(tempDir(), 'adapter');
  const run = await frod(['init', '--base', model, '--config', config, '--out', dir]);
  if (run.code !== 0) throw new Error(run.stderr);
  return dir;
}

const editIndex = (dir: string, edit: (index: { weight_map: Record<string, string> }) => void) => {
  const file = path.join(dir, INDEX);
  const index = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(index);
  fs.writeFileSync(file, JSON.stringify(index));
};

/** Rewrites shard `i` with `edit` applied to its tensors. */
const editShard = (dir: string, i: number, edit: (entries: Map<string, RawEntry>) => void) => {
  const file = path.join(dir, SHARD(i));
  const entries = modelEntries(file);
  edit(entries);
  fs.writeFileSync(file, serializeSafetensors(entries, { format: 'pt' }));
};

test('a shard the index names is missing', async () => {
  await failsEverywhere((dir) => fs.rmSync(path.join(dir, SHARD(2))), /model-00002-of-00003\.safetensors: no such file \(model\.safetensors\.index\.json puts \d+ tensors in it\)$/);
});

test('a shard holds a tensor the index does not list', async () => {
  await failsEverywhere((dir) => editIndex(dir, (index) => { delete index.weight_map['model.norm.weight']; }),
    /model\.safetensors\.index\.json: does not list tensor 'model\.norm\.weight', which .*model-0000\d-of-00003\.safetensors holds$/);
});

test('the index puts a tensor in a shard that does not hold it', async () => {
  await failsEverywhere((dir) => editIndex(dir, (index) => { index.weight_map['model.norm.weight'] = SHARD(1); }),
    /model-00001-of-00003\.safetensors: has no tensor 'model\.norm\.weight', which model\.safetensors\.index\.json puts there; it is in .*model-00003-of-00003\.safetensors$/);
});

test('a tensor in two shards', async () => {
  await failsEverywhere((dir) => editShard(dir, 2, (entries) => {
    entries.set('model.embed_tokens.weight', modelEntries(path.join(dir, SHARD(1))).get('model.embed_tokens.weight')!);
  }), /model-00002-of-00003\.safetensors: holds tensor 'model\.embed_tokens\.weight', which .*model-00001-of-00003\.safetensors holds too/);
});

test('an index that is not JSON, has no weight_map, or names a file outside the folder', async () => {
  await failsEverywhere((dir) => fs.writeFileSync(path.join(dir, INDEX), '{"weight_map": {'), /model\.safetensors\.index\.json: is not valid JSON/);
  await failsEverywhere((dir) => fs.writeFileSync(path.join(dir, INDEX), '{"metadata": {}}'), /model\.safetensors\.index\.json: expected a JSON object with a "weight_map" object/);
  await failsEverywhere((dir) => editIndex(dir, (index) => { index.weight_map['model.norm.weight'] = '../model-00003-of-00003.safetensors'; }),
    /model\.safetensors\.index\.json: weight_map puts tensor 'model\.norm\.weight' in "\.\.\/model-00003-of-00003\.safetensors"; expected the file name of a shard in the same folder$/);
});

test('a config.json without model_type, or not JSON', async () => {
  await failsEverywhere((dir) => fs.writeFileSync(path.join(dir, 'config.json'), '{"hidden_size": 32}'), /config\.json: has no "model_type"; expected a Hugging Face model config/);
  await failsEverywhere((dir) => fs.writeFileSync(path.join(dir, 'config.json'), 'hidden_size = 32'), /config\.json: is not valid JSON/);
});

test('a damaged shard names the shard', async () => {
  await failsEverywhere((dir) => {
    const file = path.join(dir, SHARD(3));
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
  }, /model-00003-of-00003\.safetensors: not a valid safetensors file/);
});

test.run();
