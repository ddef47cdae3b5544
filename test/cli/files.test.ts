/** The CLI's output writing: all or nothing, and never deleting unrelated files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkOutputDir, writeOutputDir, writeOutputFile } from '../../src/cli/files';
import { CliError } from '../../src/cli/io';
import { cleanTemp, tempDir } from './helpers';

test.after.each(cleanTemp);

function throwsCli(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, CliError);
    assert.match((err as Error).message, pattern);
    assert.not.ok((err as Error).message.includes('\n'));
    return;
  }
  assert.unreachable('expected a CliError');
}

test('writeOutputDir creates, then replaces, a directory with exactly the given files', () => {
  fc.assert(fc.property(
    fc.dictionary(fc.constantFrom('adapter_config.json', 'adapter_model.safetensors'), fc.uint8Array({ maxLength: 64 }), { minKeys: 1 }),
    fc.dictionary(fc.constantFrom('adapter_config.json', 'adapter_model.safetensors'), fc.uint8Array({ maxLength: 64 }), { minKeys: 1 }),
    (first, second) => {
      const parent = tempDir();
      const dir = path.join(parent, 'out');
      for (const files of [first, second]) {
        checkOutputDir(dir);
        writeOutputDir(dir, files);
        assert.equal(fs.readdirSync(dir).sort(), Object.keys(files).sort());
        for (const [name, bytes] of Object.entries(files)) assert.equal(new Uint8Array(fs.readFileSync(path.join(dir, name))), bytes);
        assert.equal(fs.readdirSync(parent), ['out'], 'no temporary siblings left');
      }
    },
  ), { numRuns: 25, seed: 7 });
});

test('writeOutputDir: a failure part-way leaves neither the new directory nor temporary files, and keeps an old one', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'out');
  throwsCli(() => writeOutputDir(dir, { 'a.json': '{}', 'missing/sub.bin': new Uint8Array(3) }), /out: cannot write the adapter directory/);
  assert.equal(fs.readdirSync(parent), []);
  writeOutputDir(dir, { 'adapter_config.json': 'old' });
  throwsCli(() => writeOutputDir(dir, { 'adapter_config.json': 'new', 'missing/sub.bin': '' }), /cannot write/);
  assert.equal(fs.readdirSync(parent), ['out']);
  assert.is(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'), 'old');
});

test('checkOutputDir refuses directories with other files and never touches them', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'out');
  fs.mkdirSync(dir);
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `f${i}`), 'x');
  throwsCli(() => checkOutputDir(dir), /holds other files \(f0, f1, f2, … \(5 entries\)\)/);
  assert.is(fs.readdirSync(dir).length, 5);
});

test('writeOutputFile replaces a file atomically and reports an unwritable target in one line', () => {
  const parent = tempDir();
  const file = path.join(parent, 'merged.safetensors');
  writeOutputFile(file, new Uint8Array([1, 2]));
  writeOutputFile(file, new Uint8Array([3]));
  assert.equal(new Uint8Array(fs.readFileSync(file)), new Uint8Array([3]));
  assert.equal(fs.readdirSync(parent), ['merged.safetensors']);
  throwsCli(() => writeOutputFile(path.join(parent, 'no', 'x.safetensors'), new Uint8Array(1)), /x\.safetensors: cannot write the file/);
});

test.run();
