import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  patternFromIndices, patternSeed, patternToIndices, pickSortedSlots, samplePattern, sparseNnz, type SparsePattern,
} from '../../src/frod/pattern';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden');

/** Checks the invariants of a sampled pattern: count, range, off-diagonal, strictly sorted by (row, col). */
function assertValidPattern(p: SparsePattern, inFeatures: number, sparseRate: number): void {
  assert.is(p.nnz, sparseNnz(inFeatures, sparseRate));
  assert.is(p.rows.length, p.nnz);
  assert.is(p.cols.length, p.nnz);
  assert.is(p.size, inFeatures);
  for (let i = 0; i < p.nnz; i++) {
    const r = p.rows[i];
    const c = p.cols[i];
    if (!(r >= 0 && r < inFeatures && c >= 0 && c < inFeatures)) assert.unreachable(`(${r}, ${c}) outside ${inFeatures}`);
    if (r === c) assert.unreachable(`diagonal entry (${r}, ${c})`);
    if (i > 0 && !(p.rows[i - 1] < r || (p.rows[i - 1] === r && p.cols[i - 1] < c))) {
      assert.unreachable(`entries ${i - 1} and ${i} not strictly increasing (duplicates or unsorted)`);
    }
  }
}

const same = (a: SparsePattern, b: SparsePattern) => a.nnz === b.nnz
  && a.rows.every((v, i) => v === b.rows[i]) && a.cols.every((v, i) => v === b.cols[i]);

test('sparseNnz: the formula on the golden cases (in, sparse_rate → nnz)', () => {
  for (const name of readdirSync(GOLDEN)) {
    const info = JSON.parse(readFileSync(join(GOLDEN, name, 'case.json'), 'utf8')) as { categories: Record<string, { in: number; nnz: number }> };
    const rate = (JSON.parse(readFileSync(join(GOLDEN, name, 'adapter', 'adapter_config.json'), 'utf8')) as { sparse_rate: number }).sparse_rate;
    for (const [category, { in: inFeatures, nnz }] of Object.entries(info.categories)) {
      assert.is(sparseNnz(inFeatures, rate), nnz, `${name}/${category}`);
    }
  }
});

test('sparseNnz: bounds, the raise to 1, the edges and monotonicity (property)', () => {
  fc.assert(fc.property(fc.nat({ max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
    (n, r1, r2) => {
      const nnz = sparseNnz(n, r1);
      assert.ok(nnz >= 0 && nnz <= Math.max(0, n * (n - 1)));
      assert.ok(nnz <= Math.max(1, Math.floor(n * n * r1)));
      if (r1 > 0 && n > 1) assert.ok(nnz >= 1);
      if (r1 <= r2) assert.ok(nnz <= sparseNnz(n, r2));
    }));
  assert.is(sparseNnz(100, 0), 0);
  assert.is(sparseNnz(100, 1), 9900);
  assert.is(sparseNnz(100, 1e-9), 1);
  assert.is(sparseNnz(1, 0.5), 0);
  assert.is(sparseNnz(0, 0.5), 0);
  assert.throws(() => sparseNnz(4, 1.5), /sparseNnz: sparseRate must be a number in \[0, 1\], got 1\.5/);
  assert.throws(() => sparseNnz(-1, 0.1), /sparseNnz: inFeatures must be an integer/);
});

test('samplePattern: distinct, off-diagonal, in range, sorted, nnz entries (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 80 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), fc.string({ maxLength: 12 }),
    (n, rate, key, category) => assertValidPattern(samplePattern(n, rate, key, category), n, rate)), { numRuns: 200 });
});

test('samplePattern: sparseRate 0 gives nothing, 1 gives every off-diagonal position', () => {
  assert.is(samplePattern(32, 0, 0, 'fc').nnz, 0);
  const full = samplePattern(9, 1, 7, 'fc');
  assertValidPattern(full, 9, 1);
  assert.is(full.nnz, 72);
  assert.is(samplePattern(1, 1, 0, 'fc').nnz, 0);
  assert.is(samplePattern(0, 1, 0, 'fc').nnz, 0);
});

test('samplePattern: same key and category → same pattern; another key or category → another pattern', () => {
  // n ≥ 20 gives at least 19 of 380 slots: two independent draws coincide with odds below 1e-30. (With n = 8
  // there are 3 of 56 slots, so two patterns coincided by chance about once in 140 runs.)
  fc.assert(fc.property(fc.integer({ min: 20, max: 64 }), fc.integer(), fc.integer(), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }),
    (n, k1, k2, c1, c2) => {
      const p = samplePattern(n, 0.05, k1, c1);
      assert.ok(same(p, samplePattern(n, 0.05, k1, c1)));
      if (k1 !== k2) assert.not.ok(same(p, samplePattern(n, 0.05, k2, c1)));
      if (c1 !== c2) assert.not.ok(same(p, samplePattern(n, 0.05, k1, c2)));
    }), { numRuns: 100 });
  assert.is(patternSeed(3, 'self_attn_q_proj'), 'frod-pattern/3/self_attn_q_proj');
  assert.throws(() => patternSeed(0.5, 'a'), /projectionPrngKey must be an integer/);
});

test('samplePattern: a category\'s pattern does not depend on other categories or on sampling order', () => {
  const alone = samplePattern(48, 0.05, 0, 'self_attn_q_proj');
  samplePattern(48, 0.05, 0, 'mlp_down_proj');
  samplePattern(96, 0.3, 0, 'self_attn_v_proj');
  assert.ok(same(alone, samplePattern(48, 0.05, 0, 'self_attn_q_proj')));
});

