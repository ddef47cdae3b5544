/**
 * Every bad input of `frod init`, `frod merge` and `frod inspect`: a non-zero exit, exactly one line on
 * stderr naming the problem, nothing on stdout, and nothing written (the working directory is unchanged).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import {
  assertOneLineFailure, assertUnchanged, cleanTemp, copyGolden, frod, snapshot, type RunResult,
} from './helpers';

test.after.each(cleanTemp);

/** Runs `frod` in a copy of golden case `name` and checks a one-line failure that writes nothing. */
async function failsIn(name: string, prepare: (dir: string) => string[], code: number, ...patterns: RegExp[]): Promise<RunResult> {
  const dir = copyGolden(name);
  const args = prepare(dir);
  const before = snapshot(dir);
  const result = await frod(args);
  assertOneLineFailure(result, code, ...patterns);
  assertUnchanged(dir, before);
  return result;
}

const at = (dir: string, ...parts: string[]) => path.join(dir, ...parts);
const initArgs = (dir: string, overrides: Record<string, string> = {}) => [
  'init', '--base', overrides.base ?? at(dir, 'base.safetensors'),
  '--config', overrides.config ?? at(dir, 'adapter', 'adapter_config.json'), '--out', overrides.out ?? at(dir, 'out'),
];
const mergeArgs = (dir: string, overrides: Record<string, string> = {}) => [
  'merge', '--base', overrides.base ?? at(dir, 'base.safetensors'), '--adapter', overrides.adapter ?? at(dir, 'adapter'),
  '--out', overrides.out ?? at(dir, 'merged.safetensors'),
];

/** Writes `text` as the config of a copy and returns its path. */
function writeConfig(dir: string, edit: (json: Record<string, unknown>) => unknown): string {
  const file = at(dir, 'adapter', 'adapter_config.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const edited = edit(json) ?? json;
  fs.writeFileSync(file, typeof edited === 'string' ? edited : JSON.stringify(edited));
  return file;
}

function f32Entry(shape: number[], fill: (i: number) => number): RawEntry {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: count }, (_, i) => fill(i));
  return { dtype: 'F32', shape, bytes: new Uint8Array(data.buffer) };
}

// ---- missing or unknown options: usage errors, status 2 --------------------------------------------

for (const option of ['--base', '--config', '--out']) {
  test(`init without ${option}`, async () => {
    await failsIn('wide', (dir) => {
      const args = initArgs(dir);
      const at = args.indexOf(option);
      args.splice(at, 2);
      return args;
    }, 2, /^frod init: /, new RegExp(`required option '${option}`));
  });
}

for (const option of ['--base', '--adapter', '--out']) {
  test(`merge without ${option}`, async () => {
    await failsIn('wide', (dir) => {
      const args = mergeArgs(dir);
      args.splice(args.indexOf(option), 2);
      return args;
    }, 2, /^frod merge: /, new RegExp(`required option '${option}`));
  });
}

test('an unknown option, an unknown command, a missing argument', async () => {
  await failsIn('wide', (dir) => [...initArgs(dir), '--bogus'], 2, /^frod init: unknown option '--bogus'/);
  await failsIn('wide', () => ['frobnicate'], 2, /^frod: unknown command 'frobnicate'/);
  await failsIn('wide', () => ['inspect'], 2, /^frod inspect: missing required argument 'path'/);
  await failsIn('wide', (dir) => ['merge', ...mergeArgs(dir).slice(1), '--outt', 'x'], 2, /unknown option '--outt'.*Did you mean --out/);
});

// ---- unreadable and corrupted files ---------------------------------------------------------------

test('init: base file missing, a folder without model files, empty', async () => {
  await failsIn('wide', (dir) => initArgs(dir, { base: at(dir, 'nope.safetensors') }), 1, /^frod init: .*nope\.safetensors: no such file$/);
  await failsIn('wide', (dir) => initArgs(dir, { base: at(dir, 'adapter') }), 1, /adapter: is a folder without model\.safetensors or model\.safetensors\.index\.json; expected a safetensors file or a Hugging Face model folder$/);
  await failsIn('wide', (dir) => {
    fs.writeFileSync(at(dir, 'empty.safetensors'), new Uint8Array(0));
    return initArgs(dir, { base: at(dir, 'empty.safetensors') });
  }, 1, /empty\.safetensors: not a valid safetensors file: file is 0 bytes/);
});

