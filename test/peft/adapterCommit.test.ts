/**
 * The adapter directory writer (src/peft/adapterCommit.ts) when the process dies (issue 11, item 1): a child
 * process is killed with SIGKILL at each step of a write, and the directory must then hold the complete old or
 * the complete new adapters — for frod-ts's readers at once, for the files themselves after the next write or
 * recovery — with nothing left behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  LOCK_NAME, committedFilePath, isAdapterWriterEntry, recoverAdapterDirectory, writeAdapterDirectories,
} from '../../src/peft/adapterCommit';
import { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, readAdapterDirectory } from '../../src/peft/adapterFiles';
import { adapterContents, labelOf } from './adapterContents';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SUBDIRS = ['', 'second'];

const made: string[] = [];
test.after.each(() => { while (made.length) fs.rmSync(made.pop() as string, { recursive: true, force: true }); });

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-commit-'));
  made.push(dir);
  return dir;
}

function write(dir: string, label: string, subdirs = SUBDIRS): void {
  writeAdapterDirectories(dir, subdirs.map((subdir) => ({ subdir, files: adapterContents(label, subdir) })), 'test');
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

/** What adapter `subdir` of `dir` holds: as its files say (`raw`) or as frod-ts reads it (`resolved`). */
function labelIn(dir: string, subdir: string, view: 'raw' | 'resolved'): string {
  const at = path.join(dir, subdir);
  const file = (name: string) => (view === 'raw' ? path.join(at, name) : committedFilePath(at, name));
  const config = readOrNull(file(CONFIG_NAME));
  const weights = readOrNull(file(SAFETENSORS_WEIGHTS_NAME));
  return labelOf(config === null ? null : config.toString('utf8'), weights === null ? null : new Uint8Array(weights), subdir);
}

function killedWriter(dir: string, label: string, point: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(HERE, 'writeAdapterChild.ts'), dir, label, ...SUBDIRS], {
    env: { ...process.env, FROD_TEST_CRASH_AT: point }, encoding: 'utf8', timeout: 60_000,
  });
  assert.is(result.signal, 'SIGKILL', `the writer was killed at ${point} (status ${result.status}, ${result.stderr})`);
}

