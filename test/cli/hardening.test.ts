/**
 * The `frod` command under hostile and unlucky input (issue 11): each test reproduces one finding of the
 * hardening report and checks the fix — a one-line error naming the thing, nothing written, no hang.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSafetensors, serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { float32ToF16 } from '../../src/nn/io/half';
import { firstNonFinite } from '../../src/nn/io/finite';
import {
  assertOneLineFailure, assertUnchanged, cleanTemp, copyGolden, frod, readSafetensors, snapshot, tempDir,
} from './helpers';

test.after.each(cleanTemp);

const CONFIG = { peft_type: 'FROD', target_modules: ['q'], sparse_rate: 0.5 };

function f32(shape: number[], fill: (i: number) => number): RawEntry {
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i));
  return { dtype: 'F32', shape, bytes: new Uint8Array(data.buffer) };
}

function f16(shape: number[], fill: (i: number) => number): RawEntry {
  const bits = float32ToF16(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)));
  return { dtype: 'F16', shape, bytes: new Uint8Array(bits.buffer) };
}

/** A directory with base.safetensors (the given tensors) and config.json. */
function model(tensors: Record<string, RawEntry>, config: object = CONFIG): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'base.safetensors'), serializeSafetensors(tensors));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const noise = (i: number) => Math.sin(i * 12.9898) * 0.5;

/** Runs `frod init` in `dir` into dir/adapter and checks it succeeded. */
async function init(dir: string): Promise<void> {
  const result = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'adapter')]);
  assert.is(result.code, 0, result.stderr);
}

/** Rewrites dir/adapter/adapter_model.safetensors with `edit` applied to its entries. */
function editAdapter(dir: string, edit: (entries: Map<string, RawEntry>) => void): void {
  const file = path.join(dir, 'adapter', 'adapter_model.safetensors');
  const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
  const entries = new Map([...parsed.entries].map(([k, e]) => [k, { ...e, bytes: e.bytes.slice() }]));
  edit(entries);
  fs.writeFileSync(file, serializeSafetensors(entries, parsed.metadata));
}

function scaleF32(entry: RawEntry, factor: number): void {
  const values = new Float32Array(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength / 4);
  for (let i = 0; i < values.length; i++) values[i] *= factor;
}

const merge = (dir: string, ...extra: string[]) => frod(['merge', '--base', path.join(dir, 'base.safetensors'),
  '--adapter', path.join(dir, 'adapter'), '--out', path.join(dir, 'merged.safetensors'), ...extra]);

// ---- item 2: --safe checks what is written -------------------------------------------------------------

test('--safe refuses an F16 weight that merges to a finite float32 but an infinite F16; without --safe it is written', async () => {
  const dir = model({ 'enc.q.weight': f16([6, 4], (i) => 300 * (1 + noise(i))) });
  await init(dir);
  editAdapter(dir, (entries) => scaleF32(entries.get('base_model.model.enc.q.frod_lambda_l')!, 400)); // |W'| ~ 1e5 > 65504
  const before = snapshot(dir);
  assertOneLineFailure(await merge(dir, '--safe'), 1, /(safe merge of adapter 'default' into module 'enc\.q' gives NaN or infinite weights|--safe: module 'enc\.q' merges to NaN or infinite values when stored as F16 .*nothing was written$)/);
  assertUnchanged(dir, before);
  assert.is((await merge(dir)).code, 0);
  assert.ok(firstNonFinite(readSafetensors(path.join(dir, 'merged.safetensors')).entries.get('enc.q.weight')!) >= 0, 'the unsafe merge did overflow');
});

test('--safe refuses an F32 weight whose float64 merge rounds to infinity, naming the module', async () => {
  const dir = model({ 'enc.q.weight': f32([6, 4], (i) => 40 * noise(i)) }); // V carries the weight's scale
  await init(dir);
  editAdapter(dir, (entries) => {
    const lambda = entries.get('base_model.model.enc.q.frod_lambda_l')!;
    new Float32Array(lambda.bytes.buffer).fill(3.4e38);
  });
  assertOneLineFailure(await merge(dir, '--safe'), 1, /safe merge of adapter 'default' into module 'enc\.q' gives NaN or infinite weights/);
  assert.not.ok(fs.existsSync(path.join(dir, 'merged.safetensors')));
});

test('--safe covers the adapter\'s modules_to_save copies and trained biases', async () => {
  const dir = model({ 'enc.q.weight': f32([4, 4], noise), 'enc.q.bias': f32([4], noise), 'head.weight': f32([2, 4], noise) },
    { ...CONFIG, modules_to_save: ['head'], bias: 'frod_only' });
  await init(dir);
  editAdapter(dir, (entries) => { new Float32Array(entries.get('base_model.model.head.weight')!.bytes.buffer)[1] = Infinity; });
  assertOneLineFailure(await merge(dir, '--safe'), 1, /'base_model\.model\.head\.weight' \(a modules_to_save copy or trained bias\) holds NaN or infinite values/);
  editAdapter(dir, (entries) => {
    new Float32Array(entries.get('base_model.model.head.weight')!.bytes.buffer)[1] = 0;
    new Float32Array(entries.get('base_model.model.enc.q.base_layer.bias')!.bytes.buffer)[0] = NaN;
  });
  assertOneLineFailure(await merge(dir, '--safe'), 1, /'base_model\.model\.enc\.q\.base_layer\.bias' \(a modules_to_save copy or trained bias\) holds NaN/);
  assert.not.ok(fs.existsSync(path.join(dir, 'merged.safetensors')));
});

