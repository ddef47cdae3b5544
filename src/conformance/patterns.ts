/**
 * The sparse patterns the kit knows: PEFT's (torch.randperm over the off-diagonal slots, one generator
 * seeded with projection_prng_key drawn through the adapter's categories in sorted order) and frod-ts's
 * (src/frod/pattern.ts), plus the validity rules any pattern must satisfy.
 */
import { type SparsePattern, sparseNnz } from '../frod/pattern';
import { Mt19937, torchRandperm } from './torchRandperm';

/** One category of an adapter, as the pattern needs it. */
export interface PatternCategory {
  readonly name: string;
  readonly inFeatures: number;
}

/**
 * PEFT's patterns for the categories of one adapter: a single generator seeded with `key` serves the
 * categories in sorted order; a category with nnz = 0 draws nothing. The entries are the first nnz of
 * randperm(in·(in−1)) mapped to the off-diagonal slots in row-major order.
 */
export function peftPatterns(categories: readonly PatternCategory[], sparseRate: number, key: number): Map<string, SparsePattern> {
  const generator = new Mt19937(key);
  const out = new Map<string, SparsePattern>();
  const sorted = [...categories].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, inFeatures: n } of sorted) {
    const nnz = sparseNnz(n, sparseRate);
    const rows = new Int32Array(nnz), cols = new Int32Array(nnz);
    if (nnz > 0) {
      const perm = torchRandperm(n * (n - 1), generator);
      for (let k = 0; k < nnz; k++) {
        const r = Math.floor(perm[k] / (n - 1)), j = perm[k] % (n - 1);
        rows[k] = r;
        cols[k] = j < r ? j : j + 1;
      }
    }
    out.set(name, { rows, cols, nnz, size: n });
  }
  return out;
}

/** The (2, nnz) index array of a pattern: rows then columns. */
export function patternIndices(p: SparsePattern): Float64Array {
  const out = new Float64Array(2 * p.nnz);
  out.set(p.rows, 0);
  out.set(p.cols, p.nnz);
  return out;
}

/**
 * What is wrong with a (2, nnz) index array as a pattern of an (n, n) S with `nnz` entries, or null:
 * the count, integer indices in range, no diagonal entry, no repeated entry.
 */
export function patternProblem(indices: ArrayLike<number>, shape: readonly number[], n: number, nnz: number): string | null {
  if (shape.length !== 2 || shape[0] !== 2) return `shape (${shape.join(',')}), expected (2, ${nnz})`;
  if (shape[1] !== nnz) return `${shape[1]} entries, expected nnz = ${nnz}`;
  const seen = new Set<number>();
  for (let k = 0; k < nnz; k++) {
    const r = indices[k], c = indices[nnz + k];
    if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0 || r >= n || c >= n) return `entry ${k} (${r}, ${c}) is outside [0, ${n})`;
    if (r === c) return `entry ${k} (${r}, ${c}) is on the diagonal`;
    if (seen.has(r * n + c)) return `entry ${k} (${r}, ${c}) is repeated`;
    seen.add(r * n + c);
  }
  return null;
}
