/**
 * A safetensors file written tensor by tensor (Node only). The header is known before any data — names,
 * dtypes and shapes decide every offset (src/nn/io/format.ts lays tensors out in name order, as the Python
 * writer does) — so each tensor is written at its place when it is ready, in whatever order the work
 * produces them, and unchanged tensors are copied in chunks. Nothing but the tensor at hand is in memory.
 *
 * The file is written under a temporary name and only {@link TensorWriter.commit} renames it into place;
 * {@link TensorWriter.abort} (or a failed commit) deletes it, so a failure never leaves a half-written file.
 */
import * as fs from 'node:fs';
import { serializeSafetensorsHeader, type TensorSpec } from '../../nn/io/format';
import { CliError } from '../io';
import { describeFsError, temporarySibling } from '../files';
import { trackTemporary } from '../interrupt';
import { removeStaleTemporaries } from '../../util/atomicFile';
import { crashPoint, pausePoint } from '../../util/crashPoint';
import type { TensorFile } from './tensorFile';

export class TensorWriter {
  /** Stops the signal handlers from deleting the temporary file (set once it exists). */
  private untrack: () => void = () => undefined;
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
    fd: number,
  ) {
    this.fd = fd;
    this.remaining = new Map([...offsets].map(([name, { begin, end }]) => [name, end - begin]));
  }

  /**
   * Starts `target` (written as a temporary sibling until {@link commit}) holding the tensors `specs` and
   * `metadata`; the header is written now.
   */
  static create(target: string, specs: ReadonlyMap<string, TensorSpec>, metadata: Record<string, string> | null): TensorWriter {
    const header = serializeSafetensorsHeader(specs, metadata);
    removeStaleTemporaries(target, 'frod', ['tmp']); // what killed runs left beside this output
    const temporary = temporarySibling(target, 'tmp');
    let fd: number;
    try {
      fd = fs.openSync(temporary, 'wx');
    } catch (err) {
      throw new CliError(target, `cannot write the file (${describeFsError(err, 'file')})`);
    }
    const writer = new TensorWriter(target, temporary, header.offsets, fd);
    writer.untrack = trackTemporary(temporary); // deleted on SIGINT/SIGTERM/SIGHUP (src/cli/interrupt.ts)
    writer.guard(() => {
      writeAll(fd, header.bytes, 0);
      fs.ftruncateSync(fd, header.fileLength);
    });
    return writer;
  }

  /** Runs a write; any failure deletes the temporary file and becomes a CliError naming the target. */
  private guard(fn: () => void): void {
    try {
      fn();
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

  /** Writes `bytes` at byte `offset` of tensor `name` (the whole tensor when `offset` is 0 and the lengths agree). */
  write(name: string, bytes: Uint8Array, offset = 0): void {
    const { begin, end } = this.range(name);
    if (offset < 0 || begin + offset + bytes.length > end) {
      throw new Error(`TensorWriter: ${bytes.length} bytes at ${offset} do not fit tensor '${name}' (${end - begin} bytes)`);
    }
    this.guard(() => writeAll(this.fd as number, bytes, begin + offset));
    this.remaining.set(name, (this.remaining.get(name) as number) - bytes.length);
    pausePoint('file-chunk-written');
  }

  /** Copies tensor `name` of `source` unchanged, in chunks, to the tensor of the same name here. */
  copy(name: string, source: TensorFile, sourceName = name): void {
    source.stream(sourceName, (chunk, offset) => this.write(name, chunk, offset));
  }

  /** Checks that every tensor was written in full, flushes and renames the file into place. */
  commit(): void {
    const missing = [...this.remaining].find(([, left]) => left !== 0);
    if (missing) {
      this.abort();
      throw new Error(`TensorWriter: tensor '${missing[0]}' of ${this.target} was not written in full`);
    }
    this.guard(() => {
      fs.fsyncSync(this.fd as number);
      fs.closeSync(this.fd as number);
      this.fd = null;
      crashPoint('file-written');
      fs.renameSync(this.temporary, this.target);
      this.finished = true;
      this.untrack();
    });
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

/** Writes all of `bytes` at `position` (a short write is continued). */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}
