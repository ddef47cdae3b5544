/**
 * `frod init --out a/b` creates the missing parent folders of the adapter directory, as savePretrained does
 * (PEFT's save_pretrained makes the directory with its parents); a parent that is a file is still refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanTemp, copyGolden, frod } from './helpers';

test.after.each(cleanTemp);

test('init --out under folders that do not exist yet creates them and writes the adapter there', async () => {
  const dir = copyGolden('wide');
  const out = path.join(dir, 'runs', 'today', 'adapter');
  const result = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out', out]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.equal(fs.readdirSync(path.join(dir, 'runs', 'today')), ['adapter'], 'no temporary directory left beside it');
});

test.run();
