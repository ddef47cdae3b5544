/**
 * One safetensors file read piece by piece (Node only): the header is read and validated when the file is
 * opened (src/nn/io/format.ts, the same checks as a whole-file parse), and each tensor is read with a
 * positional read when it is needed. Memory does not grow with the file: a command holds the header and the
 * tensors it is working on, never the file.
 */
import * as fs from 'node:fs';
import { decodeEntry } from '../../nn/io/convert';
import {
  SafetensorsError, parseSafetensorsHeader, safetensorsHeaderLength, type PlacedEntry, type RawEntry,
  type SafetensorsLayout,
} from '../../nn/io/format';
import { type Tensor, tensor } from '../../tensor';
import { InputFileError, openRegularFile, readExactly } from '../../util/readInput';
import { CliError, firstLine } from '../io';
import { describeFsError } from '../files';

/** Bytes moved per read or write when tensors are copied unchanged (a tensor may be far larger). */
export const COPY_CHUNK_BYTES = 8 << 20;

/** A safetensors problem in `file` as `<file>: not a valid safetensors file: <problem>`. */
function invalid(err: SafetensorsError, file: string): CliError {
  const prefix = `safetensors: ${file}: `;
  const problem = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : firstLine(err);
  return new CliError(file, `not a valid safetensors file: ${problem}`);
}

/**
 * Reads exactly `length` bytes at `position` of `fd` into `out` (default: a fresh buffer) with the library's
 * bounded reader; a short read (the file shrank while we read it) is a CliError naming the file.
 */
function readAt(fd: number, length: number, position: number, file: string, out = new Uint8Array(length)): Uint8Array {
  try {
    readExactly(fs, fd, file, out, 0, length, position);
  } catch (err) {
    if (err instanceof InputFileError) throw new CliError(file, err.problem);
    throw err;
  }
  return out;
}

/** An open safetensors file: its validated layout, and reads of single tensors. Call {@link close} when done. */
export class TensorFile {
  private fd: number | null;

  private constructor(
    /** The path as given (named in messages). */
    readonly path: string,
    /** Size of the file in bytes. */
    readonly size: number,
    readonly layout: SafetensorsLayout,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Opens `file` and validates its header; every problem is a CliError naming the file (missing, not a
   * regular file, unreadable, malformed header, tensors that do not tile the data section).
   */
  static open(file: string): TensorFile {
    let fd: number;
    let size: number;
    try {
      ({ fd, size } = openRegularFile(file, 'frod')); // the one check of what may be opened (no device or pipe)
    } catch (err) {
      if (err instanceof InputFileError) throw new CliError(file, err.problem);
      throw err;
    }
    try {
      const first = readAt(fd, Math.min(8, size), 0, file);
      const headerLength = safetensorsHeaderLength(first, size, file);
      const head = readAt(fd, 8 + headerLength, 0, file);
      return new TensorFile(file, size, parseSafetensorsHeader(head, size, file), fd);
    } catch (err) {
      fs.closeSync(fd);
      if (err instanceof SafetensorsError) throw invalid(err, file);
      if (err instanceof CliError) throw err;
      throw new CliError(file, `cannot read the file (${describeFsError(err, 'file')})`);
    }
  }

  /** Tensor names in header order. */
  get names(): readonly string[] {
    return this.layout.headerOrder;
  }

  /** The entry of tensor `name` (dtype, shape, byte range); undefined when the file has none. */
  entry(name: string): PlacedEntry | undefined {
    return this.layout.entries.get(name);
  }

  private descriptor(): number {
    if (this.fd === null) throw new Error(`${this.path} was closed`);
    return this.fd;
  }

  private placed(name: string): PlacedEntry {
    const entry = this.layout.entries.get(name);
    if (!entry) throw new CliError(this.path, `has no tensor '${name}'`);
    return entry;
  }

  /** The stored bytes of tensor `name` (a fresh buffer). */
  read(name: string): RawEntry {
    const { dtype, shape, begin, end } = this.placed(name);
    return { dtype, shape, bytes: readAt(this.descriptor(), end - begin, begin, this.path) };
  }

  /** Tensor `name` decoded (F16/BF16 widen exactly to float32; see src/nn/io/convert.ts). */
  decode(name: string): Tensor {
    const { dtype, data } = decodeEntry(this.read(name), name, this.path);
    return tensor(data, { dtype, shape: this.placed(name).shape });
  }

  /**
   * The bytes of tensor `name` as `[chunk, offset]` pieces of at most {@link COPY_CHUNK_BYTES} (`offset` counts
   * from the tensor's first byte), each read when the next is asked for: a caller may write one out and yield
   * before reading the next. One buffer is reused, so a chunk must be consumed before the next is asked for.
   */
  *chunks(name: string): IterableIterator<[Uint8Array, number]> {
    const { begin, end } = this.placed(name);
    const buffer = new Uint8Array(Math.min(COPY_CHUNK_BYTES, Math.max(1, end - begin)));
    for (let at = begin; at < end; at += buffer.length) {
      const length = Math.min(buffer.length, end - at);
      readAt(this.descriptor(), length, at, this.path, buffer);
      yield [buffer.subarray(0, length), at - begin];
    }
  }

  /** Releases the file descriptor (safe to call twice). */
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
