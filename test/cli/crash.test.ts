/**
 * Crash safety of `frod init` and `frod merge` (issue 11, items 1 and 4): the real command, on a base file of
 * FROD_CRASH_MB megabytes (default 32), is killed with SIGKILL at named instants between the steps of its write
 * (FROD_TEST_CRASH_AT: two for init and the rename for merge; every step with FROD_CRASH_FULL=1) and at
 * FROD_CRASH_KILLS moments spread over a run (default 1). `npm run test:crash` runs 300 MB, every step and 8
 * moments. The runs around the killed one (setting up, the next run) are in-process, to keep CI short.
 * After every kill:
 *
 * - frod-ts reads the adapter directory as the complete old or the complete new adapter, and the files
 *   themselves are never a config beside weights it was not written with;
 * - the merged file is the complete old or the complete new one;
 * - the next run finishes or removes whatever the killed one left (no stage, lock or temporary file remains).
 *
 * SIGINT and SIGTERM during the write of a merged file delete its temporary file before the process ends.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { committedFilePath } from '../../src/peft/adapterCommit';
import { readAdapterDirectory } from '../../src/peft/adapterFiles';
import { recoverDirectorySwap } from '../../src/util/atomicFile';
import { ROOT, cleanTemp, frod, tempDir } from './helpers';

const MEGABYTES = Number(process.env.FROD_CRASH_MB ?? 32);
const TIMED_KILLS = Number(process.env.FROD_CRASH_KILLS ?? 1);
const FULL = process.env.FROD_CRASH_FULL === '1';
const INIT_POINTS = FULL
  ? ['adapter-prepared', 'adapter-staged', 'adapter-committed', 'adapter-configs-removed', 'adapter-weights-moved', 'adapter-configs-moved']
  : ['adapter-staged', 'adapter-configs-removed'];

test.after(cleanTemp);

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
}

/** Runs `frod` as a real process; `killAfterMs` sends SIGKILL then, `onStart` may act on the child. */
function run(args: string[], options: { env?: Record<string, string>; killAfterMs?: number; onStart?: (pid: number) => void } = {}): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'frod.js'), ...args], {
    cwd: ROOT, env: { ...process.env, FROD_PROGRESS: '0', ...options.env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  const timer = options.killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  options.onStart?.(child.pid!);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    if (timer) clearTimeout(timer);
    resolve({ code, signal, ms: Date.now() - started, stderr });
  }));
}

/** `frod <args>` in this process (no start-up cost), which must succeed. */
async function inProcess(args: string[]): Promise<void> {
  const result = await frod(args);
  assert.is(result.code, 0, result.stderr);
}

/** What every test starts from: a base file, an old and a new adapter, and the files merging each gives. */
interface Fixture {
  dir: string;
  base: string;
  newConfig: string;
  merged: string;
  oldMerged: Buffer;
  newMerged: Buffer;
}

let shared: Fixture | null = null;

/**
 * A base model of about MEGABYTES (a large embedding, which the full run saves whole through modules_to_save,
 * and a few small layers), adapters dir/old and dir/new, and dir/merged.safetensors merged from the old one —
 * made once, in-process.
 */
async function fixture(): Promise<Fixture> {
  if (shared) return shared;
  const dir = tempDir();
  const entries: Record<string, RawEntry> = {};
  const embedding = new Float32Array(Math.max(1, Math.floor((MEGABYTES * 1024 * 1024) / 4 / 64)) * 64);
  for (let i = 0; i < embedding.length; i += 997) embedding[i] = Math.sin(i);
  entries['emb.weight'] = { dtype: 'F32', shape: [embedding.length / 64, 64], bytes: new Uint8Array(embedding.buffer) };
  for (let layer = 0; layer < 3; layer++) {
    const w = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i * 0.37 + layer));
    entries[`enc.${layer}.q.weight`] = { dtype: 'F32', shape: [64, 64], bytes: new Uint8Array(w.buffer) };
  }
  const base = path.join(dir, 'base.safetensors');
  fs.writeFileSync(base, serializeSafetensors(entries));
  const oldConfig = path.join(dir, 'old.json');
  const newConfig = path.join(dir, 'new.json');
  // With FROD_CRASH_FULL the adapters carry a copy of the embedding (modules_to_save), so init writes as much
  // as it reads; the short run keeps them small (its named kill points cover the write's steps all the same).
  const saved = FULL ? { modules_to_save: ['emb'] } : {};
  fs.writeFileSync(oldConfig, JSON.stringify({ peft_type: 'FROD', target_modules: ['q'], sparse_rate: 0.1, ...saved }));
  // init_weights false: the new adapter changes the merged weights, so old and new merged files differ.
  fs.writeFileSync(newConfig, JSON.stringify({ peft_type: 'FROD', target_modules: ['q'], sparse_rate: 0.3, init_weights: false, ...saved }));
  await inProcess(['init', '--base', base, '--config', oldConfig, '--out', path.join(dir, 'old')]);
  await inProcess(['init', '--base', base, '--config', newConfig, '--out', path.join(dir, 'new')]);
  const merged = path.join(dir, 'merged.safetensors');
  await inProcess(['merge', '--base', base, '--adapter', path.join(dir, 'new'), '--out', merged]);
  const newMerged = fs.readFileSync(merged);
  await inProcess(['merge', '--base', base, '--adapter', path.join(dir, 'old'), '--out', merged]);
  const oldMerged = fs.readFileSync(merged);
  assert.not.ok(oldMerged.equals(newMerged), 'the two merges differ');
  shared = { dir, base, newConfig, merged, oldMerged, newMerged };
  return shared;
}

