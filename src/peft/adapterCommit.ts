/**
 * Writing adapter directories so that an adapter is never lost or mixed, whatever moment the process dies:
 * the one writer behind `PeftModel.savePretrained`, FRoD's `writeAdapterDir` and `frod init --out`.
 *
 * An adapter is two files (adapter_config.json, adapter_model.safetensors) that must change together, and
 * `savePretrained` may write several adapters (DIR and DIR/<name>). POSIX has no atomic swap of two files or of
 * a non-empty directory, so the write is a small transaction inside DIR:
 *
 *  1. prepare  every new file is written and flushed into a hidden staging directory DIR/.frod-stage-<pid>-<id>
 *              (a crash here leaves the old adapters untouched; the stage is deleted by a later run);
 *  2. commit   under DIR/.frod-lock, `commit.json` is renamed into the stage: from this instant the new
 *              adapters are the content of DIR;
 *  3. apply    every old adapter_config.json is removed, then the new weights, then the new configs are renamed
 *              into place, then the stage is deleted.
 *
 * A crash during step 3 is finished ("rolled forward") by the next write of DIR, and every reader of this
 * project ({@link readAdapterFileBytes}) reads a committed stage's files in the meantime, so to frod-ts DIR
 * always holds the complete old or the complete new adapters. Another program reading DIR during step 3 sees
 * each adapter complete (old or new) or without its adapter_config.json, never a config beside weights it
 * was not written with. Files other than the adapters' are never touched; a replaced file keeps its mode and
 * owner. Concurrent writers of one DIR take turns on the lock (only the short steps 2–3 hold it).
 *
 * Node modules come through src/util/node's lazy loaders, so the package still bundles for browsers.
 */
import type * as FsModule from 'node:fs';
import type * as PathModule from 'node:path';
import {
  currentPid, isProcessAlive, ownershipOf, recoverDirectorySwap, syncDirectory, writeFlushed,
} from '../util/atomicFile';
import { nodeFs, nodePath } from '../util/node';
import { crashPoint } from '../util/crashPoint';

/** File names of an adapter directory (also exported by ./adapterFiles). */
const CONFIG = 'adapter_config.json';
const WEIGHTS = 'adapter_model.safetensors';

/** Hidden names the writer uses inside DIR: the lock and the staging directories. */
export const LOCK_NAME = '.frod-lock';
const STAGE_PREFIX = '.frod-stage-';
const COMMIT_NAME = 'commit.json';
/** How long a writer waits for another live writer of the same DIR before giving up. */
const LOCK_WAIT_MS = 60_000;

/** The files of one adapter as text and bytes. */
export interface AdapterFileContents {
  configJson: string;
  safetensors: Uint8Array;
}

/** One adapter to write: into DIR itself (`subdir` '') or into DIR/<subdir>. */
export interface AdapterWrite {
  subdir: string;
  files: AdapterFileContents;
}

/** True for the hidden entries this writer keeps in an adapter directory (a lock, a staging directory). */
export function isAdapterWriterEntry(name: string): boolean {
  return name.startsWith(LOCK_NAME) || name.startsWith(STAGE_PREFIX);
}

interface Io {
  fs: typeof FsModule;
  path: typeof PathModule;
}

function io(what: string): Io {
  return { fs: nodeFs(what), path: nodePath(what) };
}

/** A short reason for a file-system error. */
function reason(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EROFS') return 'read-only file system';
  return String((err as Error).message ?? err).split('\n')[0];
}