test('init and merge: a truncated base file', async () => {
  const truncate = (dir: string) => {
    const file = at(dir, 'base.safetensors');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 7));
  };
  await failsIn('stack', (dir) => { truncate(dir); return initArgs(dir); }, 1, /^frod init: .*base\.safetensors: not a valid safetensors file: .*run past the end/);
  await failsIn('stack', (dir) => { truncate(dir); return mergeArgs(dir); }, 1, /^frod merge: .*base\.safetensors: not a valid safetensors file/);
});

test('init: a base file whose header is corrupted (absurd length, not JSON, bad dtype)', async () => {
  await failsIn('wide', (dir) => {
    const file = at(dir, 'base.safetensors');
    const bytes = new Uint8Array(fs.readFileSync(file));
    new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    fs.writeFileSync(file, bytes);
    return initArgs(dir);
  }, 1, /not a valid safetensors file: header length \d+ is absurd/);
  await failsIn('wide', (dir) => {
    const file = at(dir, 'base.safetensors');
    const bytes = new Uint8Array(fs.readFileSync(file));
    bytes[8] = '['.charCodeAt(0);
    bytes[12] = '}'.charCodeAt(0);
    fs.writeFileSync(file, bytes);
    return initArgs(dir);
  }, 1, /not a valid safetensors file: header is not (valid JSON|a JSON object)/);
  await failsIn('wide', (dir) => {
    const file = at(dir, 'base.safetensors');
    const text = Buffer.from(fs.readFileSync(file)).toString('latin1').replace('"F32"', '"Q32"');
    fs.writeFileSync(file, Buffer.from(text, 'latin1'));
    return initArgs(dir);
  }, 1, /not a valid safetensors file: tensor '.*' has unknown dtype "Q32"/);
});

test('merge: corrupted or missing adapter files', async () => {
  await failsIn('stack', (dir) => {
    const file = at(dir, 'adapter', 'adapter_model.safetensors');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
    return mergeArgs(dir);
  }, 1, /^frod merge: .*adapter_model\.safetensors: not a valid safetensors file/);
  await failsIn('stack', (dir) => {
    fs.rmSync(at(dir, 'adapter', 'adapter_model.safetensors'));
    return mergeArgs(dir);
  }, 1, /adapter_model\.safetensors: no such file$/);
  await failsIn('stack', (dir) => mergeArgs(dir, { adapter: at(dir, 'missing') }), 1, /missing: no such directory$/);
  await failsIn('stack', (dir) => mergeArgs(dir, { adapter: at(dir, 'base.safetensors') }), 1, /base\.safetensors: is not a directory, expected an adapter directory/);
  await failsIn('stack', (dir) => {
    fs.rmSync(at(dir, 'adapter', 'adapter_config.json'));
    return mergeArgs(dir);
  }, 1, /adapter_config\.json: no such file$/);
});

test('merge: an adapter tensor name outside the PEFT layout', async () => {
  await failsIn('wide', (dir) => {
    const entries = new Map<string, RawEntry>([
      ['base_model.model.encoder.layer.0.attention.self.query.frod_lambda_l.default', f32Entry([24], () => 1)],
    ]);
    fs.writeFileSync(at(dir, 'adapter', 'adapter_model.safetensors'), serializeSafetensors(entries));
    return mergeArgs(dir);
  }, 1, /adapter_model\.safetensors: adapter tensor "base_model\.model\..*frod_lambda_l\.default": expected/);
});

// ---- invalid configurations -----------------------------------------------------------------------