interface AdapterFiles {
  config: Buffer;
  weights: Buffer;
}

function adapterFiles(dir: string): AdapterFiles {
  return { config: fs.readFileSync(path.join(dir, 'adapter_config.json')), weights: fs.readFileSync(path.join(dir, 'adapter_model.safetensors')) };
}

/** 'old', 'new', 'incomplete' (no config: loud for any reader) or 'mixed' — the files as any program sees them. */
function rawState(dir: string, old: AdapterFiles, fresh: AdapterFiles): string {
  const read = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name)) : null);
  const config = read('adapter_config.json');
  const weights = read('adapter_model.safetensors');
  if (config === null) return 'incomplete';
  for (const [label, files] of [['old', old], ['new', fresh]] as const) {
    if (config.equals(files.config)) return weights !== null && weights.equals(files.weights) ? label : 'mixed';
  }
  return 'unknown config';
}

/** What frod-ts reads there (through a committed stage while a killed write is unfinished): 'old' or 'new'. */
function resolvedState(dir: string, old: AdapterFiles, fresh: AdapterFiles): string {
  readAdapterDirectory(dir, 'test'); // a complete, valid adapter
  const config = fs.readFileSync(committedFilePath(dir, 'adapter_config.json'));
  const weights = fs.readFileSync(committedFilePath(dir, 'adapter_model.safetensors'));
  const same = (files: AdapterFiles) => config.equals(files.config) && weights.equals(files.weights);
  return same(old) ? 'old' : same(fresh) ? 'new' : 'neither';
}

/** Names under `dir` (recursively) that an interrupted write leaves: stages, locks, temporary files. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.includes('.frod-')) found.push(path.join(entry.parentPath ?? '', entry.name));
  }
  return found;
}

/** Kill moments spread over the second half of a run of `ms` (the first half is mostly start-up). */
function killMoments(ms: number): number[] {
  return Array.from({ length: TIMED_KILLS }, (_, i) => Math.round(ms * (0.5 + (0.48 * (i + 1)) / (TIMED_KILLS + 1))));
}

function copyAdapter(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to);
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
}

