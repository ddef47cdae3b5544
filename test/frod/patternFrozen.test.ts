/**
 * The sparse pattern a seed gives is part of the file format: an adapter saved with `save_projection: false` keeps
 * neither V nor `frod_s_indices`, and a later version regenerates the pattern from `projection_prng_key` and the
 * category (src/frod/pattern.ts, docs/frod-math.md §4). So the draws must not change between versions. The
 * property tests of pattern.test.ts check that a pattern is valid and reproducible within one version; a change
 * to the draws (the rejection bound, how the 53 bits are put together, the 32-bit/53-bit switch) keeps both and
 * passed them in the mutation run's analysis (docs/testing.md). These vectors, written by frod-ts 0.1.0, pin the
 * routes: the bitset, the hash table, the 53-bit draws past 2^32 slots, and a draw with a bound of exactly 2^32.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { samplePattern, type SparsePattern } from '../../src/frod/pattern';

/** Σ (row·size + col) over the entries: one number that changes when any entry moves. */
function flatSum(p: SparsePattern): number {
  let sum = 0;
  for (let i = 0; i < p.nnz; i++) sum += p.rows[i] * p.size + p.cols[i];
  return sum;
}

test('samplePattern is frozen across versions: in 8, rate 0.25, key 0, q_proj (bitset route), every entry', () => {
  const p = samplePattern(8, 0.25, 0, 'q_proj');
  assert.equal([...p.rows], [0, 0, 0, 1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 6, 6, 7]);
  assert.equal([...p.cols], [2, 3, 6, 2, 7, 1, 2, 4, 0, 2, 3, 6, 1, 3, 5, 2]);
});

test('samplePattern is frozen across versions: in 20000, rate 1e-4, key 1, mlp_up_proj (hash-table route)', () => {
  const p = samplePattern(20000, 1e-4, 1, 'mlp_up_proj');
  assert.is(p.nnz, 40000);
  assert.equal([...p.rows.slice(0, 4)], [0, 1, 1, 1]);
  assert.equal([...p.cols.slice(0, 4)], [14939, 5280, 9463, 12082]);
  assert.equal([...p.cols.slice(-2)], [1728, 18888]);
  assert.is(flatSum(p), 8050741826751);
});

test('samplePattern is frozen across versions: in 70000, rate 1e-6, key 2, lm_head (53-bit draws past 2^32 slots)', () => {
  const p = samplePattern(70000, 1e-6, 2, 'lm_head');
  assert.is(p.nnz, 4900);
  assert.equal([...p.rows.slice(0, 4)], [7, 18, 23, 32]);
  assert.equal([...p.cols.slice(0, 4)], [55705, 7746, 18539, 64701]);
  assert.equal([...p.rows.slice(-2)], [69986, 69994]);
  assert.equal([...p.cols.slice(-2)], [21050, 65885]);
  assert.is(flatSum(p), 12000267689515);
});

test('samplePattern is frozen across versions: in 65537, rate 2e-5, key 3, wide (its draws cross 2^32 exactly, where the routes meet)', () => {
  const p = samplePattern(65537, 2e-5, 3, 'wide');
  assert.is(p.nnz, 85901);
  assert.equal([...p.rows.slice(0, 3)], [0, 0, 1]);
  assert.equal([...p.cols.slice(0, 3)], [31348, 58850, 13851]);
  assert.is(flatSum(p), 184011190065109);
});

test.run();