test('init: invalid adapter_config.json (missing, bad JSON, not an object, bad field values)', async () => {
  await failsIn('wide', (dir) => initArgs(dir, { config: at(dir, 'none.json') }), 1, /none\.json: no such file$/);
  await failsIn('wide', (dir) => [...initArgs(dir, { config: writeConfig(dir, () => '{"target_modules": [') })], 1, /adapter_config\.json: not valid JSON/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, () => '[1, 2]') }), 1, /adapter_config\.json: expected a JSON object/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.sparse_rate = 2; }) }), 1, /sparse_rate: expected a number in \[0, 1\], got 2/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.bias = 'some'; }) }), 1, /FrodConfig\.bias: expected "none", "all" or "frod_only", got "some"/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.peft_type = 'LORA'; }) }), 1, /peft_type: expected "FROD"/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.target_modules = '(unclosed'; }) }), 1, /target_modules: invalid regular expression/);
  await failsIn('wide', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.layers_pattern = 'layer'; }) }), 1, /layers_pattern: expected layers_to_transform to be set/);
});

test('merge: invalid adapter_config.json inside the adapter directory', async () => {
  await failsIn('stack', (dir) => { writeConfig(dir, (j) => { j.regularization_alpha = -1; }); return mergeArgs(dir); }, 1,
    /^frod merge: .*adapter_config\.json: FrodConfig\.regularization_alpha: expected a finite number > 0, got -1$/);
});

test('init: targets that match nothing, or a weight that is not 2-D', async () => {
  await failsIn('stack', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.target_modules = ['k_proj']; }) }), 1,
    /base\.safetensors: FRoD: target_modules \["k_proj"\] matched no module among \d+ module paths/);
  await failsIn('stack', (dir) => initArgs(dir, { config: writeConfig(dir, (j) => { j.target_modules = 'q_proj'; }) }), 1,
    /target_modules regex "q_proj" matched no module/);
  await failsIn('wide', (dir) => {
    const entries = new Map<string, RawEntry>([
      ['model.norm.weight', f32Entry([8], () => 1)],
      ['model.proj.weight', f32Entry([8, 8], (i) => Math.sin(i))],
    ]);
    fs.writeFileSync(at(dir, 'base.safetensors'), serializeSafetensors(entries));
    return initArgs(dir, { config: writeConfig(dir, (j) => { j.target_modules = ['norm', 'proj']; }) });
  }, 1, /module 'model\.norm' has a weight of shape \(8\); only 2-D Linear \/ Conv1D weights can be adapted/);
});

test('init and merge: an integer (quantised) weight is refused, naming the module', async () => {
  const quantised = (dir: string) => {
    const entries = new Map<string, RawEntry>([
      ['encoder.layer.0.attention.self.query.weight', { dtype: 'I8', shape: [12, 24], bytes: new Uint8Array(288).fill(3) }],
    ]);
    fs.writeFileSync(at(dir, 'base.safetensors'), serializeSafetensors(entries));
  };
  await failsIn('wide', (dir) => { quantised(dir); return initArgs(dir); }, 1,
    /base\.safetensors: module 'encoder\.layer\.0\.attention\.self\.query' stores its weight as I8; FRoD adapts floating-point weights/);
  await failsIn('wide', (dir) => { quantised(dir); return mergeArgs(dir); }, 1, /stores its weight as I8/);
});

// ---- adapters made for other weights -------------------------------------------------------------

test('merge: an adapter made for other shapes names the module and both shapes', async () => {
  const result = await failsIn('wide', (dir) => {
    const entries = new Map<string, RawEntry>([
      ['encoder.layer.0.attention.self.query.weight', f32Entry([12, 20], (i) => Math.cos(i))],
    ]);
    fs.writeFileSync(at(dir, 'base.safetensors'), serializeSafetensors(entries));
    return mergeArgs(dir);
  }, 1, /^frod merge: /, /encoder\.layer\.0\.attention\.self\.query/);
  assert.match(result.stderr, /20/);
  assert.match(result.stderr, /24/);
});

test('merge: the adapter adapts modules the base file lacks, or that the config does not target', async () => {
  await failsIn('stack', (dir) => {
    fs.writeFileSync(at(dir, 'other.safetensors'), fs.readFileSync(path.join(copyGolden('bert'), 'base.safetensors')));
    return mergeArgs(dir, { base: at(dir, 'other.safetensors') });
  }, 1, /^frod merge: /, /matched no module|has no tensor/);
  await failsIn('stack', (dir) => { writeConfig(dir, (j) => { j.target_modules = ['q_proj', 'v_proj']; }); return mergeArgs(dir); }, 1,
    /adapter_model\.safetensors: adapts module 'model\.layers\.0\.mlp\.down_proj', which the target_modules of .* do not select/);
});

