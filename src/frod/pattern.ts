/**
 * The sparse COO pattern of the rotation matrix `S` (docs/frod-math.md §4).
 *
 * Every category has one pattern: `nnz` distinct off-diagonal positions of an `(in, in)` matrix, chosen
 * uniformly at random. Its values are per layer and trained; the positions are frozen and shared.
 *
 * Seed derivation (ours; it cannot reproduce PEFT's `torch.randperm`, so PEFT-written adapters bring their
 * own indices in the checkpoint): the positions of category `C` under key `k` come from seedrandom's alea
 * generator seeded with the string `frod-pattern/<k>/<C>` (`k` in decimal). Because the seed names the
 * category, a category's pattern does not depend on which other categories exist or on their order.
 */
import seedrandom from 'seedrandom';

/** A COO pattern: entry `i` sits at `(rows[i], cols[i])` of an `(size, size)` matrix. */
export interface SparsePattern {
  /** Row of each entry, `(nnz,)`. */
  readonly rows: Int32Array;
  /** Column of each entry, `(nnz,)`. */
  readonly cols: Int32Array;
  /** Number of entries. */
  readonly nnz: number;
  /** Side of the square matrix (the layer's `in` features). */
  readonly size: number;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

function checkInFeatures(inFeatures: number, what: string): void {
  if (!Number.isSafeInteger(inFeatures) || inFeatures < 0 || inFeatures * inFeatures >= TWO_POW_53) {
    throw new Error(`${what}: inFeatures must be an integer in [0, 94906265], got ${inFeatures}`);
  }
}

function checkRate(sparseRate: number, what: string): void {
  if (!(Number.isFinite(sparseRate) && sparseRate >= 0 && sparseRate <= 1)) {
    throw new Error(`${what}: sparseRate must be a number in [0, 1], got ${sparseRate}`);
  }
}

/**
 * Number of trainable off-diagonal entries of `S` for a layer with `inFeatures` inputs:
 * `min(floor(in·in·sparseRate), in·(in−1))`, raised to 1 when `sparseRate > 0` and `in > 1`
 * (computed as PEFT does: `in·in` exactly, then one float multiplication).
 */
export function sparseNnz(inFeatures: number, sparseRate: number): number {
  checkInFeatures(inFeatures, 'sparseNnz');
  checkRate(sparseRate, 'sparseNnz');
  const offDiagonal = inFeatures * (inFeatures - 1);
  let nnz = Math.min(Math.floor(inFeatures * inFeatures * sparseRate), Math.max(offDiagonal, 0));
  if (sparseRate > 0 && offDiagonal > 0) nnz = Math.max(1, nnz);
  return nnz;
}

/** The seed string of a category's pattern (see the file comment). */
export function patternSeed(projectionPrngKey: number, category: string): string {
  if (!Number.isSafeInteger(projectionPrngKey)) {
    throw new Error(`patternSeed: projectionPrngKey must be an integer, got ${projectionPrngKey}`);
  }
  return `frod-pattern/${projectionPrngKey}/${category}`;
}

/** Draws integers uniformly from [0, bound) without modulo bias (rejection sampling on 32 or 53 bits). */
function uniformIntSource(rng: seedrandom.PRNG): (bound: number) => number {
  const bits32 = () => rng.int32() >>> 0;
  return (bound) => {
    if (bound <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % bound);
      let draw = bits32();
      while (draw >= limit) draw = bits32();
      return draw % bound;
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % bound);
    let draw = (bits32() >>> 11) * TWO_POW_32 + bits32();
    while (draw >= limit) draw = (bits32() >>> 11) * TWO_POW_32 + bits32();
    return draw % bound;
  };
}

/** A set of integers in [0, 2^53) with constant-time add/has: a bitset when dense, else open addressing. */
interface SlotSet {
  has(slot: number): boolean;
  add(slot: number): void;
}

function bitsetSlotSet(universe: number): SlotSet & { bits: Uint32Array } {
  const bits = new Uint32Array(Math.ceil(universe / 32));
  return {
    bits,
    has: (slot) => (bits[Math.floor(slot / 32)] & (1 << (slot % 32))) !== 0,
    add: (slot) => { bits[Math.floor(slot / 32)] |= 1 << (slot % 32); },
  };
}

function hashSlotSet(expected: number): SlotSet {
  let capacity = 16;
  while (capacity < 2 * expected) capacity *= 2;
  const table = new Float64Array(capacity).fill(-1);
  const mask = capacity - 1;
  const home = (slot: number) => {
    // murmur3's 32-bit finaliser over the low word mixed with the high word
    let h = (slot >>> 0) ^ Math.imul(Math.floor(slot / TWO_POW_32), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0) & mask;
  };
  const find = (slot: number) => {
    let i = home(slot);
    while (table[i] !== -1 && table[i] !== slot) i = (i + 1) & mask;
    return i;
  };
  return {
    has: (slot) => table[find(slot)] === slot,
    add: (slot) => { table[find(slot)] = slot; },
  };
}

/**
 * Writes the `(row, col)` of off-diagonal slot `k` (slots count the off-diagonal entries row by row, so
 * row `r` owns slots `r·(in−1) … r·(in−1)+in−2` and skips column `r`).
 */
