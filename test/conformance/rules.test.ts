/**
 * The kit's comparison rules (src/conformance/rules.ts) as specifications: what each one forgives (a sign,
 * a rotation inside a cluster, any orthogonal change of an arbitrary basis, another generator's pattern)
 * and what it still catches.
 */
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Mat, mat, matmul, qr } from '../../src/linalg/kernels';
import { CLUSTER_GAP, clusterSpectrum } from '../../src/conformance/reference';
import type { CheckEntry } from '../../src/conformance/manifest';
import { type RuleContext, type Values, compareSets, comparePattern, compareTensor } from '../../src/conformance/rules';
import { Generator } from '../../src/tensor/random';

const values = (m: Mat): Values => ({ data: m.data, shape: [m.rows, m.cols] });
const context = (): RuleContext => ({ precision: 'float64', patternRng: null, alignments: new Map() });
const randomMat = (g: Generator, n: number) => mat(n, n, Float64Array.from({ length: n * n }, () => g.random() * 2 - 1));
const orthogonal = (g: Generator, n: number) => qr(randomMat(g, n), 'reduced').Q;

/** Block-diagonal matrix: identity except the block `cols`, which is `block`. */
function embed(n: number, cols: readonly number[], block: Mat): Mat {
  const out = mat(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  cols.forEach((r, i) => cols.forEach((c, j) => { out.data[r * n + c] = block.data[i * cols.length + j]; }));
  return out;
}

function basisCheck(rule: CheckEntry['rule'], clusters: number[][]): CheckEntry {
  return { output: 'V', expected: 'V', rule, what: 'V', scale: 1, tolerance: { float64: 1e-10 }, clusters, condition: 1 };
}

test('columns-up-to-sign forgives any column signs and catches a column that is changed', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 6 }), (seed, n) => {
    const g = new Generator(seed);
    const v = randomMat(g, n);
    const signs = Array.from({ length: n }, () => (g.random() < 0.5 ? -1 : 1));
    const flipped = mat(n, n, v.data.map((x, i) => x * signs[i % n]));
    const check = basisCheck('columns-up-to-sign', Array.from({ length: n }, (_, j) => [j]));
    assert.ok(compareTensor(check, values(flipped), values(v), context()).pass);
    const changed = mat(n, n, flipped.data.slice());
    changed.data[n - 1] += 1e-6;
    assert.not.ok(compareTensor(check, values(changed), values(v), context()).pass);
  }), { numRuns: 30 });
});

test('subspace forgives an orthogonal rotation inside a cluster, not a mix with a column outside it', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
    const g = new Generator(seed);
    const v = randomMat(g, 5);
    const check = basisCheck('subspace', [[0], [1, 2, 3], [4]]);
    const rotated = matmul(v, embed(5, [1, 2, 3], orthogonal(g, 3)));
    assert.ok(compareTensor(check, values(rotated), values(v), context()).pass);
    const mixed = matmul(v, embed(5, [3, 4], orthogonal(g, 2)));
    assert.not.ok(compareTensor(check, values(mixed), values(v), context()).pass);
  }), { numRuns: 30 });
});

test('gram forgives any orthogonal change of basis (V·O) and compares V·Vᵀ', () => {
  const g = new Generator(5);
  const v = randomMat(g, 4);
  const check: CheckEntry = { ...basisCheck('gram', []), scale: 4 };
  assert.ok(compareTensor(check, values(matmul(v, orthogonal(g, 4))), values(v), context()).pass);
  const scaled = mat(4, 4, v.data.map((x, i) => (i === 0 ? x * 1.001 : x)));
  assert.not.ok(compareTensor(check, values(scaled), values(v), context()).pass);
});

test('aligned-with-basis applies the rotation found for V to U·diag(λ)', () => {
  const g = new Generator(9);
  const v = randomMat(g, 4), b = randomMat(g, 4);
  const q = embed(4, [1, 2], orthogonal(g, 2));
  const ctx = context();
  assert.ok(compareTensor(basisCheck('subspace', [[0], [1, 2], [3]]), values(matmul(v, q)), values(v), ctx).pass);
  const aligned: CheckEntry = { output: 'B', expected: 'B', rule: 'aligned-with-basis', what: 'B', alignWith: 'V', scale: 1, tolerance: { float64: 1e-10 } };
  assert.ok(compareTensor(aligned, values(matmul(b, q)), values(b), ctx).pass);
  assert.not.ok(compareTensor(aligned, values(b), values(b), ctx).pass, 'B not rotated with V');
  assert.not.ok(compareTensor(aligned, values(b), values(b), context()).pass, 'no alignment: V was not compared');
});

test('clusters: values closer than CLUSTER_GAP of the largest group together; conditions stay below 1/CLUSTER_GAP', () => {
  const { clusters, condition } = clusterSpectrum(Float64Array.from([1, 2, 2 + 1e-6, 5, 10]));
  assert.equal(clusters, [[0], [1, 2], [3], [4]]);
  for (const c of condition) assert.ok(c >= 1 && c <= 1 / CLUSTER_GAP, String(c));
  assert.equal(clusterSpectrum(Float64Array.from([3, 3, 3])).clusters, [[0, 1, 2]]);
});

test('pattern: validity always, the exact draws only when a generator is claimed', () => {
  const check: CheckEntry = { output: 'p', expected: { peft: 'a', 'frod-ts': 'b' }, rule: 'pattern', what: 'p', inFeatures: 3, nnz: 2 };
  const want = { peft: { data: Float64Array.from([0, 2, 1, 0]), shape: [2, 2] }, 'frod-ts': { data: Float64Array.from([1, 0, 2, 1]), shape: [2, 2] } };
  const other = { data: Float64Array.from([2, 1, 0, 0]), shape: [2, 2] };
  assert.ok(comparePattern(check, other, want, null).pass);
  assert.not.ok(comparePattern(check, other, want, 'peft').pass);
  assert.ok(comparePattern(check, want.peft, want, 'peft').pass);
  const diagonal = { data: Float64Array.from([1, 0, 1, 2]), shape: [2, 2] };
  assert.match(comparePattern(check, diagonal, want, null).detail, /diagonal/);
  const short = { data: Float64Array.from([1, 0]), shape: [2, 1] };
  assert.match(comparePattern(check, short, want, null).detail, /expected nnz = 2/);
});

test('same-set ignores order and names what is missing or unexpected', () => {
  assert.ok(compareSets(['b', 'a'], ['a', 'b']).pass);
  const outcome = compareSets(['a', 'c'], ['a', 'b']);
  assert.not.ok(outcome.pass);
  assert.is(outcome.error, 2);
  assert.match(outcome.detail, /missing b; unexpected c/);
});

test.run();