test(`frod init --out over an existing adapter, killed at ${INIT_POINTS.length} steps and ${TIMED_KILLS} moments: DIR is never lost or mixed, the next run cleans up`, async () => {
  const { dir, base, newConfig } = await fixture();
  const out = path.join(dir, 'adapter');
  const init = (config: string) => ['init', '--base', base, '--config', config, '--out', out];
  const fresh = adapterFiles(path.join(dir, 'new'));
  const old = adapterFiles(path.join(dir, 'old'));
  const kills: Array<{ env?: Record<string, string>; killAfterMs?: number; label: string }> = INIT_POINTS.map((point) => ({ env: { FROD_TEST_CRASH_AT: point }, label: point }));
  const seen = new Set<string>();
  let runMs = 0;
  for (let k = 0; k < kills.length; k++) {
    const kill = kills[k];
    copyAdapter(path.join(dir, 'old'), out);
    const killed = await run(init(newConfig), kill);
    if (kill.env) runMs = Math.max(runMs, killed.ms); // a run killed near its end: the moments are spread over it
    if (k === INIT_POINTS.length - 1) kills.push(...killMoments(runMs).map((ms) => ({ killAfterMs: ms, label: `${ms} ms` })));
    if (killed.code !== 0) assert.is(killed.signal, 'SIGKILL', `${kill.label}: killed (${killed.stderr})`);
    const raw = rawState(out, old, fresh);
    assert.ok(['old', 'new', 'incomplete'].includes(raw), `${kill.label}: the files are ${raw}`);
    const resolved = resolvedState(out, old, fresh);
    assert.ok(resolved === 'old' || resolved === 'new', `${kill.label}: frod-ts reads ${resolved}`);
    seen.add(`${raw}/${resolved}`);
    await inProcess(init(newConfig));
    assert.is(rawState(out, old, fresh), 'new');
    assert.equal(leftovers(dir), [], `${kill.label}: nothing left behind`);
    assert.equal(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  }
  fs.rmSync(out, { recursive: true });
  assert.ok(seen.has('old/old') && seen.has('incomplete/new'), `the named kills hit both sides of the commit (${[...seen].join(', ')})`);
});

test(`frod merge over an existing output, killed at the rename and at ${TIMED_KILLS} moments: the output is complete, the next run removes temporary files`, async () => {
  const { dir, base, merged, oldMerged: old, newMerged: fresh } = await fixture();
  const merge = (adapter: string) => ['merge', '--base', base, '--adapter', path.join(dir, adapter), '--out', merged];
  const kills: Array<{ env?: Record<string, string>; killAfterMs?: number; label: string }> = [{ env: { FROD_TEST_CRASH_AT: 'file-written' }, label: 'file-written' }];
  let completeTemporary = false;
  for (let k = 0; k < kills.length; k++) {
    const kill = kills[k];
    const killed = await run(merge('new'), kill);
    if (k === 0) kills.push(...killMoments(killed.ms).map((ms) => ({ killAfterMs: ms, label: `${ms} ms` })));
    if (killed.code !== 0) assert.is(killed.signal, 'SIGKILL', `${kill.label}: ${killed.stderr}`);
    const now = fs.readFileSync(merged);
    assert.ok(now.equals(old) || now.equals(fresh), `${kill.label}: the output is complete`);
    completeTemporary ||= leftovers(dir).some((file) => fs.statSync(path.join(dir, path.basename(file))).size === fresh.length);
    await inProcess(merge('old'));
    assert.ok(fs.readFileSync(merged).equals(old));
    assert.equal(leftovers(dir), [], `${kill.label}: the next run removed the temporary file`);
  }
  assert.ok(completeTemporary, 'the kill at the rename left a complete temporary file, which the next run removed');
});

// The streaming writer (src/cli/checkpoint/tensorWriter.ts) writes asynchronously and merge yields between
// merged tensors, so the signal is handled mid-write: src/cli/interrupt.ts deletes the temporary file.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} while frod merge writes its output deletes the temporary file and keeps the old output`, async () => {
    const { dir, base, merged, oldMerged: old } = await fixture();
    assert.ok(fs.readFileSync(merged).equals(old));
    let sawTemporary = false;
    const interrupted = await run(['merge', '--base', base, '--adapter', path.join(dir, 'new'), '--out', merged], {
      env: { FROD_TEST_PAUSE_AT: 'file-chunk-written', FROD_TEST_PAUSE_MS: '1500' },
      onStart: (pid) => {
        const poll = setInterval(() => {
          if (leftovers(dir).length === 0) return;
          sawTemporary = true;
          clearInterval(poll);
          process.kill(pid, signal);
        }, 20);
      },
    });
    assert.ok(sawTemporary, 'the temporary file existed while writing');
    assert.is(interrupted.signal, signal, `ended by ${signal} (${interrupted.stderr})`);
    assert.equal(leftovers(dir), [], 'the temporary file is gone');
    assert.ok(fs.readFileSync(merged).equals(old), 'the old output is kept');
  });
}

test('frod merge --out DIR (a folder) over an earlier one: SIGINT mid-write and a kill between the two renames leave a complete folder and nothing beside it', async () => {
  const { dir, base, newMerged } = await fixture();
  const out = path.join(dir, 'merged-folder');
  const merge = (adapter: string) => ['merge', '--base', base, '--adapter', path.join(dir, adapter), '--out', out];
  const folder = () => fs.readdirSync(out).sort().map((name) => [name, fs.readFileSync(path.join(out, name))] as const);
  await inProcess(merge('old'));
  const old = folder();
  let sawStaging = false;
  const interrupted = await run(merge('new'), {
    env: { FROD_TEST_PAUSE_AT: 'file-chunk-written', FROD_TEST_PAUSE_MS: '1500' },
    onStart: (pid) => {
      const poll = setInterval(() => {
        if (!leftovers(dir).some((name) => path.basename(name).startsWith('.merged-folder.frod-tmp-'))) return;
        sawStaging = true;
        clearInterval(poll);
        process.kill(pid, 'SIGINT');
      }, 20);
    },
  });
  assert.ok(sawStaging, 'the staging folder existed while writing');
  assert.is(interrupted.signal, 'SIGINT', interrupted.stderr);
  assert.equal(leftovers(dir), [], 'the staging folder and its temporary files are gone');
  assert.equal(folder(), old, 'the old folder is kept');
  const killed = await run(merge('new'), { env: { FROD_TEST_CRASH_AT: 'folder-moved-aside' } });
  assert.is(killed.signal, 'SIGKILL', killed.stderr);
  assert.not.ok(fs.existsSync(out), 'killed between the renames: the folder is aside');
  recoverDirectorySwap(out); // as the next run does first: the staging folder was complete, so it goes in
  assert.ok(fs.readFileSync(path.join(out, 'model.safetensors')).equals(newMerged), 'the complete new folder is in place');
  await inProcess(merge('old'));
  assert.equal(folder(), old);
  assert.equal(leftovers(dir), [], 'nothing left beside the folder');
  fs.rmSync(out, { recursive: true });
});

test.run();
