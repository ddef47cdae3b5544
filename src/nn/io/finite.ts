/**
 * Finiteness of stored floats, read from their bits: what a file will hold after rounding to its dtype
 * (a value that is finite in float64 can become infinite as F32, F16 or BF16).
 */
import type { RawEntry } from './format';

/** Exponent bits of one element: all ones means infinite or NaN. */
const EXPONENT: Partial<Record<RawEntry['dtype'], { size: number; mask: number }>> = {
  F16: { size: 2, mask: 0x7c00 },
  BF16: { size: 2, mask: 0x7f80 },
  F32: { size: 4, mask: 0x7f800000 },
  F64: { size: 8, mask: 0x7ff00000 }, // the high 32 bits
};

/**
 * The index of the first infinite or NaN element of a stored tensor (little-endian bytes), or -1 when all are
 * finite. Integer and boolean dtypes are always finite.
 */
export function firstNonFinite(entry: RawEntry): number {
  const layout = EXPONENT[entry.dtype];
  if (layout === undefined) return -1;
  const { bytes } = entry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / layout.size;
  for (let i = 0; i < count; i++) {
    const bits = layout.size === 2 ? view.getUint16(i * 2, true)
      : layout.size === 4 ? view.getUint32(i * 4, true) : view.getUint32(i * 8 + 4, true);
    if ((bits & layout.mask) >>> 0 === layout.mask) return i;
  }
  return -1;
}