// ---- item 6: no unbounded reads -------------------------------------------------------------------------

for (const [label, args] of [
  ['inspect /dev/zero', ['inspect', '/dev/zero']],
  ['init --base /dev/zero', ['init', '--base', '/dev/zero', '--config', '@config', '--out', '@out']],
  ['merge --base /dev/zero', ['merge', '--base', '/dev/zero', '--adapter', '@adapter', '--out', '@out']],
] as const) {
  test(`${label} is refused without reading (a device is not a regular file)`, async () => {
    const dir = copyGolden('wide');
    const resolved = args.map((a) => (a === '@config' ? path.join(dir, 'adapter', 'adapter_config.json') : a === '@adapter' ? path.join(dir, 'adapter') : a === '@out' ? path.join(dir, 'out') : a));
    assertOneLineFailure(await frod(resolved), 1, /\/dev\/zero: is a device, expected a regular file$/);
  });
}

test('a config read from /dev/zero is cut off at its documented limit', async () => {
  const dir = copyGolden('wide');
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', '/dev/zero', '--out', path.join(dir, 'out')]),
    1, /\/dev\/zero: is a device that gives more than the 16777216 bytes such a file may have$/);
});

test('a pipe is refused as a safetensors file without waiting for a writer', async () => {
  const fifo = path.join(tempDir(), 'pipe.safetensors');
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [fifo]);
  assertOneLineFailure(await frod(['inspect', fifo]), 1, /pipe\.safetensors: is a pipe, expected a regular file$/);
});

test('a header length past the limit or the file is refused from the first 8 bytes', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'huge.safetensors');
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
  fs.writeFileSync(file, bytes);
  assertOneLineFailure(await frod(['inspect', file]), 1, /header length 9223372036854775808 is absurd \(limit 100000000 bytes\)$/);
  new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
  fs.writeFileSync(file, bytes);
  assertOneLineFailure(await frod(['inspect', file]), 1, /header length 1000 runs past the end of the file \(64 bytes\)$/);
});

// ---- item 7: huge but valid, or deeply nested --------------------------------------------------------------

test('inspect prints a valid file with 131,000 tensors (past the 130,000 that overflowed the stack)', async () => {
  const entries: Record<string, RawEntry> = {};
  for (let i = 0; i < 131_000; i++) entries[`t${i}`] = { dtype: 'U8', shape: [0], bytes: new Uint8Array(0) };
  const file = path.join(tempDir(), 'many.safetensors');
  fs.writeFileSync(file, serializeSafetensors(entries));
  const result = await frod(['inspect', file]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /131000 tensors/);
});

test('200,000 levels of nesting in a header or an adapter_config.json are refused in one line naming the file', async () => {
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  const json = new TextEncoder().encode(`{"__metadata__":{"a":${deep}}}`);
  const header = new Uint8Array(8 + Math.ceil(json.length / 8) * 8).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(header.length - 8), true);
  header.set(json, 8);
  const dir = copyGolden('wide');
  fs.writeFileSync(path.join(dir, 'deep.safetensors'), header);
  assertOneLineFailure(await frod(['inspect', path.join(dir, 'deep.safetensors')]), 1, /deep\.safetensors: not a valid safetensors file: header JSON nests deeper than 64 levels/);
  fs.writeFileSync(path.join(dir, 'adapter', 'adapter_config.json'), `{"peft_type":"FROD","x":${deep}}`);
  assertOneLineFailure(await frod(['inspect', path.join(dir, 'adapter')]), 1, /adapter_config\.json: not a usable adapter config \(its JSON nests deeper than 64 levels\)$/);
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out', path.join(dir, 'o')]), 1, /nests deeper than 64 levels/);
});

// ---- item 8: terminal escapes ------------------------------------------------------------------------------

const EVIL = 'x\u001b[2J\u001b]0;owned\u0007\u009b31m\u202e';

