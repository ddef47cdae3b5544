/**
 * Loading and saving tensors in the safetensors format (Hugging Face's checkpoint format).
 *
 *   const { tensors, metadata } = loadSafetensors('model.safetensors');   // or loadSafetensors(bytes)
 *   saveSafetensors('out.safetensors', { weight: w, indices: { tensor: idx, dtype: 'I64' } }, { format: 'pt' });
 *
 * File dtypes map to tensor dtypes as documented in ./convert (and docs/safetensors.md). Paths need
 * Node.js (through src/util/node, never a static import); in browsers pass and receive bytes.
 */
import { Tensor, tensor } from '../../tensor';
import { nodeFs, writeFileAtomic } from '../../util/node';
import { readSafetensorsFileBytes } from './readFile';
import { decodeEntry, defaultSafeDType, encodeEntry } from './convert';
import {
  SafetensorsError, isSafeDType, parseSafetensors, serializeSafetensors,
  type ParsedSafetensors, type RawEntry, type SafeDType,
} from './format';

/** A tensor to save, optionally with the file dtype to store it as (default: F32, F64 or I32 by dtype). */
export type SafetensorsValue = Tensor | { tensor: Tensor; dtype: SafeDType };

/** What {@link loadSafetensors} returns. */
export interface LoadedSafetensors {
  /** The tensors by name, in the order the file's header lists them. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` string map, or null when the file has none. */
  metadata: Record<string, string> | null;
  /** The dtype each tensor had in the file (e.g. 'I64' for an index tensor loaded as int32). */
  dtypes: Record<string, SafeDType>;
}

/**
 * Reads and validates a safetensors file (path, Node only) or in-memory bytes without converting the
 * tensors: the raw entries keep the file's exact bytes, so they can be copied into another file unchanged.
 */
export function readSafetensorsRaw(pathOrBytes: string | Uint8Array): ParsedSafetensors {
  if (typeof pathOrBytes !== 'string') return parseSafetensors(pathOrBytes);
  return parseSafetensors(readSafetensorsFileBytes(pathOrBytes, 'loadSafetensors'), pathOrBytes);
}

/**
 * Loads every tensor of a safetensors file (a path, Node only) or of its bytes.
 * Shapes are kept (scalars have shape [], empty tensors a 0 somewhere); each tensor owns fresh memory.
 * F64 → float64; F32, F16, BF16 → float32; I32, I16, I8, U8, BOOL → int32; I64 → int32 when every value
 * fits, else float64 when every |value| ≤ 2^53, else an error naming the tensor.
 */
export function loadSafetensors(pathOrBytes: string | Uint8Array): LoadedSafetensors {
  const source = typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>';
  return decodeSafetensors(readSafetensorsRaw(pathOrBytes), source);
}

/** Decodes every tensor of a parsed file (see {@link loadSafetensors} for the dtypes); `source` names it in errors. */
export function decodeSafetensors(parsed: ParsedSafetensors, source: string): LoadedSafetensors {
  const tensors: Array<[string, Tensor]> = [];
  const dtypes: Array<[string, SafeDType]> = [];
  for (const [name, entry] of parsed.entries) {
    const { dtype, data } = decodeEntry(entry, name, source);
    tensors.push([name, tensor(data, { dtype, shape: entry.shape })]);
    dtypes.push([name, entry.dtype]);
  }
  return { tensors: Object.fromEntries(tensors), metadata: parsed.metadata, dtypes: Object.fromEntries(dtypes) };
}

/** The raw entry of one value to save. */
function toEntry(name: string, value: SafetensorsValue): RawEntry {
  const target = value instanceof Tensor ? value : value?.tensor;
  if (!(target instanceof Tensor)) {
    throw new SafetensorsError('<output>', `'${name}' must be a Tensor or {tensor, dtype}`);
  }
  const dtype = value instanceof Tensor ? defaultSafeDType(target.dtype) : value.dtype;
  if (!isSafeDType(dtype)) {
    throw new SafetensorsError('<output>', `tensor '${name}' asks for unknown dtype ${JSON.stringify(dtype)}`);
  }
  return encodeEntry(target.data(), target.shape, dtype, name);
}

/**
 * Serialises tensors into safetensors bytes (names sorted, `__metadata__` first, header padded to 8 bytes).
 * Works everywhere, including browsers. Inputs are not modified.
 */
export function safetensorsBytes(
  tensors: Readonly<Record<string, SafetensorsValue>>, metadata?: Record<string, string> | null,
): Uint8Array {
  const entries = new Map<string, RawEntry>();
  for (const [name, value] of Object.entries(tensors)) entries.set(name, toEntry(name, value));
  return serializeSafetensors(entries, metadata);
}

/** Writes through a temporary file and a rename; a failure names the target and leaves it untouched. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  nodeFs('saveSafetensors'); // a clear error outside Node, before any other
  try {
    writeFileAtomic(path, bytes, 'saveSafetensors');
  } catch (err) {
    throw new SafetensorsError(path, `cannot write the file (${(err as Error).message.split('\n')[0]})`);
  }
}

/**
 * Saves tensors to a safetensors file (Node only), atomically: the bytes go to a temporary file beside
 * `path` that is then renamed over it, so a failure never leaves a partial or corrupted `path` behind.
 */
export function saveSafetensors(
  path: string, tensors: Readonly<Record<string, SafetensorsValue>>, metadata?: Record<string, string> | null,
): void {
  writeAtomically(path, safetensorsBytes(tensors, metadata));
}

/** Writes raw entries (e.g. from {@link readSafetensorsRaw}) to a file atomically; their bytes are copied as is. */
export function writeSafetensorsRaw(
  path: string, entries: ReadonlyMap<string, RawEntry> | Readonly<Record<string, RawEntry>>,
  metadata?: Record<string, string> | null,
): void {
  writeAtomically(path, serializeSafetensors(entries, metadata));
}
