/**
 * The `frod` program itself: help, version, inspect output (text and JSON) checked against the files,
 * replacing a previous adapter, dtypes other than F32, and a few runs of the real `bin/frod.js`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { encodeEntry } from '../../src/nn/io/convert';
import { VERSION, runCli } from '../../src/cli/program';
import {
  ROOT, assertOneLineFailure, bytesEqual, cleanTemp, copyGolden, frod, maxAbs, maxAbsDiff, readSafetensors, spawnFrod, tempDir, values,
} from './helpers';

test.after.each(cleanTemp);

test('--version prints the package version; --help lists the commands and the global option', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.is(VERSION, pkg.version);
  const version = await frod(['--version']);
  assert.equal(version, { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  const help = await frod(['--help']);
  assert.is(help.code, 0);
  for (const word of ['init', 'merge', 'inspect', '--no-progress', '--version']) assert.ok(help.stdout.includes(word), word);
  const bare = await frod([]);
  assert.is(bare.code, 1, 'frod without a command shows help and fails');
  assert.match(bare.stderr, /Usage: frod/);
});

for (const [command, options] of [
  ['init', ['--base', '--config', '--out', '--adapter-name']],
  ['merge', ['--base', '--adapter', '--out', '--safe']],
  ['inspect', ['<path>', '--json']],
] as const) {
  test(`${command} --help and help ${command} describe every option`, async () => {
    const viaOption = await frod([command, '--help']);
    const viaCommand = await frod(['help', command]);
    assert.is(viaOption.code, 0);
    assert.is(viaCommand.code, 0);
    assert.is(viaOption.stdout, viaCommand.stdout);
    assert.match(viaOption.stdout, new RegExp(`^Usage: frod ${command} `));
    for (const option of options) assert.ok(viaOption.stdout.includes(option), option);
    assert.ok(viaOption.stdout.endsWith('\n'));
  });
}

test('inspect DIR: categories, modules and trainable parameters agree with case.json (text and --json)', async () => {
  for (const name of ['stack', 'bert', 'gpt2']) {
    const dir = copyGolden(name);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as {
      targets: string[]; categories: Record<string, { modules: string[]; in: number; nnz: number }>;
    };
    const json = await frod(['inspect', path.join(dir, 'adapter'), '--json']);
    assert.is(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.is(report.kind, 'adapter');
    assert.is(report.config.peft_type, 'FROD');
    const byName = Object.fromEntries(report.categories.map((c: { name: string }) => [c.name, c]));
    assert.equal(Object.keys(byName).sort(), Object.keys(info.categories).sort());
    let trainable = 0;
    for (const [category, spec] of Object.entries(info.categories)) {
      assert.is(byName[category].in, spec.in);
      assert.is(byName[category].nnz, spec.nnz);
      assert.equal(byName[category].modules, [...spec.modules].sort());
      assert.is(byName[category].projectionStored, true);
      trainable += spec.modules.length * (spec.in + spec.nnz);
    }
    assert.is(report.trainableParameters, trainable);
    assert.is(report.modules.length, info.targets.length);
    const text = await frod(['inspect', path.join(dir, 'adapter')]);
    assert.is(text.code, 0);
    assert.ok(text.stdout.includes(`trainable params: ${trainable.toLocaleString('en-US')}`));
    for (const category of Object.keys(info.categories)) assert.match(text.stdout, new RegExp(`^${category} +\\d+ +\\d+ +\\d+ +stored$`, 'm'));
    for (const module of info.targets) assert.ok(text.stdout.includes(module), module);
  }
});

test('inspect FILE: names, dtypes, shapes, bytes and metadata of any safetensors file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'mixed.safetensors');
  const entries = new Map<string, RawEntry>([
    ['a.weight', encodeEntry([1, 2, 3, 4, 5, 6], [2, 3], 'F16', 'a.weight')],
    ['b.index', encodeEntry([7, 8], [2], 'I64', 'b.index')],
    ['c.scalar', encodeEntry([0.5], [], 'F64', 'c.scalar')],
  ]);
  fs.writeFileSync(file, serializeSafetensors(entries, { format: 'pt', note: 'hi' }));
  const json = await frod(['inspect', file, '--json']);
  assert.is(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.is(report.kind, 'safetensors');
  assert.equal(report.metadata, { format: 'pt', note: 'hi' });
  assert.is(report.bytes, fs.statSync(file).size);
  assert.equal(report.tensors, [
    { name: 'a.weight', dtype: 'F16', shape: [2, 3], bytes: 12 },
    { name: 'b.index', dtype: 'I64', shape: [2], bytes: 16 },
    { name: 'c.scalar', dtype: 'F64', shape: [], bytes: 8 },
  ]);
  const text = await frod(['inspect', file]);
  assert.match(text.stdout, /^a\.weight +F16 +\(2, 3\) +12$/m);
  assert.match(text.stdout, /^c\.scalar +F64 +\(\) +8$/m);
  assert.match(text.stdout, /metadata: format="pt" note="hi"/);
});

test('init replaces a directory that holds only a previous adapter, and writes into an empty one', async () => {
  const dir = copyGolden('wide');
  const args = ['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out'];
  fs.mkdirSync(path.join(dir, 'empty'));
  const first = await frod([...args, path.join(dir, 'empty')]);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}/);
  assert.match(first.stdout, /^self_query +svd +24 +11 +1$/m);
  const again = await frod([...args, path.join(dir, 'empty')]);
  assert.is(again.code, 0, again.stderr);
  assert.equal(fs.readdirSync(path.join(dir, 'empty')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.equal(fs.readdirSync(dir).filter((n) => n.includes('frod-')), [], 'no temporary directories left behind');
});

test('init accepts a config written with a byte-order mark and only the fields that differ from the defaults', async () => {
  const dir = copyGolden('wide');
  const config = path.join(dir, 'bom.json');
  fs.writeFileSync(config, `\uFEFF${JSON.stringify({ peft_type: 'FROD', target_modules: '.*\\.query', sparse_rate: 0.02 })}`);
  const result = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', config, '--out', path.join(dir, 'out')]);
  assert.is(result.code, 0, result.stderr);
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'adapter_config.json'), 'utf8'));
  assert.is(written.target_modules, '.*\\.query');
  assert.is(written.regularization_alpha, 0.001, 'defaults are written out');
});

test('merge keeps F16 and BF16 weights in their dtype, rounding the merged values', async () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    // A qr-eig case: on the svd path (wide) rounding W moves it out of V's row space, which turns zero
    // columns of U into unit ones and changes W' by O(S); that is the math, not the file handling.
    const dir = copyGolden('stack');
    const base = readSafetensors(path.join(dir, 'base.safetensors'));
    const entries = new Map<string, RawEntry>();
    for (const [name, entry] of base.entries) entries.set(name, encodeEntry(values(base, name).data, entry.shape, dtype, name));
    fs.writeFileSync(path.join(dir, 'half.safetensors'), serializeSafetensors(entries, { format: 'pt' }));
    const out = path.join(dir, 'merged.safetensors');
    const result = await frod(['merge', '--base', path.join(dir, 'half.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', out]);
    assert.is(result.code, 0, result.stderr);
    const merged = readSafetensors(out);
    const expected = readSafetensors(path.join(dir, 'expected.safetensors'));
    const name = 'model.layers.1.self_attn.q_proj.weight';
    assert.is(merged.entries.get(name)!.dtype, dtype);
    const want = values(expected, 'model.layers.1.self_attn.q_proj.merged_weight').data;
    // The base weights were rounded to 16 bits (F16: 2^-11, BF16: 2^-8 relative), and so is W'.
    const tolerance = (dtype === 'F16' ? 2e-3 : 1.5e-2) * maxAbs(want);
    assert.ok(maxAbsDiff(values(merged, name).data, want) <= tolerance, `${dtype} merge close to the reference`);
    assert.ok(bytesEqual(merged.entries.get('model.layers.1.self_attn.q_proj.bias')!.bytes, entries.get('model.layers.1.self_attn.q_proj.bias')!.bytes));
    assert.equal(merged.metadata, { format: 'pt' });
  }
});

test('modules_to_save copies and trained biases go into the adapter, and merge puts them in place', async () => {
  const dir = copyGolden('stack');
  const base = readSafetensors(path.join(dir, 'base.safetensors'));
  const entries = new Map<string, RawEntry>(base.entries);
  entries.set('score.weight', encodeEntry(Array.from({ length: 32 }, (_, i) => i / 7), [2, 16], 'F32', 'score.weight'));
  entries.set('score.bias', encodeEntry([0.25, -0.5], [2], 'F32', 'score.bias'));
  const baseFile = path.join(dir, 'with-head.safetensors');
  fs.writeFileSync(baseFile, serializeSafetensors(entries, base.metadata));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ peft_type: 'FROD', target_modules: ['q_proj', 'score'], modules_to_save: ['score'], bias: 'frod_only', sparse_rate: 0.05 }));
  const init = await frod(['init', '--base', baseFile, '--config', config, '--out', path.join(dir, 'fresh')]);
  assert.is(init.code, 0, init.stderr);
  const adapterFile = path.join(dir, 'fresh', 'adapter_model.safetensors');
  const adapter = readSafetensors(adapterFile);
  assert.ok(bytesEqual(adapter.entries.get('base_model.model.score.weight')!.bytes, entries.get('score.weight')!.bytes), 'score.weight copied');
  assert.ok(adapter.entries.has('base_model.model.score.bias'), 'score.bias copied');
  assert.not.ok([...adapter.entries.keys()].some((k) => k.includes('score.frod_')), 'a module to save is never adapted');
  assert.not.ok([...adapter.entries.keys()].some((k) => k.includes('v_proj')), 'v_proj is not targeted');
  const report = JSON.parse((await frod(['inspect', path.join(dir, 'fresh'), '--json'])).stdout);
  assert.is(report.categories.length, 1);
  assert.ok(report.otherTensors.some((t: { name: string }) => t.name === 'score.weight'));
  // "Train" the copy: the merged file must carry the adapter's values, not the base ones.
  const trained = new Map(adapter.entries);
  trained.set('base_model.model.score.weight', encodeEntry(Array.from({ length: 32 }, (_, i) => -i), [2, 16], 'F32', 'w'));
  fs.writeFileSync(adapterFile, serializeSafetensors(trained, adapter.metadata));
  const out = path.join(dir, 'merged.safetensors');
  const merge = await frod(['merge', '--base', baseFile, '--adapter', path.join(dir, 'fresh'), '--out', out]);
  assert.is(merge.code, 0, merge.stderr);
  const merged = readSafetensors(out);
  assert.equal(Array.from(values(merged, 'score.weight').data), Array.from({ length: 32 }, (_, i) => -i));
  assert.ok(bytesEqual(merged.entries.get('score.bias')!.bytes, entries.get('score.bias')!.bytes));
  assert.ok(bytesEqual(merged.entries.get('model.layers.0.self_attn.v_proj.weight')!.bytes, entries.get('model.layers.0.self_attn.v_proj.weight')!.bytes));
});

test('a command module that fails to load leaves the others working and explains why its command is unknown', async () => {
  let stderr = '';
  let stdout = '';
  const io = { stdout: (t: string) => { stdout += t; }, stderr: (t: string) => { stderr += t; }, progressStream: null, env: {} };
  const loaders = [() => import('../../src/cli/commands/inspect'), () => Promise.reject(new Error('boom: missing export'))];
  const dir = copyGolden('wide');
  assert.is(await runCli(['inspect', path.join(dir, 'base.safetensors')], loaders, io), 0);
  assert.match(stdout, /^safetensors /);
  assert.is(stderr, '');
  stdout = '';
  const status = await runCli(['demo'], loaders, io);
  assertOneLineFailure({ code: status, stdout, stderr }, 2, /^frod: unknown command 'demo' \(a command module failed to load: boom: missing export\)$/);
});

test('FROD_DEBUG=1 adds the stack trace after the one-line message', async () => {
  let stderr = '';
  const io = { stdout: () => undefined, stderr: (t: string) => { stderr += t; }, progressStream: null, env: { FROD_DEBUG: '1' } };
  const result = { code: await runCli(['inspect', '/definitely/not/here'], [() => import('../../src/cli/commands/inspect')], io), stderr };
  assert.is(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  assert.match(lines[0], /^frod inspect: \/definitely\/not\/here: no such file$/);
  assert.ok(lines.length > 1 && /^CliError/.test(lines[1]), 'the stack follows');
});

test('bin/frod.js: a real process runs init, merge and inspect, and fails with one line', () => {
  const dir = copyGolden('gpt2');
  const base = path.join(dir, 'base.safetensors');
  const init = spawnFrod(['--no-progress', 'init', '--base', base, '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out', path.join(dir, 'fresh')]);
  assert.is(init.code, 0, init.stderr);
  assert.match(init.stdout, /6 modules in 2 categories/);
  assert.match(init.stdout, /^mlp_c_proj +svd +64 +122 +3$/m);
  const merge = spawnFrod(['merge', '--base', base, '--adapter', path.join(dir, 'adapter'), '--out', path.join(dir, 'merged.safetensors'), '--safe']);
  assert.is(merge.code, 0, merge.stderr);
  const merged = readSafetensors(path.join(dir, 'merged.safetensors'));
  const expected = readSafetensors(path.join(dir, 'expected.safetensors'));
  const want = values(expected, 'transformer.h.1.mlp.c_proj.merged_weight').data;
  assert.ok(maxAbsDiff(values(merged, 'transformer.h.1.mlp.c_proj.weight').data, want) <= 2e-6 * Math.max(1, maxAbs(want)));
  const inspect = spawnFrod(['inspect', path.join(dir, 'fresh'), '--json']);
  assert.is(inspect.code, 0, inspect.stderr);
  assert.is(JSON.parse(inspect.stdout).categories.length, 2);
  const bad = spawnFrod(['merge', '--base', path.join(dir, 'nope.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', path.join(dir, 'x.safetensors')]);
  assertOneLineFailure(bad, 1, /^frod merge: .*nope\.safetensors: no such file$/);
  assert.not.ok(fs.existsSync(path.join(dir, 'x.safetensors')));
  const usage = spawnFrod(['init']);
  assertOneLineFailure(usage, 2, /^frod init: required option/);
});

test.run();
