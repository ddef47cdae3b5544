/**
 * The key grammar of adapter_model.safetensors (src/frod/keys.ts, docs/frod-math.md §10) for each of FRoD's five tensor
 * names — frod_lambda_l, frod_lambda_s_values (per module, last part of base_model.model.<module>.<name>) and
 * frod_V, frod_s_indices, frod_s_size (per category, base_model.<name>.<category>) — in every place it does not
 * belong: still followed by an adapter name (PEFT's in-memory names), without a module or category, in the
 * middle of a path, under the other prefix, with a dotted category. Each is refused in one line that quotes
 * the key, by the parser and by every reader that goes through it (readAdapterDir, PeftModel.fromPretrained,
 * `frod merge`); a name that merely starts like one of them is a plain model tensor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdapterKey } from '../../src/frod/keys';
import { readAdapterDir } from '../../src/frod/checkpoint';
import { PeftModel } from '../../src/peft/peftModel';
import '../../src/frod/model';
import { parseSafetensors, serializeSafetensors } from '../../src/nn/io/format';
import { assertOneLineFailure, cleanTemp, copyGolden, frod } from '../cli/helpers';
import { moduleFromStateDict } from './helpers';
import { loadSafetensors } from '../../src/nn/io';

test.after.each(cleanTemp);

const MODULE_NAMES = ['frod_lambda_l', 'frod_lambda_s_values'] as const;
const CATEGORY_NAMES = ['frod_V', 'frod_s_indices', 'frod_s_size'] as const;
const ALL_NAMES = [...MODULE_NAMES, ...CATEGORY_NAMES];

/** Where each name belongs, and what the parser makes of it there. */
const WELL_PLACED: Record<(typeof ALL_NAMES)[number], [string, unknown]> = {
  frod_lambda_l: ['base_model.model.a.b.frod_lambda_l', { kind: 'lambda', path: 'a.b' }],
  frod_lambda_s_values: ['base_model.model.a.b.frod_lambda_s_values', { kind: 'sValues', path: 'a.b' }],
  frod_V: ['base_model.frod_V.cat', { kind: 'projection', category: 'cat' }],
  frod_s_indices: ['base_model.frod_s_indices.cat', { kind: 'sIndices', category: 'cat' }],
  frod_s_size: ['base_model.frod_s_size.cat', { kind: 'sSize', category: 'cat' }],
};

/** Misplaced uses of `name`. */
function misplaced(name: string): string[] {
  const anywhere = [
    `base_model.model.a.b.${name}.default`, // PEFT's in-memory name, adapter still attached
    `base_model.model.${name}`, // no module
    `base_model.model.a.${name}.b`, // in the middle of a path
    `base_model.model.${name}.a`,
    `model.a.${name}`, // no base_model prefix
    `base_model.model.a..${name}`, // an empty path part
  ];
  const perCategory = [
    `base_model.${name}.`, // no category
    `base_model.${name}.cat.default`, // a dotted category (adapter name attached)
    `base_model.model.a.${name}`, // under the module prefix
    `base_model.model.${name}.cat`,
  ];
  const perModule = [`base_model.${name}.a`, `base_model.${name}`]; // under the category prefix form
  return [...anywhere, ...((CATEGORY_NAMES as readonly string[]).includes(name) ? perCategory : perModule)];
}

for (const name of ALL_NAMES) {
  test(`parseAdapterKey: ${name} where it belongs`, () => {
    const [key, parsed] = WELL_PLACED[name];
    assert.equal(parseAdapterKey(key), parsed);
  });

  test(`parseAdapterKey: ${name} anywhere else is one line quoting the key and listing the accepted forms`, () => {
    for (const key of misplaced(name)) {
      let message = '';
      try {
        parseAdapterKey(key);
      } catch (err) {
        message = (err as Error).message;
      }
      assert.ok(message.startsWith(`adapter tensor ${JSON.stringify(key)}: expected `), `${key} is refused (got ${JSON.stringify(message)})`);
      assert.not.ok(message.includes('\n'), `${key}: one line`);
      for (const form of ALL_NAMES) assert.ok(message.includes(form), `${key}: the message lists ${form}`);
    }
  });

  test(`parseAdapterKey: a part that only starts or ends like ${name} is a plain model tensor`, () => {
    for (const rest of [`a.${name}_extra`, `a.x${name}`, `${name}2.weight`]) {
      assert.equal(parseAdapterKey(`base_model.model.${rest}`), { kind: 'modelTensor', name: rest });
    }
  });
}

// ---- the readers -----------------------------------------------------------------------------------

/** A copy of the 'wide' golden case whose adapter file has the `name` tensor renamed to `<key>.default`. */
function withAdapterNameKept(name: string): { dir: string; key: string } {
  const dir = copyGolden('wide');
  const file = path.join(dir, 'adapter', 'adapter_model.safetensors');
  const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  const original = [...parsed.entries.keys()].find((k) => k.split('.').includes(name));
  assert.ok(original, `the 'wide' adapter has a ${name} tensor`);
  const key = `${original}.default`;
  const entries = new Map([...parsed.entries].map(([k, entry]) => [k === original ? key : k, entry]));
  fs.writeFileSync(file, serializeSafetensors(entries, parsed.metadata));
  return { dir, key };
}

for (const name of ALL_NAMES) {
  test(`readAdapterDir and PeftModel.fromPretrained refuse a ${name} key that kept its adapter name, naming file and key`, () => {
    const { dir, key } = withAdapterNameKept(name);
    const adapter = path.join(dir, 'adapter');
    const expected = (err: Error) => err.message.includes('adapter_model.safetensors') && err.message.includes(JSON.stringify(key)) && !err.message.includes('\n');
    assert.throws(() => readAdapterDir(adapter), expected, 'readAdapterDir');
    const base = loadSafetensors(path.join(dir, 'base.safetensors')).tensors;
    assert.throws(() => PeftModel.fromPretrained(moduleFromStateDict(base, 'float32'), adapter), (err: Error) => err.message.includes(JSON.stringify(key)), 'fromPretrained');
  });

  test(`frod merge refuses a ${name} key that kept its adapter name: one line, exit 1, nothing written`, async () => {
    const { dir, key } = withAdapterNameKept(name);
    const out = path.join(dir, 'merged.safetensors');
    const result = await frod(['merge', '--base', path.join(dir, 'base.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', out]);
    const quoted = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assertOneLineFailure(result, 1, new RegExp(`adapter_model\\.safetensors: adapter tensor ${quoted}: expected`));
    assert.not.ok(fs.existsSync(out), 'no output');
  });
}

test.run();
