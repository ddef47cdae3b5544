/**
 * Replacing files (src/util/atomicFile.ts, used by saveSafetensors and the demo): the old content or the new,
 * the replaced file's mode and owner kept (issue 11, item 3), and temporary files of killed runs recognised
 * and removed (item 4).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTemporaryName, recoverDirectorySwap, removeStaleTemporaries, temporaryName, writeFileAtomic } from '../../src/util/atomicFile';

function withTemp(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-atomic-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('temporary names carry the target, the kind and the pid; earlier versions\' names (with a time stamp) parse too', () => {
  const name = temporaryName('merged.safetensors');
  assert.match(name, new RegExp(`^\\.merged\\.safetensors\\.frod-tmp-${process.pid}-[0-9a-z]+$`));
  assert.equal(parseTemporaryName(name), { base: 'merged.safetensors', kind: 'tmp', pid: process.pid });
  assert.equal(parseTemporaryName('.out.frod-old-123-lz4k2x-ab12cd'), { base: 'out', kind: 'old', pid: 123 });
  assert.is(parseTemporaryName('merged.safetensors.abc123.tmp'), null);
  assert.is(parseTemporaryName('.frod-stage-1-x'), null, 'a stage inside an adapter directory is not a sibling temporary');
});

test('writeFileAtomic keeps the mode and (as root) the owner of the file it replaces', () => {
  withTemp((dir) => {
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    const root = process.getuid?.() === 0;
    if (root) fs.chownSync(file, 1234, 5678);
    writeFileAtomic(file, 'new');
    const stat = fs.statSync(file);
    assert.is(stat.mode & 0o777, 0o640);
    if (root) assert.equal([stat.uid, stat.gid], [1234, 5678]);
    assert.is(fs.readFileSync(file, 'utf8'), 'new');
    assert.equal(fs.readdirSync(dir), ['model.safetensors']);
  });
});

test('stale temporary siblings of dead processes are removed; a live process\'s and other targets\' are kept', () => {
  withTemp((dir) => {
    const target = path.join(dir, 'x.safetensors');
    const names = ['.x.safetensors.frod-tmp-999999999-a', `.x.safetensors.frod-tmp-${process.pid}-b`, '.y.safetensors.frod-tmp-999999999-c', 'x.safetensors.q1w2e3.tmp'];
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    assert.equal(removeStaleTemporaries(target).map((f) => path.basename(f)), [names[0]]);
    writeFileAtomic(target, 'x');
    assert.equal(fs.readdirSync(dir).sort(), [...names.slice(1), 'x.safetensors'].sort());
  });
});

test('recoverDirectorySwap: a missing DIR gets the staging folder of the run that moved the old one aside, else the old one; an unfinished staging folder is never put in place', () => {
  withTemp((parent) => {
    const dir = path.join(parent, 'merged');
    const made = (name: string, label: string) => {
      fs.mkdirSync(path.join(parent, name));
      fs.writeFileSync(path.join(parent, name, 'label'), label);
    };
    const label = () => fs.readFileSync(path.join(dir, 'label'), 'utf8');
    made('.merged.frod-tmp-999999991-a', 'unfinished'); // another dead run, killed while filling
    made('.merged.frod-tmp-999999992-b', 'new');
    made('.merged.frod-old-999999992-c', 'old');
    recoverDirectorySwap(dir);
    assert.is(label(), 'new');
    assert.equal(fs.readdirSync(parent), ['merged']);
    fs.rmSync(dir, { recursive: true });
    made('.merged.frod-tmp-999999991-a', 'unfinished');
    recoverDirectorySwap(dir);
    assert.equal(fs.readdirSync(parent), [], 'a staging folder alone may be unfinished: deleted, not put in place');
    made('.merged.frod-old-999999993-d', 'old');
    made(`.merged.frod-tmp-${process.pid}-e`, 'live');
    recoverDirectorySwap(dir);
    assert.is(label(), 'old');
    assert.equal(fs.readdirSync(parent).sort(), [`.merged.frod-tmp-${process.pid}-e`, 'merged'], 'a live run\'s staging folder is left alone');
  });
});

test.run();
