/**
 * `frod` on Hugging Face model folders: one model.safetensors or shards with model.safetensors.index.json,
 * read tensor by tensor. A sharded folder gives the same adapter and the same merged weights as the same
 * model in one file; the streamed merge gives the bytes of the in-memory library path; `merge --out DIR`
 * keeps the sharding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MODEL_SHAPES } from '../../scripts/model-shapes';
import { weightsFromStateDict, mergeWeightsWithAdapter } from '../../src/frod/functional';
import { FrodConfig } from '../../src/frod/config';
import { encodeEntry } from '../../src/nn/io/convert';
import { loadSafetensors } from '../../src/nn/io/safetensors';
import { serializeSafetensorsHeader } from '../../src/nn/io/format';
import { bytesEqual, cleanTemp, frod, tempDir } from './helpers';
import { adapterConfig, modelEntries, shardContents, tinyModel } from './models';

test.after.each(cleanTemp);

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

test('make-model: the full shapes have the real tensor counts and parameter counts', () => {
  const count = (name: string, skip: RegExp = /$^/) => {
    const { tensors } = MODEL_SHAPES[name]();
    return { tensors: tensors.length, parameters: tensors.filter((t) => !skip.test(t.name)).reduce((s, t) => s + numel(t.shape), 0) };
  };
  assert.equal(count('llama-3.2-1b'), { tensors: 146, parameters: 1_235_814_400 }); // Llama-3.2-1B: 1.24B, tied lm_head
  assert.equal(count('bert-base'), { tensors: 201, parameters: 109_483_778 }); // bert-base-uncased + a 2-label classifier
  assert.equal(count('gpt2', /\.attn\.bias$/), { tensors: 160, parameters: 124_439_808 }); // gpt2: 124M (+ 12 mask buffers)
  const llama = MODEL_SHAPES['llama-3.2-1b']();
  assert.equal(llama.tensors.find((t) => t.name === 'model.layers.15.self_attn.k_proj.weight')?.shape, [512, 2048]);
  assert.is(llama.config.num_key_value_heads, 8);
});

test('make-model: shards split the tensors in state-dict order, the index names every one, values do not depend on the sharding', async () => {
  const sharded = await tinyModel('llama-tiny', { shards: 3, dtype: 'bf16' });
  const single = await tinyModel('llama-tiny', { dtype: 'bf16' });
  const index = JSON.parse(fs.readFileSync(path.join(sharded, 'model.safetensors.index.json'), 'utf8'));
  const contents = shardContents(sharded);
  assert.equal(Object.keys(contents), ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  for (const [file, names] of Object.entries(contents)) for (const name of names) assert.is(index.weight_map[name], file);
  const a = modelEntries(sharded);
  const b = modelEntries(path.join(single, 'model.safetensors'));
  assert.equal([...a.keys()].sort(), [...b.keys()].sort());
  let total = 0;
  for (const [name, entry] of a) {
    assert.ok(bytesEqual(entry.bytes, b.get(name)!.bytes), name);
    total += entry.bytes.length;
  }
  assert.is(index.metadata.total_size, total);
});

test('init: a sharded folder and the same model in one file give byte-identical adapters', async () => {
  const config = adapterConfig({ target_modules: ['q_proj', 'v_proj', 'down_proj'], sparse_rate: 0.05 });
  const sharded = await tinyModel('llama-tiny', { shards: 3 });
  const single = await tinyModel('llama-tiny');
  const out = tempDir();
  for (const [base, name] of [[sharded, 'a'], [path.join(single, 'model.safetensors'), 'b']]) {
    const run = await frod(['init', '--base', base, '--config', config, '--out', path.join(out, name)]);
    assert.is(run.code, 0, run.stderr);
  }
  for (const file of ['adapter_config.json', 'adapter_model.safetensors']) {
    assert.ok(bytesEqual(fs.readFileSync(path.join(out, 'a', file)), fs.readFileSync(path.join(out, 'b', file))), file);
  }
});

test('merge: the streamed output has the bytes of the in-memory library merge, adapted or not', async () => {
  const base = await tinyModel('llama-tiny', { shards: 2, dtype: 'bf16' });
  const config = adapterConfig({ target_modules: ['q_proj', 'v_proj'], init_weights: false, sparse_rate: 0.1 });
  const work = tempDir();
  assert.is((await frod(['init', '--base', base, '--config', config, '--out', path.join(work, 'adapter')])).code, 0);
  const merge = await frod(['merge', '--base', base, '--adapter', path.join(work, 'adapter'), '--out', path.join(work, 'merged.safetensors')]);
  assert.is(merge.code, 0, merge.stderr);
  assert.match(merge.stdout, /6 adapted weights in 2 categories merged, 23 tensors copied unchanged/);
  // The non-streaming path: every tensor decoded in memory, the library's merge, encoded in the base dtype.
  const stateDict: Record<string, ReturnType<typeof loadSafetensors>['tensors'][string]> = {};
  for (const file of fs.readdirSync(base).filter((f) => f.endsWith('.safetensors'))) Object.assign(stateDict, loadSafetensors(path.join(base, file)).tensors);
  const adapter = loadSafetensors(path.join(work, 'adapter', 'adapter_model.safetensors')).tensors;
  const frodConfig = FrodConfig.fromJSON(JSON.parse(fs.readFileSync(path.join(work, 'adapter', 'adapter_config.json'), 'utf8')));
  const merged = mergeWeightsWithAdapter(weightsFromStateDict(stateDict, frodConfig), adapter, frodConfig);
  const before = modelEntries(base);
  const after = modelEntries(path.join(work, 'merged.safetensors'));
  assert.equal([...after.keys()].sort(), [...before.keys()].sort());
  for (const [name, entry] of before) {
    const expected = merged.has(name) ? encodeEntry(merged.get(name)!.data(), entry.shape, entry.dtype, name).bytes : entry.bytes;
    assert.ok(bytesEqual(after.get(name)!.bytes, expected), `${name} ${merged.has(name) ? 'merged' : 'copied'} as in memory`);
    assert.is(after.get(name)!.dtype, entry.dtype);
  }
  assert.ok(merged.size === 6 && [...merged.keys()].every((n) => /q_proj|v_proj/.test(n)));
});

test('merge --out DIR keeps the sharding: same shard files and tensors, index rewritten, config and tokenizer copied, other weight formats not', async () => {
  const base = await tinyModel('llama-tiny', { shards: 3 });
  fs.writeFileSync(path.join(base, 'tokenizer.json'), '{"model": {}}');
  fs.writeFileSync(path.join(base, 'pytorch_model.bin'), 'unmerged weights');
  fs.mkdirSync(path.join(base, 'original'));
  const config = adapterConfig({ target_modules: ['o_proj'], init_weights: false });
  const work = tempDir();
  assert.is((await frod(['init', '--base', base, '--config', config, '--out', path.join(work, 'adapter')])).code, 0);
  const out = path.join(work, 'merged');
  const merge = await frod(['merge', '--base', base, '--adapter', path.join(work, 'adapter'), '--out', out]);
  assert.is(merge.code, 0, merge.stderr);
  assert.match(merge.stdout, /\(.*, 3 shards\): 3 adapted weights/);
  assert.equal(fs.readdirSync(out).sort(), ['config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors',
    'model-00003-of-00003.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
  assert.equal(shardContents(out), shardContents(base));
  for (const file of ['config.json', 'tokenizer.json']) assert.ok(bytesEqual(fs.readFileSync(path.join(out, file)), fs.readFileSync(path.join(base, file))), file);
  const index = JSON.parse(fs.readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index, JSON.parse(fs.readFileSync(path.join(base, 'model.safetensors.index.json'), 'utf8')));
  const changed = [...modelEntries(out)].filter(([name, e]) => !bytesEqual(e.bytes, modelEntries(base).get(name)!.bytes)).map(([n]) => n);
  assert.equal(changed.sort(), [0, 1, 2].map((i) => `model.layers.${i}.self_attn.o_proj.weight`));
  // The same merge into one file holds every tensor with the same bytes.
  const file = path.join(work, 'merged.safetensors');
  assert.is((await frod(['merge', '--base', base, '--adapter', path.join(work, 'adapter'), '--out', file])).code, 0);
  const one = modelEntries(file);
  for (const [name, entry] of modelEntries(out)) assert.ok(bytesEqual(one.get(name)!.bytes, entry.bytes), name);
});

test('merge --out DIR over a previous merged folder replaces it; a folder holding other files is refused', async () => {
  const base = await tinyModel('gpt2-tiny');
  const config = adapterConfig({ target_modules: ['c_attn'], fan_in_fan_out: true });
  const work = tempDir();
  assert.is((await frod(['init', '--base', base, '--config', config, '--out', path.join(work, 'adapter')])).code, 0);
  const out = path.join(work, 'merged');
  const args = ['merge', '--base', base, '--adapter', path.join(work, 'adapter'), '--out', out];
  assert.is((await frod(args)).code, 0);
  const again = await frod(args);
  assert.is(again.code, 0, again.stderr);
  assert.equal(fs.readdirSync(out).sort(), ['config.json', 'model.safetensors']);
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const refused = await frod(args);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /merged: already exists and holds other files \(notes\.txt\)/);
});

test('merge --out over earlier outputs keeps each replaced file\'s mode and (as root) owner: one file, and a sharded folder\'s shards, index and config.json (issue 11, item 3)', async () => {
  const base = await tinyModel('llama-tiny', { shards: 2 });
  const work = tempDir();
  assert.is((await frod(['init', '--base', base, '--config', adapterConfig({ target_modules: ['q_proj'] }), '--out', path.join(work, 'adapter')])).code, 0);
  const file = path.join(work, 'merged.safetensors');
  const folder = path.join(work, 'merged');
  const merge = (out: string) => frod(['merge', '--base', base, '--adapter', path.join(work, 'adapter'), '--out', out]);
  for (const out of [file, folder]) assert.is((await merge(out)).code, 0);
  const replaced = [file, ...fs.readdirSync(folder).map((name) => path.join(folder, name))];
  assert.is(replaced.length, 5, 'two shards, the index and config.json');
  const owner = process.getuid?.() === 0 ? { uid: 4321, gid: 4322 } : null; // only root may give files away
  for (const target of replaced) {
    fs.chmodSync(target, 0o640);
    if (owner) fs.chownSync(target, owner.uid, owner.gid);
  }
  const before = replaced.map((target) => fs.readFileSync(target));
  for (const out of [file, folder]) {
    const run = await merge(out);
    assert.is(run.code, 0, run.stderr);
  }
  replaced.forEach((target, i) => {
    const stat = fs.statSync(target);
    assert.is(stat.mode & 0o777, 0o640, `${path.basename(target)} keeps its mode`);
    if (owner) assert.equal([stat.uid, stat.gid], [owner.uid, owner.gid], `${path.basename(target)} keeps its owner`);
    assert.ok(bytesEqual(fs.readFileSync(target), before[i]), `${path.basename(target)}: the same bytes`);
  });
});

test('inspect: a model folder (shards, model_type) from its headers; --json lists every tensor with its shard', async () => {
  const base = await tinyModel('llama-tiny', { shards: 2 });
  const text = await frod(['inspect', base]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^model .*llama-tiny \(llama, LlamaForCausalLM; 2 files, .*, 29 tensors, /);
  assert.match(text.stdout, /model-00002-of-00002\.safetensors/);
  const json = JSON.parse((await frod(['inspect', base, '--json'])).stdout);
  assert.is(json.kind, 'model');
  assert.is(json.tensors.length, 29);
  assert.is(json.tensors.find((t: { name: string }) => t.name === 'model.norm.weight').shard, 'model-00002-of-00002.safetensors');
});

test('inspect reads only the header: a 6 GiB file whose data is never written (sparse) is listed at once', async () => {
  const file = path.join(tempDir(), 'huge.safetensors');
  const header = serializeSafetensorsHeader(new Map([['w', { dtype: 'BF16' as const, shape: [49152, 65536] }]]), { format: 'pt' });
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, header.bytes);
  fs.ftruncateSync(fd, header.fileLength);
  fs.closeSync(fd);
  const run = await frod(['inspect', file, '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.is(JSON.parse(run.stdout).bytes, header.fileLength);
  assert.ok(header.fileLength > 6 * 2 ** 30);
});

test.run();
