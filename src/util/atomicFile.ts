/**
 * Replacing a file so that, whatever moment the process dies, the target holds either its complete old or its
 * complete new content, and whatever an interrupted run leaves behind is recognised and removed by a later one.
 *
 * - The new content goes to a temporary sibling named `.<target>.frod-tmp-<pid>-<random>` (hidden, same
 *   directory so the rename stays on one file system), is flushed to disk, then renamed over the target.
 * - A replaced file keeps its permission bits, and its owner and group where the process may set them.
 * - Before writing, temporary siblings of the same target whose process (the pid in the name) is gone are
 *   deleted: they are what a killed run left.
 *
 * Node modules are reached through ./node's lazy loaders, so this file bundles for browsers (where calling it
 * throws a clear error).
 */
import type * as FsModule from 'node:fs';
import { crashPoint } from './crashPoint';
import { nodeFs, nodePath } from './node';

/** The marker every temporary name of this project carries (after the hidden target name). */
export const TEMPORARY_MARK = '.frod-';

/** A temporary name's parts: `.<base>.frod-<kind>-<pid>-<random>`. */
export interface TemporaryName {
  base: string;
  kind: string;
  pid: number;
}

/** This process's id (0 where there is no `process`, i.e. in a browser). */
export function currentPid(): number {
  return (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
}

/** A fresh, hidden temporary name for a sibling of `base` (a file or directory name, not a path). */
export function temporaryName(base: string, kind = 'tmp'): string {
  return `.${base}${TEMPORARY_MARK}${kind}-${currentPid()}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * The path of a fresh temporary sibling of `target` (named by {@link temporaryName}; in the same directory, so
 * the rename into place stays on one file system). `what` names the caller in the error a browser gets.
 */
export function temporarySibling(target: string, kind = 'tmp', what = 'temporarySibling'): string {
  const path = nodePath(what);
  const resolved = path.resolve(target);
  return path.join(path.dirname(resolved), temporaryName(path.basename(resolved), kind));
}

/** Parses a name made by {@link temporaryName} (or by earlier versions, which added a time stamp); null otherwise. */
export function parseTemporaryName(name: string): TemporaryName | null {
  const found = /^\.(.+)\.frod-([a-z]+)-(\d+)-[0-9a-z-]+$/.exec(name);
  return found ? { base: found[1], kind: found[2], pid: Number(found[3]) } : null;
}

/**
 * True while process `pid` exists (signal 0 tests without sending). A process of another user counts as
 * alive (EPERM): its files are left alone.
 */
export function isProcessAlive(pid: number): boolean {
  const proc = (globalThis as { process?: { kill?: (pid: number, signal: number) => void } }).process;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === currentPid()) return true;
  try {
    proc?.kill?.(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Deletes the temporary siblings of `target` (kinds in `kinds`, default every kind) whose process is gone;
 * returns their paths. A temporary file of a live process (a concurrent run) is left alone.
 */
export function removeStaleTemporaries(target: string, what = 'removeStaleTemporaries', kinds?: readonly string[]): string[] {
  const fs = nodeFs(what);
  const path = nodePath(what);
  const dir = path.dirname(path.resolve(target));
  const base = path.basename(path.resolve(target));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const parsed = parseTemporaryName(name);
    if (!parsed || parsed.base !== base || (kinds && !kinds.includes(parsed.kind)) || isProcessAlive(parsed.pid)) continue;
    const stale = path.join(dir, name);
    try {
      fs.rmSync(stale, { recursive: true, force: true });
      removed.push(stale);
    } catch {
      // unremovable (permissions): leave it; it is hidden and never read
    }
  }
  return removed;
}

/**
 * Finishes or undoes a directory replacement that a killed process left beside `dir`. Such a writer fills a
 * staging directory `.<dir>.frod-tmp-<pid>-…`, moves `dir` aside to `.<dir>.frod-old-<pid>-…` (only once
 * the staging directory is complete) and renames the staging directory to `dir`. So when `dir` is missing,
 * a staging directory whose process had moved an old one aside is complete and goes into place, else the
 * old directory is put back; every other such sibling of a dead process (an unfinished staging directory,
 * an old directory already replaced) is deleted. Siblings of live processes are left alone.
 */
export function recoverDirectorySwap(dir: string, what = 'recoverDirectorySwap'): void {
  const fs = nodeFs(what);
  const path = nodePath(what);
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const left = names.flatMap((name) => {
    const parsed = parseTemporaryName(name);
    const ours = parsed && parsed.base === path.basename(target) && (parsed.kind === 'old' || parsed.kind === 'tmp');
    return ours && !isProcessAlive(parsed.pid) ? [{ file: path.join(parent, name), ...parsed }] : [];
  });
  if (left.length === 0) return;
  if (!fs.existsSync(target)) {
    const olds = left.filter((entry) => entry.kind === 'old');
    const complete = left.find((entry) => entry.kind === 'tmp' && olds.some((old) => old.pid === entry.pid));
    const restore = complete ?? olds[0];
    if (restore) fs.renameSync(restore.file, target);
  }
  for (const { file } of left) fs.rmSync(file, { recursive: true, force: true });
  syncDirectory(fs, parent);
}

/** Permission bits and owner of an existing file, or null when there is none. */
export interface FileOwnership {
  mode: number;
  uid: number;
  gid: number;
}

/** The mode and owner of `file` if it exists as a regular file. */
export function ownershipOf(fs: typeof FsModule, file: string): FileOwnership | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid } : null;
  } catch {
    return null;
  }
}

/** Gives the open file `fd` the mode and (where permitted) owner of the file it replaces. */
export function applyOwnership(fs: typeof FsModule, fd: number, kept: FileOwnership | null): void {
  if (kept === null) return;
  try {
    fs.fchownSync(fd, kept.uid, kept.gid);
  } catch {
    try { fs.fchownSync(fd, -1, kept.gid); } catch { /* not permitted: the file is ours */ }
  }
  // After chown: changing the owner clears set-user-ID bits, so the mode goes last.
  fs.fchmodSync(fd, kept.mode);
}

/** Flushes a directory's entries (a rename inside it) to disk; a file system that cannot is ignored. */
export function syncDirectory(fs: typeof FsModule, dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // e.g. EINVAL on file systems without directory fsync, EISDIR on some platforms
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Writes all of `bytes` to `file` (created fresh, never following an existing name), flushed to disk. */
export function writeFlushed(fs: typeof FsModule, file: string, bytes: Uint8Array | string, kept: FileOwnership | null = null): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const fd = fs.openSync(file, 'wx', kept ? 0o600 : 0o666);
  try {
    for (let offset = 0; offset < data.length;) offset += fs.writeSync(fd, data, offset, data.length - offset);
    applyOwnership(fs, fd, kept);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes bytes to `file` atomically: a temporary sibling (see the module comment), flushed, given the mode and
 * owner of the file it replaces, then renamed over it; a failure removes the temporary file and leaves the old
 * content. Stale temporary siblings of `file` from killed runs are removed first. `what` names the caller in
 * the error a browser gets.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string, what = 'writeFileAtomic'): void {
  const fs = nodeFs(what);
  const path = nodePath(what);
  removeStaleTemporaries(file, what, ['tmp']);
  const tmp = temporarySibling(file, 'tmp', what);
  try {
    writeFlushed(fs, tmp, bytes, ownershipOf(fs, file));
    crashPoint('file-written');
    fs.renameSync(tmp, file);
  } catch (err) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* already gone */ }
    throw err;
  }
  syncDirectory(fs, path.dirname(path.resolve(file)));
}
