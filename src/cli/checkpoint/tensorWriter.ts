/**
 * A safetensors file written tensor by tensor (Node only). The header is known before any data — names,
 * dtypes and shapes decide every offset (src/nn/io/format.ts lays tensors out in name order, as the Python
 * writer does) — so each tensor is written at its place when it is ready, in whatever order the work
 * produces them, and unchanged tensors are copied in chunks. Nothing but the tensor at hand is in memory.
 *
 * The file is written under a temporary name (src/util/atomicFile.ts's `.<name>.frod-tmp-<pid>-<id>`) and
 * only {@link TensorWriter.commit} renames it into place, after giving it the mode and owner of the file it
 * replaces (the same rule as every other file the project replaces); {@link TensorWriter.abort} (or a failed
 * commit) deletes it, so a failure never leaves a half-written file. Every write is asynchronous, so between
 * two chunks SIGINT/SIGTERM/SIGHUP reach src/cli/interrupt.ts, which deletes the temporary file before the
 * process ends; a temporary file a SIGKILL left is removed by the next writer of the same target.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serializeSafetensorsHeader, type TensorSpec } from '../../nn/io/format';
import {
  type FileOwnership, applyOwnership, ownershipOf, removeStaleTemporaries, syncDirectory, temporarySibling,
} from '../../util/atomicFile';
import { crashPoint, pausePoint } from '../../util/crashPoint';
import { CliError } from '../io';
import { describeFsError } from '../files';
import { trackTemporary } from '../interrupt';
import type { TensorFile } from './tensorFile';

/** Where a writer's file goes, and whose mode and owner it takes. */
export interface TensorWriterTarget {
  /** Where the file will be once committed. */
  readonly target: string;
  /**
   * The existing file the new one replaces, whose mode and owner it keeps (default `target`; a file written
   * into a staging folder names the file of the same name in the folder that will be replaced).
   */
  readonly replaces?: string;
}

export class TensorWriter {
  /** Stops the signal handlers from deleting the temporary file (once it is renamed or deleted). */
  private readonly untrack: () => void;
  private fd: number | null;
  /** Committed or aborted: nothing more to do. */
  private finished = false;
  private readonly remaining: Map<string, number>;

  private constructor(
    /** Where the file will be once committed. */
    readonly target: string,
    /** Where it is written meanwhile. */
    readonly temporary: string,
    private readonly offsets: Map<string, { begin: number; end: number }>,
    private readonly kept: FileOwnership | null,
    fd: number,
    untrack: () => void,
  ) {
    this.fd = fd;
    this.untrack = untrack;
    this.remaining = new Map([...offsets].map(([name, { begin, end }]) => [name, end - begin]));
  }

  /**
   * Starts `target` (written as a temporary sibling until {@link commit}) holding the tensors `specs` and
   * `metadata`; the header is written now.
   */
  static async create(where: string | TensorWriterTarget, specs: ReadonlyMap<string, TensorSpec>,
    metadata: Record<string, string> | null): Promise<TensorWriter> {
    const { target, replaces = target } = typeof where === 'string' ? { target: where } : where;
    const header = serializeSafetensorsHeader(specs, metadata);
    removeStaleTemporaries(target, 'frod', ['tmp']); // what killed runs left beside this output
    const temporary = temporarySibling(target, 'tmp', 'frod');
    const kept = ownershipOf(fs, replaces);
    // Tracked before it exists: a signal handled while the file is being created still deletes it.
    const untrack = trackTemporary(temporary);
    let fd: number;
    try {
      fd = fs.openSync(temporary, 'wx', kept ? 0o600 : 0o666); // private until it has the replaced file's mode
    } catch (err) {
      untrack();
      throw new CliError(target, `cannot write the file (${describeFsError(err, 'file')})`);
    }
    const writer = new TensorWriter(target, temporary, header.offsets, kept, fd, untrack);
    await writer.guard(async () => {
      await writeAll(fd, header.bytes, 0);
      fs.ftruncateSync(fd, header.fileLength);
    });
    return writer;
  }

  /** Runs a write; any failure deletes the temporary file and becomes a CliError naming the target. */
  private async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.abort();
      throw err instanceof CliError ? err : new CliError(this.target, `cannot write the file (${describeFsError(err, 'file')})`);
    }
  }

  private range(name: string): { begin: number; end: number } {
    const range = this.offsets.get(name);
    if (!range) throw new Error(`TensorWriter: '${name}' is not a tensor of ${this.target}`);
    return range;
  }

  private descriptor(): number {
    if (this.fd === null) throw new Error(`TensorWriter: ${this.target} was already committed or aborted`);
    return this.fd;
  }

  /** Writes `bytes` at byte `offset` of tensor `name` (the whole tensor when `offset` is 0 and the lengths agree). */
  async write(name: string, bytes: Uint8Array, offset = 0): Promise<void> {
    const { begin, end } = this.range(name);
    if (offset < 0 || begin + offset + bytes.length > end) {
      throw new Error(`TensorWriter: ${bytes.length} bytes at ${offset} do not fit tensor '${name}' (${end - begin} bytes)`);
    }
    const fd = this.descriptor();
    await this.guard(() => writeAll(fd, bytes, begin + offset));
    this.remaining.set(name, (this.remaining.get(name) as number) - bytes.length);
    pausePoint('file-chunk-written');
  }

  /** Copies tensor `name` of `source` unchanged, chunk by chunk, to the tensor of the same name here. */
  async copy(name: string, source: TensorFile, sourceName = name): Promise<void> {
    for (const [chunk, offset] of source.chunks(sourceName)) await this.write(name, chunk, offset);
  }

  /**
   * Checks that every tensor was written in full, gives the file the mode and owner of the one it replaces,
   * flushes it and renames it into place.
   */
  async commit(): Promise<void> {
    const missing = [...this.remaining].find(([, left]) => left !== 0);
    if (missing) {
      this.abort();
      throw new Error(`TensorWriter: tensor '${missing[0]}' of ${this.target} was not written in full`);
    }
    const fd = this.descriptor();
    await this.guard(async () => {
      applyOwnership(fs, fd, this.kept);
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
      fs.closeSync(fd);
      this.fd = null;
      crashPoint('file-written');
      fs.renameSync(this.temporary, this.target);
      this.finished = true;
      this.untrack();
    });
    syncDirectory(fs, path.dirname(path.resolve(this.target)));
  }

  /** Closes and deletes the temporary file (safe to call twice; after a commit it does nothing). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.fd !== null) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
      this.fd = null;
    }
    fs.rmSync(this.temporary, { force: true });
    this.untrack();
  }
}

/** Writes all of `bytes` at `position` of `fd`, off the main thread (a short write is continued). */
async function writeAll(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await new Promise<number>((resolve, reject) => {
      fs.write(fd, bytes, done, bytes.length - done, position + done, (err, written) => (err ? reject(err) : resolve(written)));
    });
  }
}