/** Hidden entries the writer uses, anywhere under `dir` or beside it. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      if (isAdapterWriterEntry(entry.name) || entry.name.includes('.frod-')) found.push(path.join(at, entry.name));
      else if (entry.isDirectory()) walk(path.join(at, entry.name));
    }
  };
  walk(path.dirname(dir));
  return found;
}

const POINTS: ReadonlyArray<[string, 'old' | 'new']> = [
  ['adapter-prepared', 'old'],
  ['adapter-staged', 'old'],
  ['adapter-committed', 'new'],
  ['adapter-configs-removed', 'new'],
  ['adapter-weights-moved', 'new'],
  ['adapter-configs-moved', 'new'],
];

for (const [point, expected] of POINTS) {
  test(`killed at ${point}: frod-ts reads the complete ${expected} adapters, other readers never see a mixed one, the next write cleans up`, () => {
    const dir = path.join(tempDir(), 'adapter');
    write(dir, 'old');
    killedWriter(dir, 'new', point);
    for (const subdir of SUBDIRS) {
      assert.is(labelIn(dir, subdir, 'resolved'), expected, `frod-ts reads adapter '${subdir}' as ${expected}`);
      assert.ok(['old', 'new', 'no-config'].includes(labelIn(dir, subdir, 'raw')), `the files of '${subdir}' are never mixed: ${labelIn(dir, subdir, 'raw')}`);
    }
    const before = fs.readdirSync(dir).sort();
    for (const subdir of SUBDIRS) labelIn(dir, subdir, 'resolved');
    assert.equal(fs.readdirSync(dir).sort(), before, 'reading modifies nothing');
    recoverAdapterDirectory(dir);
    for (const subdir of SUBDIRS) assert.is(labelIn(dir, subdir, 'raw'), expected, 'recovery leaves the files complete');
    assert.equal(leftovers(dir), [], 'no stage, lock or temporary file is left');
    write(dir, 'third');
    for (const subdir of SUBDIRS) assert.is(labelIn(dir, subdir, 'raw'), 'third');
  });
}

test('a write into a fresh directory killed before its commit leaves no adapter, and the next write completes', () => {
  const dir = path.join(tempDir(), 'fresh');
  killedWriter(dir, 'new', 'adapter-staged');
  assert.is(labelIn(dir, '', 'resolved'), 'absent');
  write(dir, 'new');
  assert.is(labelIn(dir, '', 'raw'), 'new');
  assert.equal(leftovers(dir), []);
});

test('a lock left by a dead process is broken; a live writer\'s stage is left alone', () => {
  const dir = path.join(tempDir(), 'adapter');
  write(dir, 'old');
  fs.writeFileSync(path.join(dir, LOCK_NAME), '999999999\n');
  fs.writeFileSync(path.join(dir, `${LOCK_NAME}.stale-999999999-x`), '1\n'); // a lock being broken when its breaker died
  const live = path.join(dir, `.frod-stage-${process.pid}-live`);
  fs.mkdirSync(live);
  write(dir, 'new');
  assert.is(labelIn(dir, '', 'raw'), 'new');
  assert.ok(fs.existsSync(live), 'an uncommitted stage of a running process is not deleted');
  assert.not.ok(fs.existsSync(path.join(dir, LOCK_NAME)));
  assert.equal(fs.readdirSync(dir).filter((name) => name.startsWith('.frod-lock')), []);
});

test('the old CLI writer\'s leftovers beside DIR are restored or removed (.DIR.frod-old-*, .DIR.frod-tmp-*)', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'adapter');
  write(path.join(parent, '.adapter.frod-old-999999999-lz1-abc'), 'old', ['']);
  write(path.join(parent, '.adapter.frod-tmp-999999999-lz1-def'), 'new', ['']);
  for (const stale of fs.readdirSync(parent)) fs.rmSync(path.join(parent, stale, LOCK_NAME), { force: true });
  recoverAdapterDirectory(dir);
  assert.is(labelIn(dir, '', 'raw'), 'new', 'the complete new directory is moved into place');
  assert.equal(fs.readdirSync(parent), ['adapter']);
  write(path.join(parent, '.adapter.frod-old-999999999-lz2-abc'), 'older', ['']);
  write(dir, 'third', ['']);
  assert.equal(fs.readdirSync(parent), ['adapter'], 'a stale old directory beside an existing DIR is deleted');
});

test('a failing write changes nothing: a sub-directory that is a file refuses every adapter (all or nothing)', () => {
  const dir = path.join(tempDir(), 'adapter');
  write(dir, 'old', ['']);
  fs.writeFileSync(path.join(dir, 'second'), 'a file where an adapter goes');
  assert.throws(() => write(dir, 'new'), (err: Error) => /adapter: cannot write the adapter files \(.*second: exists and is not a directory\); the directory holds what it held before$/.test(err.message));
  assert.is(labelIn(dir, '', 'raw'), 'old');
  assert.equal(fs.readdirSync(dir).sort(), [CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, 'second']);
});

test('files beside the adapters are kept, and replaced adapter files keep their mode', () => {
  const dir = path.join(tempDir(), 'adapter');
  write(dir, 'old');
  fs.writeFileSync(path.join(dir, 'README.md'), 'notes');
  fs.chmodSync(path.join(dir, CONFIG_NAME), 0o640);
  write(dir, 'new');
  assert.is(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), 'notes');
  assert.is(fs.statSync(path.join(dir, CONFIG_NAME)).mode & 0o777, 0o640);
});

test('concurrent writers take turns and a reader meanwhile always gets a matching config and weights', async () => {
  const dir = path.join(tempDir(), 'adapter');
  write(dir, 'old');
  const writers = ['a', 'b', 'c'].map((label) => new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'writeAdapterChild.ts'), dir, label, ...SUBDIRS], {
      env: { ...process.env, FROD_TEST_REPEAT: '12' }, stdio: 'ignore',
    });
    child.on('close', (code) => resolve(code));
  }));
  let running = true;
  const done = Promise.all(writers).then((codes) => { running = false; return codes; });
  const seen = new Set<string>();
  while (running) {
    for (const subdir of SUBDIRS) {
      const read = readAdapterDirectory(path.join(dir, subdir), 'test');
      const label = (read.configJson as { label: string }).label;
      const weights = new TextDecoder().decode(read.weights.entries.get('label')!.bytes.subarray(0, label.length + 1 + subdir.length));
      assert.is(weights, `${label}/${subdir}`, 'the weights read with a config are the ones written with it');
      seen.add(label);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(await done, [0, 0, 0], 'every writer succeeded');
  const last = labelIn(dir, '', 'raw');
  assert.ok(['a', 'b', 'c'].includes(last));
  assert.is(labelIn(dir, 'second', 'raw'), last, 'both adapters come from the same write');
  assert.equal(leftovers(dir), []);
  assert.ok(seen.size >= 2, `the reader saw the adapter change (${[...seen].join(', ')})`);
});

test.run();
