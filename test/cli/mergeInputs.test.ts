/**
 * `frod merge --out` never overwrites one of its inputs: the base file (tested in errors.test.ts) and either
 * file of the adapter — adapter_model.safetensors or adapter_config.json — however the path is spelled (another
 * relative route, a symbolic link). The refusal is one line, exit 1, and every file stays as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertOneLineFailure, assertUnchanged, cleanTemp, copyGolden, frod, snapshot } from './helpers';

test.after.each(cleanTemp);

const ADAPTER_FILES = ['adapter_model.safetensors', 'adapter_config.json'];

/** Runs `frod merge` on a copy of the 'wide' case with `--out` given by `out(dir)`; expects the refusal. */
async function refused(out: (dir: string) => string): Promise<void> {
  const dir = copyGolden('wide');
  const target = out(dir);
  const before = snapshot(dir);
  const result = await frod(['merge', '--base', path.join(dir, 'base.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', target]);
  assertOneLineFailure(result, 1, /is also an input; write the output to another file$/);
  assert.ok(result.stderr.includes(target), `the message names the path as given (${target})`);
  assertUnchanged(dir, before);
}

for (const file of ADAPTER_FILES) {
  test(`merge --out refuses the adapter's ${file}`, async () => {
    await refused((dir) => path.join(dir, 'adapter', file));
  });

  test(`merge --out refuses the adapter's ${file} spelled through another route`, async () => {
    await refused((dir) => path.join(dir, 'adapter', '..', 'adapter', '.', file));
  });

  test(`merge --out refuses a symbolic link to the adapter's ${file}`, async () => {
    await refused((dir) => {
      const link = path.join(dir, 'link.safetensors');
      fs.symlinkSync(path.join(dir, 'adapter', file), link);
      return link;
    });
  });
}

test('merge --out next to the adapter files is written, and the adapter files are untouched', async () => {
  const dir = copyGolden('wide');
  const adapter = ADAPTER_FILES.map((file) => fs.readFileSync(path.join(dir, 'adapter', file)));
  const out = path.join(dir, 'adapter', 'merged.safetensors');
  const result = await frod(['merge', '--base', path.join(dir, 'base.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', out]);
  assert.is(result.code, 0, result.stderr);
  assert.ok(fs.statSync(out).size > 0);
  ADAPTER_FILES.forEach((file, i) => assert.ok(fs.readFileSync(path.join(dir, 'adapter', file)).equals(adapter[i]), `${file} unchanged`));
});

test.run();