test('bitset and hash table pick the same slots (the choice is memory-only) (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ maxLength: 6 }),
    (universe, fraction, seed) => {
      const count = Math.max(1, Math.floor(universe * fraction));
      const viaBits: number[] = [];
      const viaHash: number[] = [];
      pickSortedSlots(universe, count, seed, 'bitset', (slot, at) => { viaBits[at] = slot; });
      pickSortedSlots(universe, count, seed, 'hash', (slot, at) => { viaHash[at] = slot; });
      assert.equal(viaHash, viaBits);
      assert.is(new Set(viaBits).size, count);
    }), { numRuns: 100 });
});

test('uniformity: every off-diagonal position equally likely (chi-square over many seeds, loose bound)', () => {
  // in = 6: 30 off-diagonal slots, nnz = floor(36·0.1) = 3 per draw, 4000 draws → 400 expected per slot.
  const counts = new Map<string, number>();
  const draws = 4000;
  for (let key = 0; key < draws; key++) {
    const p = samplePattern(6, 0.1, key, 'fc');
    for (let i = 0; i < p.nnz; i++) counts.set(`${p.rows[i]},${p.cols[i]}`, (counts.get(`${p.rows[i]},${p.cols[i]}`) ?? 0) + 1);
  }
  assert.is(counts.size, 30);
  const expected = (draws * 3) / 30;
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 70, `chi-square ${chi2.toFixed(1)} with 29 degrees of freedom`); // p ≈ 3e-5
  // joint uniformity: in = 4 has 12 slots and nnz = floor(16·0.15) = 2, so 66 equally likely pairs
  const pairs = new Map<string, number>();
  for (let key = 0; key < 10000; key++) {
    const p = samplePattern(4, 0.15, key, 'pair');
    const id = `${p.rows[0]},${p.cols[0]},${p.rows[1]},${p.cols[1]}`;
    pairs.set(id, (pairs.get(id) ?? 0) + 1);
  }
  assert.is(pairs.size, 66);
  const perPair = 10000 / 66;
  const chiPairs = [...pairs.values()].reduce((s, c) => s + (c - perPair) ** 2 / perPair, 0);
  assert.ok(chiPairs < 120, `pair chi-square ${chiPairs.toFixed(1)} with 65 degrees of freedom`); // p ≈ 4e-5
  // hash-table path (nnz < slots/128): row and column marginals over in = 64
  const rows = new Array<number>(64).fill(0);
  const cols = new Array<number>(64).fill(0);
  for (let key = 0; key < 1500; key++) {
    const p = samplePattern(64, 0.002, key, 'attn');
    for (let i = 0; i < p.nnz; i++) { rows[p.rows[i]]++; cols[p.cols[i]]++; }
  }
  const total = rows.reduce((a, b) => a + b, 0);
  assert.is(total, 1500 * 8);
  for (const marginal of [rows, cols]) {
    const chi = marginal.reduce((s, c) => s + (c - total / 64) ** 2 / (total / 64), 0);
    assert.ok(chi < 120, `marginal chi-square ${chi.toFixed(1)} with 63 degrees of freedom`); // p ≈ 2e-5
  }
});

test('large layers: valid at in = 4096 (bitset) and in = 20000 (hash), and past 2^32 slots (53-bit draws)', () => {
  assertValidPattern(samplePattern(4096, 0.01, 0, 'self_attn_q_proj'), 4096, 0.01);
  assertValidPattern(samplePattern(20000, 1e-4, 1, 'mlp_up_proj'), 20000, 1e-4);
  const huge = samplePattern(70000, 1e-6, 2, 'lm_head');
  assertValidPattern(huge, 70000, 1e-6);
  assert.ok(Math.max(...huge.rows) > 35000, 'slots above 2^32 are reachable');
});

test('patternToIndices / patternFromIndices round-trip, keep the file order, and reject bad indices', () => {
  const p = samplePattern(20, 0.2, 5, 'fc');
  const indices = patternToIndices(p);
  assert.is(indices.length, 2 * p.nnz);
  assert.ok(same(patternFromIndices(indices, 20), p));
  const reordered = patternFromIndices([3, 1, 0, 2], 4);
  assert.equal([...reordered.rows], [3, 1]);
  assert.equal([...reordered.cols], [0, 2]);
  assert.throws(() => patternFromIndices([0, 4], 4, 'base_model.frod_s_indices.fc'),
    /^base_model\.frod_s_indices\.fc: index 4 at col entry 0 is outside \[0, 4\)$/);
  assert.throws(() => patternFromIndices([0, 1, 2], 4), /expected shape \(2, nnz\)/);
});

test('golden adapters\' s_indices (written by torch) read back as valid off-diagonal patterns of the right size', () => {
  for (const name of readdirSync(GOLDEN)) {
    const bytes = readFileSync(join(GOLDEN, name, 'adapter', 'adapter_model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const rate = (JSON.parse(readFileSync(join(GOLDEN, name, 'adapter', 'adapter_config.json'), 'utf8')) as { sparse_rate: number }).sparse_rate;
    for (const [key, info] of Object.entries(header)) {
      if (!key.startsWith('base_model.frod_s_indices.')) continue;
      const [start, end] = info.data_offsets;
      const data = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset + 8 + headerLength + start, bytes.byteOffset + 8 + headerLength + end));
      const size = header[key.replace('s_indices', 'V')].shape[0];
      const p = patternFromIndices(data, size, key);
      assert.is(p.nnz, sparseNnz(size, rate), key);
      const positions = new Set<number>();
      for (let i = 0; i < p.nnz; i++) {
        assert.ok(p.rows[i] !== p.cols[i], `${key}: diagonal entry`);
        positions.add(p.rows[i] * size + p.cols[i]);
      }
      assert.is(positions.size, p.nnz, `${key}: duplicate positions`);
    }
  }
});

test.run();