function exists(fs: typeof FsModule, file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Sleeps synchronously (the writers are synchronous, as PEFT's save_pretrained is). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---- the lock ---------------------------------------------------------------------------------------

/** The pid written in a lock file, or null when it cannot be read yet. */
function lockOwner(fs: typeof FsModule, lock: string): { pid: number | null; ageMs: number } | null {
  try {
    const text = fs.readFileSync(lock, 'utf8');
    const pid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
    return { pid, ageMs: Date.now() - fs.statSync(lock).mtimeMs };
  } catch {
    return null; // just released
  }
}

/**
 * Removes a lock left by dead process `pid`. It is first renamed aside, so that of two processes breaking it
 * only one succeeds; if what was renamed turns out to be a live process's new lock, it is put back.
 */
function breakStaleLock(fs: typeof FsModule, lock: string, pid: number | null): void {
  const aside = `${lock}.stale-${currentPid()}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // another process broke or released it first
  }
  const taken = lockOwner(fs, aside);
  if (taken !== null && taken.pid !== pid && taken.pid !== null && isProcessAlive(taken.pid)) {
    try { fs.linkSync(aside, lock); } catch { /* a third process holds the lock now */ }
  }
  fs.rmSync(aside, { force: true });
}

/** Runs `fn` holding DIR/.frod-lock; a lock left by a dead process is broken. */
function withLock<T>({ fs, path }: Io, dir: string, fn: () => T): T {
  const lock = path.join(dir, LOCK_NAME);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      try { fs.writeSync(fd, `${currentPid()}\n`); } finally { fs.closeSync(fd); }
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(fs, lock);
    const stale = owner !== null && (owner.pid === null ? owner.ageMs > 5_000 : !isProcessAlive(owner.pid));
    if (stale) {
      breakStaleLock(fs, lock, owner.pid);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${dir}: another process (${owner?.pid ?? 'unknown'}) is writing this adapter directory (${lock}); wait for it, or delete the lock if no such process runs`);
    }
    sleep(20);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

// ---- stages -------------------------------------------------------------------------------------------

/** The pid in a stage's name, or null when `name` is no stage. */
function stagePid(name: string): number | null {
  const found = /^\.frod-stage-(\d+)-[0-9a-z]+$/.exec(name);
  return found ? Number(found[1]) : null;
}

/** The sub-directories a committed stage writes (index k → `subdir`), or null when it is not committed. */
function committedTargets({ fs, path }: Io, stage: string): string[] | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(stage, COMMIT_NAME), 'utf8');
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as { targets: string[] };
  return parsed.targets;
}

/** Writes every adapter's files into a fresh stage directory inside `dir`; returns its path. */
function prepareStage({ fs, path }: Io, dir: string, adapters: readonly AdapterWrite[]): string {
  const stage = path.join(dir, `${STAGE_PREFIX}${currentPid()}-${Math.random().toString(36).slice(2, 10)}`);
  fs.mkdirSync(stage);
  try {
    adapters.forEach(({ subdir, files }, k) => {
      const into = path.join(stage, String(k));
      fs.mkdirSync(into);
      const target = path.join(dir, subdir);
      writeFlushed(fs, path.join(into, WEIGHTS), files.safetensors, ownershipOf(fs, path.join(target, WEIGHTS)));
      writeFlushed(fs, path.join(into, CONFIG), files.configJson, ownershipOf(fs, path.join(target, CONFIG)));
    });
    syncDirectory(fs, stage);
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  }
  return stage;
}

/** The commit point: `commit.json` appears in the stage by one rename. */
function markCommitted({ fs, path }: Io, stage: string, adapters: readonly AdapterWrite[]): void {
  const pending = path.join(stage, `${COMMIT_NAME}.tmp`);
  writeFlushed(fs, pending, JSON.stringify({ targets: adapters.map((a) => a.subdir) }));
  crashPoint('adapter-staged');
  fs.renameSync(pending, path.join(stage, COMMIT_NAME));
  syncDirectory(fs, stage);
}

/**
 * Moves a committed stage's files into place (idempotent: a file already moved is skipped, so an interrupted
 * run is finished by calling it again), then deletes the stage.
 */
function applyStage(io: Io, dir: string, stage: string, targets: readonly string[]): void {
  const { fs, path } = io;
  const staged = (k: number, name: string) => path.join(stage, String(k), name);
  const placed = (k: number, name: string) => path.join(dir, targets[k], name);
  for (const subdir of targets) fs.mkdirSync(path.join(dir, subdir), { recursive: true });
  crashPoint('adapter-committed');
  // Old configs first: until its new config arrives, an adapter is visibly incomplete, never mixed.
  targets.forEach((_, k) => { if (exists(fs, staged(k, CONFIG))) fs.rmSync(placed(k, CONFIG), { force: true }); });
  crashPoint('adapter-configs-removed');
  targets.forEach((_, k) => { if (exists(fs, staged(k, WEIGHTS))) fs.renameSync(staged(k, WEIGHTS), placed(k, WEIGHTS)); });
  crashPoint('adapter-weights-moved');
  targets.forEach((_, k) => { if (exists(fs, staged(k, CONFIG))) fs.renameSync(staged(k, CONFIG), placed(k, CONFIG)); });
  for (const subdir of new Set(targets)) syncDirectory(fs, path.join(dir, subdir));
  crashPoint('adapter-configs-moved');
  fs.rmSync(stage, { recursive: true, force: true });
}