test('merge --safe refuses non-finite merged weights and names the module', async () => {
  const poison = (dir: string) => {
    const file = at(dir, 'adapter', 'adapter_model.safetensors');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
    const key = 'base_model.model.model.layers.2.self_attn.v_proj.frod_lambda_l';
    const [begin] = header[key].data_offsets as number[];
    new DataView(bytes.buffer).setFloat32(8 + headerLength + begin + 4, Number.POSITIVE_INFINITY, true);
    fs.writeFileSync(file, bytes);
  };
  await failsIn('stack', (dir) => { poison(dir); return [...mergeArgs(dir), '--safe', '--adapter-name', 'sst2']; }, 1,
    /^frod merge: .*adapter'?: .*'sst2'.*model\.layers\.2\.self_attn\.v_proj.*(NaN|infinite)/);
  const dir = copyGolden('stack');
  poison(dir);
  const result = await frod(mergeArgs(dir));
  assert.is(result.code, 0, 'without --safe the merge goes ahead');
  assert.ok(fs.existsSync(at(dir, 'merged.safetensors')));
});

// ---- output locations ---------------------------------------------------------------------------

test('init: --out is a non-empty directory with other files, a file, or under a file', async () => {
  await failsIn('wide', (dir) => {
    fs.mkdirSync(at(dir, 'out'));
    fs.writeFileSync(at(dir, 'out', 'notes.txt'), 'keep me');
    fs.writeFileSync(at(dir, 'out', 'adapter_config.json'), '{}');
    return initArgs(dir);
  }, 1, /out: already exists and holds other files \(notes\.txt\); choose a new or empty directory$/);
  await failsIn('wide', (dir) => { fs.writeFileSync(at(dir, 'out'), 'x'); return initArgs(dir); }, 1, /out: exists and is not a directory$/);
  await failsIn('wide', (dir) => initArgs(dir, { out: at(dir, 'base.safetensors', 'sub', 'out') }), 1, /out: cannot be created: .*base\.safetensors is not a directory$/);
});

test('merge: --out is the base file, a folder holding other files, a directory named *.safetensors, or under a missing directory', async () => {
  await failsIn('wide', (dir) => mergeArgs(dir, { out: at(dir, 'base.safetensors') }), 1, /base\.safetensors: is also an input/);
  await failsIn('wide', (dir) => mergeArgs(dir, { out: at(dir, 'adapter') }), 1, /adapter: already exists and holds other files \(adapter_config\.json, adapter_model\.safetensors\); choose a new or empty directory$/);
  await failsIn('wide', (dir) => { fs.mkdirSync(at(dir, 'adapter.safetensors')); return mergeArgs(dir, { out: at(dir, 'adapter.safetensors') }); }, 1, /adapter\.safetensors: is a directory, expected a file name for the output$/);
  await failsIn('wide', (dir) => mergeArgs(dir, { out: at(dir, 'no', 'merged.safetensors') }), 1, /cannot be created/);
});

test('inspect: missing path, corrupted file, a folder with neither an adapter nor a model, half an adapter', async () => {
  await failsIn('wide', (dir) => ['inspect', at(dir, 'nothing')], 1, /^frod inspect: .*nothing: no such file$/);
  await failsIn('wide', (dir) => {
    fs.writeFileSync(at(dir, 'junk.safetensors'), 'not a safetensors file at all');
    return ['inspect', at(dir, 'junk.safetensors')];
  }, 1, /junk\.safetensors: not a valid safetensors file/);
  await failsIn('wide', (dir) => { fs.mkdirSync(at(dir, 'emptydir')); return ['inspect', at(dir, 'emptydir')]; }, 1,
    /emptydir: is a folder without model\.safetensors or model\.safetensors\.index\.json/);
  await failsIn('wide', (dir) => {
    fs.mkdirSync(at(dir, 'half'));
    fs.writeFileSync(at(dir, 'half', 'adapter_model.safetensors'), fs.readFileSync(at(dir, 'adapter', 'adapter_model.safetensors')));
    return ['inspect', at(dir, 'half')];
  }, 1, /adapter_config\.json: no such file$/);
});

test.run();
