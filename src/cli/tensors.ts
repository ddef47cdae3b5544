/**
 * Between raw safetensors entries (the file's exact bytes) and Tensors, for the small files the CLI holds in
 * memory (an adapter). Base models are read tensor by tensor through src/cli/checkpoint instead.
 */
import { decodeEntry } from '../nn/io/convert';
import type { ParsedSafetensors, RawEntry } from '../nn/io/format';
import { Tensor, tensor } from '../tensor';

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
 * A state dict over a parsed file whose tensors are decoded when first read (and then kept), so only the
 * tensors FRoD touches are decoded. Keys are the file's tensor names in header order.
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
