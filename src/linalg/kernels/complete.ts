/**
 * Orthonormal completion: given some orthonormal columns, find further unit columns orthogonal to
 * them and to each other. A Householder QR of the known columns does it — the trailing columns of
 * its complete Q span exactly their orthogonal complement — and it is deterministic.
 */
import { mat } from './mat';
import { formQColumns, householderFactor } from './qr';

/**
 * Fills the columns listed in `missing` of the column-major m×c buffer `u` (whose other columns are
 * orthonormal) with an orthonormal basis of what those columns leave uncovered. Requires c ≤ m.
 */
export function fillOrthonormalComplement(u: Float64Array, m: number, c: number, missing: readonly number[]): void {
  if (missing.length === 0) return;
  const isMissing = new Uint8Array(c);
  for (const j of missing) isMissing[j] = 1;
  const known: number[] = [];
  for (let j = 0; j < c; j++) if (!isMissing[j]) known.push(j);
  const r = known.length;
  const g = mat(m, r);
  for (let t = 0; t < r; t++) {
    const off = known[t] * m;
    for (let i = 0; i < m; i++) g.data[i * r + t] = u[off + i];
  }
  const complement = formQColumns(householderFactor(g), r, r + missing.length);
  for (let t = 0; t < missing.length; t++) {
    u.set(complement.subarray(t * m, (t + 1) * m), missing[t] * m);
  }
}
