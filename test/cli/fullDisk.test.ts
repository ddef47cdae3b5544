/**
 * A full disk (issue 11, docs/cli.md "Failure behaviour"): on a small tmpfs, `frod init` and `frod merge` fail in
 * one line saying so, keep the previous output and leave no temporary file or stage. Mounting needs root and a
 * kernel that allows it; elsewhere the test is skipped with that reason.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testUnless } from '../util/skip';
import { assertOneLineFailure, cleanTemp, copyGolden, frod, tempDir } from './helpers';

test.after.each(cleanTemp);

/** A fresh 160 KiB tmpfs, or why there is none. */
function mountSmall(): { dir: string | null; why: string | null } {
  const dir = tempDir();
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', dir], { encoding: 'utf8' });
  return mounted.status === 0 ? { dir, why: null } : { dir: null, why: `cannot mount a small tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim().split('\n')[0]})` };
}

/** Grows dir/filler until `room` bytes are left free. */
function fill(dir: string, room: number): void {
  const { bavail, bsize } = fs.statfsSync(dir);
  fs.appendFileSync(path.join(dir, 'filler'), new Uint8Array(Math.max(0, bavail * bsize - room)));
}

const probe = mountSmall();
if (probe.dir) spawnSync('umount', [probe.dir]);

testUnless(probe.why, 'a full disk fails init and merge in one line, keeps the previous outputs and leaves nothing behind', async () => {
  const source = copyGolden('bert'); // a 25 KB merged file, a 17 KB adapter
  const { dir } = mountSmall();
  try {
    const out = path.join(dir!, 'adapter');
    const merged = path.join(dir!, 'merged.safetensors');
    const init = ['init', '--base', path.join(source, 'base.safetensors'), '--config', path.join(source, 'adapter', 'adapter_config.json'), '--out', out];
    assert.is((await frod(init)).code, 0);
    const merge = ['merge', '--base', path.join(source, 'base.safetensors'), '--adapter', path.join(source, 'adapter'), '--out', merged];
    fill(dir!, 8 * 1024); // less room than a merged file or an adapter needs
    assertOneLineFailure(await frod(merge), 1, /merged\.safetensors: cannot write the file \(no space left on the device\)$/);
    fs.writeFileSync(merged, 'previous output');
    assertOneLineFailure(await frod(merge), 1, /no space left on the device/);
    assert.is(fs.readFileSync(merged, 'utf8'), 'previous output');
    const before = fs.readFileSync(path.join(out, 'adapter_model.safetensors'));
    assertOneLineFailure(await frod(init), 1, /adapter: cannot write the adapter files \(no space left on the device\); the directory holds what it held before$/);
    assert.ok(fs.readFileSync(path.join(out, 'adapter_model.safetensors')).equals(before), 'the previous adapter is intact');
    assert.equal(fs.readdirSync(dir!).sort(), ['adapter', 'filler', 'merged.safetensors']);
    assert.equal(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  } finally {
    spawnSync('umount', [dir!]);
  }
});

test.run();
