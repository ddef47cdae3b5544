/**
 * Between raw safetensors entries (the file's exact bytes) and Tensors. The CLI reads files with the raw
 * layer so that every tensor it does not change is written back byte for byte; only the tensors FRoD needs
 * are decoded, on first access.
 */
import { decodeEntry, encodeEntry } from '../nn/io/convert';
import { serializeSafetensors, type ParsedSafetensors, type RawEntry } from '../nn/io/format';
import { Tensor, tensor } from '../tensor';
import type { FrodConfig } from '../frod/config';
import { weightsFromStateDict } from '../frod/functional';
import type { BaseWeights } from '../frod/weights';
import { readSafetensorsFile } from './files';
import { CliError, about } from './io';

/** Element count of a shape (1 for a scalar). */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** A `(a, b, c)` rendering of a shape, as in PyTorch's messages. */
export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Decodes one raw entry into a fresh Tensor (see src/nn/io/convert for the dtype mapping). */
export function decodeTensor(entry: RawEntry, name: string, file: string): Tensor {
  const { dtype, data } = decodeEntry(entry, name, file);
  return tensor(data, { dtype, shape: entry.shape });
}

/**
 * A state dict over a parsed file whose tensors are decoded when first read (and then kept), so a large
 * model only pays for the tensors FRoD touches. Keys are the file's tensor names in header order.
 */
export function lazyStateDict(parsed: ParsedSafetensors, file: string): Readonly<Record<string, Tensor>> {
  const stateDict: Record<string, Tensor> = {};
  for (const name of parsed.headerOrder) {
    let decoded: Tensor | null = null;
    Object.defineProperty(stateDict, name, {
      enumerable: true,
      get: () => {
        decoded ??= decodeTensor(parsed.entries.get(name) as RawEntry, name, file);
        return decoded;
      },
    });
  }
  return Object.freeze(stateDict);
}

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

/**
 * Checks that every weight FRoD will adapt is stored as a float (F64, F32, F16 or BF16): a quantised or
 * integer weight cannot hold W' and is refused up front, naming the module.
 */
export function checkFloatWeights(base: ParsedSafetensors, paths: Iterable<string>, file: string): void {
  for (const path of paths) {
    const entry = base.entries.get(`${path}.weight`);
    if (entry && !FLOAT_DTYPES.has(entry.dtype)) {
      throw new CliError(file, `module '${path}' stores its weight as ${entry.dtype}; FRoD adapts floating-point weights (F64, F32, F16, BF16)`);
    }
  }
}

/** A base model file as init and merge read it. */
export interface BaseModelFile {
  /** The parsed safetensors file. */
  base: ParsedSafetensors;
  /** Its tensors, decoded when first read (see lazyStateDict). */
  stateDict: Readonly<Record<string, Tensor>>;
  /** The weights the config targets, each checked to be stored as a float. */
  weights: BaseWeights;
}

/** Reads the base model `file` and picks the weights `config` adapts (errors name the file). */
export function readBaseWeights(file: string, config: FrodConfig): BaseModelFile {
  const base = readSafetensorsFile(file);
  const stateDict = lazyStateDict(base, file);
  const weights = about(file, () => weightsFromStateDict(stateDict, config));
  checkFloatWeights(base, weights.keys(), file);
  return { base, stateDict, weights };
}

/** True when two shapes are equal. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/**
 * The bytes of `base` with some tensors replaced: each replacement must name a tensor of `base` and have its
 * shape, and is stored in that tensor's dtype of the file (F32 stays F32, F16 stays F16; floats round to
 * nearest even). Every other tensor keeps its exact bytes, and the metadata is kept. `check` sees each
 * replacement as it will be stored (e.g. to refuse values that became infinite in the file's dtype).
 */
export function replaceTensors(
  base: ParsedSafetensors, replacements: ReadonlyMap<string, Tensor>, file: string,
  check?: (name: string, stored: RawEntry) => void,
): Uint8Array {
  for (const name of replacements.keys()) {
    if (!base.entries.has(name)) throw new CliError(file, `has no tensor '${name}' for the adapter to replace`);
  }
  const entries = new Map<string, RawEntry>();
  for (const [name, entry] of base.entries) {
    const replacement = replacements.get(name);
    if (replacement === undefined) {
      entries.set(name, entry);
      continue;
    }
    if (!sameShape(replacement.shape, entry.shape)) {
      throw new CliError(file, `tensor '${name}' has shape ${shapeText(entry.shape)} but the merged tensor has shape ${shapeText(replacement.shape)}`);
    }
    const stored = encodeEntry(replacement.contiguous().data(), entry.shape, entry.dtype, name);
    check?.(name, stored);
    entries.set(name, stored);
  }
  return serializeSafetensors(entries, base.metadata);
}
