/** The CLI's output writing: all or nothing, and never deleting unrelated files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkOutputDir, writeOutputDir } from '../../src/cli/files';
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

const adapterBytes = fc.record({ configJson: fc.string({ maxLength: 40 }), safetensors: fc.uint8Array({ maxLength: 64 }) });

test('writeOutputDir creates, then replaces, a directory holding exactly the two adapter files', () => {
  fc.assert(fc.property(adapterBytes, adapterBytes, (first, second) => {
    const parent = tempDir();
    const dir = path.join(parent, 'out');
    for (const files of [first, second]) {
      checkOutputDir(dir);
      writeOutputDir(dir, files);
      assert.equal(fs.readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors'], 'no lock or stage left');
      assert.is(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'), files.configJson);
      assert.equal(new Uint8Array(fs.readFileSync(path.join(dir, 'adapter_model.safetensors'))), files.safetensors);
      assert.equal(fs.readdirSync(parent), ['out'], 'no temporary siblings left');
    }
  }), { numRuns: 25, seed: 7 });
});

test('writeOutputDir: a target that cannot be written fails in one line and keeps the old adapter', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'out');
  writeOutputDir(dir, { configJson: 'old', safetensors: new Uint8Array([1]) });
  fs.rmSync(path.join(dir, 'adapter_model.safetensors'));
  fs.mkdirSync(path.join(dir, 'adapter_model.safetensors'));
  throwsCli(() => writeOutputDir(dir, { configJson: 'new', safetensors: new Uint8Array([2]) }), /out: cannot write the adapter files \(.*is a directory, expected a file\); the directory holds what it held before$/);
  assert.equal(fs.readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.is(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'), 'old');
});

test('checkOutputDir accepts what an interrupted write left (a lock, a stage) as part of an adapter directory', () => {
  const dir = path.join(tempDir(), 'out');
  fs.mkdirSync(path.join(dir, '.frod-stage-999999-abc'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.frod-lock'), '999999\n');
  checkOutputDir(dir);
  writeOutputDir(dir, { configJson: '{}', safetensors: new Uint8Array(8) });
  assert.equal(fs.readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors'], 'the dead writer\'s stage and lock are gone');
});

test('checkOutputDir refuses directories with other files and never touches them', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'out');
  fs.mkdirSync(dir);
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `f${i}`), 'x');
  throwsCli(() => checkOutputDir(dir), /holds other files \(f0, f1, f2, … \(5 entries\)\)/);
  assert.is(fs.readdirSync(dir).length, 5);
});

test.run();
