/**
 * Reading input files with bounds, so that no input can make a reader hang or take unbounded memory: a
 * device such as /dev/zero or an endless pipe is refused or cut off at a documented limit instead of being
 * read for ever. Errors are {@link InputFileError}s whose message is `<file>: <problem>` on one line.
 *
 * Node modules come through ./node's lazy loaders (browser-safe to import).
 */
import type * as FsModule from 'node:fs';
import { nodeFs } from './node';

/** A file that cannot be read as asked; `problem` is the part after `<file>: `. */
export class InputFileError extends Error {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'InputFileError';
    this.file = file;
    this.problem = problem;
  }
}

/** The problem half of a message for a file-system error. */
export function describeReadError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return `cannot read the file (${String((err as Error).message ?? err).split('\n')[0]})`;
}

/** What kind of thing a non-regular file is, for messages. */
export function kindOf(stat: FsModule.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isFIFO()) return 'a pipe';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** `stat` of a file (following links), or an InputFileError naming it. */
function statOf(fs: typeof FsModule, file: string): FsModule.Stats {
  try {
    return fs.statSync(file);
  } catch (err) {
    throw new InputFileError(file, describeReadError(err));
  }
}

/** Reads exactly `length` bytes at `position` into `into` (at `offset`); an early end is an error. */
export function readExactly(fs: typeof FsModule, fd: number, file: string, into: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, offset + done, length - done, position + done);
    if (n === 0) throw new InputFileError(file, `ended after ${position + done} bytes while being read (was it changed?)`);
    done += n;
  }
}

/**
 * Opens a regular file for positional reads: a directory, device, pipe or socket is refused before it is
 * opened (opening a pipe would wait for a writer). Returns the descriptor and the size of what was opened
 * (checked again on the descriptor: the path may have been replaced meanwhile); close it with fs.closeSync.
 */
export function openRegularFile(file: string, what: string): { fs: typeof FsModule; fd: number; size: number } {
  const fs = nodeFs(what);
  const stat = statOf(fs, file);
  if (stat.isDirectory()) throw new InputFileError(file, 'is a directory, expected a file');
  if (!stat.isFile()) throw new InputFileError(file, `is ${kindOf(stat)}, expected a regular file`);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new InputFileError(file, describeReadError(err));
  }
  let opened: FsModule.Stats;
  try {
    opened = fs.fstatSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw new InputFileError(file, describeReadError(err));
  }
  if (!opened.isFile()) {
    fs.closeSync(fd);
    throw new InputFileError(file, `is ${kindOf(opened)}, expected a regular file`);
  }
  return { fs, fd, size: opened.size };
}

/**
 * Reads a whole small input (a config file) of at most `limit` bytes: a regular file larger than that is
 * refused by its size; anything else that can be read as a stream (a pipe from `<(…)`, /dev/stdin) is read up
 * to the limit and refused past it, so /dev/zero costs `limit` bytes, not the machine.
 */
export function readBoundedFile(file: string, limit: number, what: string): Uint8Array {
  const fs = nodeFs(what);
  const stat = statOf(fs, file);
  if (stat.isDirectory()) throw new InputFileError(file, 'is a directory, expected a file');
  if (stat.isFile() && stat.size > limit) {
    throw new InputFileError(file, `is ${stat.size} bytes, more than the ${limit} bytes such a file may have`);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new InputFileError(file, describeReadError(err));
  }
  try {
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 16, limit + 1 - length));
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if ((err as { code?: string }).code === 'EAGAIN') continue;
        throw new InputFileError(file, describeReadError(err));
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > limit) {
        const what = stat.isFile() ? 'grew, while being read, past' : `is ${kindOf(stat)} that gives more than`;
        throw new InputFileError(file, `${what} the ${limit} bytes such a file may have`);
      }
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