function slotPosition(slot: number, size: number, rows: Int32Array, cols: Int32Array, at: number): void {
  const row = Math.floor(slot / (size - 1));
  const column = slot - row * (size - 1);
  rows[at] = row;
  cols[at] = column < row ? column : column + 1;
}

/**
 * Samples a category's sparse pattern: `sparseNnz(inFeatures, sparseRate)` distinct off-diagonal positions
 * of an `(in, in)` matrix, uniformly at random, sorted by (row, col).
 *
 * Robert Floyd's algorithm picks `nnz` of the `in·(in−1)` off-diagonal slots with exactly `nnz` draws and
 * a set of the picked slots, so the `in²` candidates are never listed. The set is a bitset over the slots
 * when `nnz ≥ slots/128` (then it is no larger than the pattern itself) and a hash table otherwise: memory
 * stays O(nnz). Which set is used does not change the result.
 *
 * @param inFeatures `in`, the side of `S`
 * @param sparseRate fraction of `in²` entries to train, in [0, 1]
 * @param projectionPrngKey the config's `projectionPrngKey`
 * @param category the category name (part of the seed, see {@link patternSeed})
 * @returns rows and cols `(nnz,)` each
 */
export function samplePattern(inFeatures: number, sparseRate: number, projectionPrngKey: number, category: string): SparsePattern {
  const nnz = sparseNnz(inFeatures, sparseRate);
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  if (nnz > 0) {
    const slots = inFeatures * (inFeatures - 1);
    const seed = patternSeed(projectionPrngKey, category);
    pickSortedSlots(slots, nnz, seed, 'auto', (slot, at) => slotPosition(slot, inFeatures, rows, cols, at));
  }
  return { rows, cols, nnz, size: inFeatures };
}

/**
 * Picks `count` distinct integers of [0, universe) with Floyd's algorithm from alea(`seed`) and hands them
 * to `emit` in ascending order. `setKind` 'auto' uses a bitset when `count ≥ universe/128`, else a hash
 * table; forcing one is for tests (the picked set is the same either way).
 * @internal
 */
export function pickSortedSlots(universe: number, count: number, seed: string, setKind: 'auto' | 'bitset' | 'hash',
  emit: (slot: number, at: number) => void): void {
  const draw = uniformIntSource(seedrandom.alea(seed));
  const useBitset = setKind === 'bitset' || (setKind === 'auto' && count * 128 >= universe);
  if (useBitset) {
    // A bitset over the universe, read back in order (so already sorted).
    const picked = bitsetSlotSet(universe);
    floydSample(universe, count, draw, picked, () => undefined);
    let at = 0;
    for (let word = 0; word < picked.bits.length; word++) {
      for (let bits = picked.bits[word]; bits !== 0; bits &= bits - 1) emit(word * 32 + (31 - Math.clz32(bits & -bits)), at++);
    }
    return;
  }
  const order = new Float64Array(count);
  let filled = 0;
  floydSample(universe, count, draw, hashSlotSet(count), (slot) => { order[filled++] = slot; });
  order.sort();
  for (let i = 0; i < count; i++) emit(order[i], i);
}

/** Floyd's sampling of `count` distinct integers from [0, universe): `count` draws, each slot added once. */
function floydSample(universe: number, count: number, draw: (bound: number) => number, picked: SlotSet,
  onPick: (slot: number) => void): void {
  for (let j = universe - count; j < universe; j++) {
    const candidate = draw(j + 1);
    const slot = picked.has(candidate) ? j : candidate;
    picked.add(slot);
    onPick(slot);
  }
}

/**
 * The checkpoint form of a pattern: int64 `(2, nnz)` row-major (all rows, then all cols), as
 * `base_model.frod_s_indices.<C>` stores it.
 */
export function patternToIndices(pattern: SparsePattern): BigInt64Array {
  const out = new BigInt64Array(2 * pattern.nnz);
  for (let i = 0; i < pattern.nnz; i++) {
    out[i] = BigInt(pattern.rows[i]);
    out[pattern.nnz + i] = BigInt(pattern.cols[i]);
  }
  return out;
}

/**
 * Reads a pattern from its checkpoint form (int64 or int32 `(2, nnz)` row-major), keeping the file's entry
 * order (the per-layer values follow it). Every index must lie in [0, size); `what` names the tensor in
 * the error.
 */
export function patternFromIndices(indices: BigInt64Array | Int32Array | readonly number[], size: number, what = 'frod_s_indices'): SparsePattern {
  if (indices.length % 2 !== 0) throw new Error(`${what}: expected shape (2, nnz), got ${indices.length} values`);
  checkInFeatures(size, what);
  const nnz = indices.length / 2;
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  for (let i = 0; i < indices.length; i++) {
    const value = Number(indices[i]);
    if (!(Number.isInteger(value) && value >= 0 && value < size)) {
      throw new Error(`${what}: index ${indices[i]} at ${i < nnz ? 'row' : 'col'} entry ${i % nnz} is outside [0, ${size})`);
    }
    (i < nnz ? rows : cols)[i % nnz] = value;
  }
  return { rows, cols, nnz, size };
}