test('names and metadata with control characters are escaped in inspect and in messages; --json stays exact', async () => {
  const file = path.join(tempDir(), 'evil.safetensors');
  fs.writeFileSync(file, serializeSafetensors({ [EVIL]: { dtype: 'U8', shape: [1], bytes: new Uint8Array(1) } }, { [EVIL]: EVIL }));
  const shown = await frod(['inspect', file]);
  assert.is(shown.code, 0);
  // eslint-disable-next-line no-control-regex
  assert.not.match(shown.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'no control character reaches the terminal');
  assert.match(shown.stdout, /x\\x1b\[2J\\x1b\]0;owned\\x07\\x9b31m\\u202e/);
  const json = await frod(['inspect', file, '--json']);
  const report = JSON.parse(json.stdout) as { tensors: { name: string }[]; metadata: Record<string, string> };
  assert.is(report.tensors[0].name, EVIL, 'JSON keeps the exact name');
  assert.is(report.metadata[EVIL], EVIL);
  const broken = path.join(tempDir(), 'broken.safetensors');
  const bad = serializeSafetensors({ [EVIL]: { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) } });
  fs.writeFileSync(broken, bad.subarray(0, bad.length - 1));
  const failed = await frod(['inspect', broken]);
  assertOneLineFailure(failed, 1, /x\\x1b\[2J/);
});

test('a control character in a file name or an option is escaped in the error line', async () => {
  assertOneLineFailure(await frod(['inspect', `/nowhere/${EVIL}`]), 1, /^frod inspect: \/nowhere\/x\\x1b\[2J\\x1b\]0;owned\\x07\\x9b31m\\u202e: no such file$/);
  const usage = await frod(['inspect', `--${EVIL}`]);
  assert.is(usage.code, 2);
  // eslint-disable-next-line no-control-regex
  assert.not.match(usage.stderr, /[\u001b\u009b\u202e]/);
});

// ---- item 10: contradicting adapter files ---------------------------------------------------------------------

test('merge refuses an adapter holding both the FRoD tensors of a module and its plain weight', async () => {
  const dir = model({ 'enc.q.weight': f32([4, 4], noise) });
  await init(dir);
  editAdapter(dir, (entries) => entries.set('base_model.model.enc.q.weight', f32([4, 4], () => 7)));
  const before = snapshot(dir);
  assertOneLineFailure(await merge(dir), 1, /adapter holds both the FRoD tensors of module 'enc\.q' and a plain 'base_model\.model\.enc\.q\.weight'/);
  assertUnchanged(dir, before);
});

// ---- item 11: messages ----------------------------------------------------------------------------------------

test('a config without target_modules is blamed, not the base file', async () => {
  const dir = model({ 'enc.q.weight': f32([4, 4], noise) }, { peft_type: 'FROD' });
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'o')]),
    1, /config\.json: target_modules is null .*write "target_modules"/);
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'o')]),
    1, /^frod init: \S*config\.json: (?!.*targetModules)/); // the config is blamed (the base is named only as where a config.json was looked for)
});

test('a weight with NaN names the module; a (0, 100000) weight in an 80-byte file is refused by its size', async () => {
  const nan = model({ 'enc.q.weight': f32([4, 4], (i) => (i === 5 ? NaN : noise(i))) });
  assertOneLineFailure(await frod(['init', '--base', path.join(nan, 'base.safetensors'), '--config', path.join(nan, 'config.json'), '--out', path.join(nan, 'o')]),
    1, /module 'enc\.q': the weight holds NaN \(row 1, column 1 of its \(out, in\) weight\); FRoD needs finite weights$/);
  const wide = model({ 'enc.q.weight': { dtype: 'F32', shape: [0, 100_000], bytes: new Uint8Array(0) } });
  assert.ok(fs.statSync(path.join(wide, 'base.safetensors')).size <= 80);
  assertOneLineFailure(await frod(['init', '--base', path.join(wide, 'base.safetensors'), '--config', path.join(wide, 'config.json'), '--out', path.join(wide, 'o')]),
    1, /module 'enc\.q' has in_features 100000; its projection V would be \(100000, 100000\)/);
});

test('a weight near the float32 maximum is refused naming the module (item 9)', async () => {
  const dir = model({ 'enc.q.weight': f32([8, 8], (i) => (i % 3 === 0 ? 2e38 : -1.5e38)) });
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'o')]),
    1, /module 'enc\.q': the weight holds 2\.00e\+38 .*FRoD needs \|w\| ≤ 1\.84e\+19 for float32 weights/);
  assert.not.ok(fs.existsSync(path.join(dir, 'o')));
});

test('a target_modules regex that would backtrack for ever finishes at once (item 5)', async () => {
  const name = `${'a'.repeat(41)}!`;
  const dir = model({ [`${name}.q.weight`]: f32([2, 2], noise), [`enc.${name}.weight`]: f32([2, 2], noise) }, { peft_type: 'FROD', target_modules: '(a+)+$' });
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'o')]),
    1, /target_modules regex "\(a\+\)\+\$" matched no module/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ peft_type: 'FROD', target_modules: '(?=a)(a+)+$' }));
  assertOneLineFailure(await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'o')]),
    1, /config\.json: FrodConfig\.target_modules: regular expression "\(\?=a\)\(a\+\)\+\$" is too costly to match: .*repeats a group that itself repeats/);
});

test.run();