/**
 * Finishes or removes what interrupted writers left in `dir` (call holding the lock): a committed stage is
 * applied, an uncommitted stage of a process that is gone is deleted. Returns how many stages it handled.
 */
function recoverStages(io: Io, dir: string): number {
  const { fs, path } = io;
  let handled = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const brokenLock = /^\.frod-lock\.stale-(\d+)-/.exec(name);
    if (brokenLock && !isProcessAlive(Number(brokenLock[1]))) fs.rmSync(path.join(dir, name), { force: true });
    const pid = stagePid(name);
    if (pid === null) continue;
    const stage = path.join(dir, name);
    const targets = committedTargets(io, stage);
    if (targets !== null) applyStage(io, dir, stage, targets);
    else if (!isProcessAlive(pid)) fs.rmSync(stage, { recursive: true, force: true });
    else continue;
    handled++;
  }
  return handled;
}

/** Refuses, before anything is written, targets that cannot hold an adapter (a file where a directory goes). */
function checkTargets({ fs, path }: Io, dir: string, adapters: readonly AdapterWrite[]): void {
  for (const { subdir } of adapters) {
    const target = path.join(dir, subdir);
    if (exists(fs, target) && !fs.statSync(target).isDirectory()) throw new Error(`${target}: exists and is not a directory`);
    for (const name of [CONFIG, WEIGHTS]) {
      const file = path.join(target, name);
      if (exists(fs, file) && fs.statSync(file).isDirectory()) throw new Error(`${file}: is a directory, expected a file`);
    }
  }
}

/**
 * Writes adapters into `dir` (created if needed) as one transaction (see the module comment): afterwards
 * every listed adapter holds its new files; if this throws, every adapter holds exactly what it held before.
 * Also finishes or removes what interrupted writers left in `dir`. `what` names the caller in errors.
 */
export function writeAdapterDirectories(dir: string, adapters: readonly AdapterWrite[], what: string): void {
  const files = io(what);
  const { fs, path } = files;
  const root = path.resolve(dir);
  let stage: string | null = null;
  let committed = false;
  try {
    recoverDirectorySwap(root, what); // what the previous CLI writer (which swapped whole directories) left
    checkTargets(files, root, adapters);
    fs.mkdirSync(root, { recursive: true });
    stage = prepareStage(files, root, adapters);
    crashPoint('adapter-prepared');
    withLock(files, root, () => {
      recoverStages(files, root);
      markCommitted(files, stage!, adapters);
      committed = true;
      applyStage(files, root, stage!, adapters.map((a) => a.subdir));
    });
  } catch (err) {
    if (committed) {
      throw new Error(`${dir}: the new adapter files are committed but could not all be moved into place (${reason(err)}); frod-ts reads them from the stage, and the next write of ${dir} finishes the move`);
    }
    if (stage !== null) fs.rmSync(stage, { recursive: true, force: true });
    throw new Error(`${dir}: cannot write the adapter files (${reason(err)}); the directory holds what it held before`);
  }
}

/**
 * Finishes or removes what interrupted writers left in adapter directory `dir` (and beside it), as every
 * write does first; returns how many interrupted writes it handled. Useful before handing DIR to a program
 * other than frod-ts.
 */
export function recoverAdapterDirectory(dir: string, what = 'recoverAdapterDirectory'): number {
  const files = io(what);
  const root = files.path.resolve(dir);
  recoverDirectorySwap(root, what);
  if (!exists(files.fs, root)) return 0;
  return withLock(files, root, () => recoverStages(files, root));
}

/**
 * Where to read file `name` of adapter directory `dir` right now: the committed stage's copy while an
 * interrupted (or running) write has not moved it into place yet, else DIR's own file. Never modifies DIR.
 */
export function committedFilePath(dir: string, name: string, what = 'committedFilePath'): string {
  const files = io(what);
  const { fs, path } = files;
  const root = path.resolve(dir);
  const places: Array<{ parent: string; subdir: string }> = [{ parent: root, subdir: '' }, { parent: path.dirname(root), subdir: path.basename(root) }];
  for (const { parent, subdir } of places) {
    let names: string[];
    try {
      names = fs.readdirSync(parent).filter((entry) => stagePid(entry) !== null);
    } catch {
      continue;
    }
    for (const entry of names) {
      const stage = path.join(parent, entry);
      const targets = committedTargets(files, stage);
      const k = targets?.indexOf(subdir) ?? -1;
      if (k >= 0 && exists(fs, path.join(stage, String(k), name))) return path.join(stage, String(k), name);
    }
  }
  return path.join(dir, name);
}
