/**
 * Reductions over any set of dims, with keepdim, against a naive reference that groups elements by their
 * kept indices: sum mean amax amin max/min (values, indices) argmax argmin var std norm logsumexp, on
 * contiguous and strided (transposed, sliced) inputs — which take the cpu device's copy-free paths.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { tensor, zeros, type Tensor } from '../../src/tensor';
import { assertClose, assertSameValues, check, forEachIndex, randomTensor, sameShape, shapeArb, throwsMatching } from './helpers';

/** Groups the values of x (row-major) by output position of a reduction over `dims`. */
function groups(x: Tensor, dims: readonly number[], keepdim: boolean): { shape: number[]; rows: number[][] } {
  const shape = x.shape.flatMap((d, i) => (dims.includes(i) ? (keepdim ? [1] : []) : [d]));
  const keptDims = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const keptSizes = keptDims.map((i) => x.shape[i]);
  const rows: number[][] = Array.from({ length: keptSizes.reduce((a, b) => a * b, 1) }, () => []);
  const values = x.contiguous().data();
  forEachIndex(x.shape, (index, flat) => {
    let o = 0;
    keptDims.forEach((d, k) => { o = o * keptSizes[k] + index[d]; });
    rows[o].push(values[flat]);
  });
  return { shape, rows };
}

const sum = (r: number[]) => r.reduce((a, b) => a + b, 0);
const mean = (r: number[]) => sum(r) / r.length;
const variance = (r: number[], correction: number) => sum(r.map((v) => (v - mean(r)) ** 2)) / Math.max(0, r.length - correction);
const argBest = (r: number[], better: (a: number, b: number) => boolean) => r.reduce((best, v, i) => (better(v, r[best]) ? i : best), 0);

/** A random tensor, a random subset of its dims and keepdim; sometimes a transposed or sliced view. */
const caseArb = fc.record({
  shape: shapeArb(4, 4, 1),
  seed: fc.nat(),
  pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  keepdim: fc.boolean(),
  layout: fc.constantFrom('contiguous', 'transposed', 'sliced'),
}).map(({ shape, seed, pick, keepdim, layout }) => {
  let x = randomTensor(shape, seed);
  if (layout === 'transposed' && x.ndim >= 2) x = x.transpose(0, x.ndim - 1);
  if (layout === 'sliced') x = randomTensor([...shape.slice(0, -1), shape[shape.length - 1] + 2], seed).narrow(-1, 1, shape[shape.length - 1]);
  let dims = x.shape.map((_, i) => i).filter((i) => pick[i]);
  if (dims.length === 0) dims = [x.ndim - 1];
  return { x, dims, keepdim };
});

test('sum, mean, amax, amin over random dims with keepdim match the reference (strided inputs too)', () => {
  check(fc.property(caseArb, ({ x, dims, keepdim }) => {
    const { shape, rows } = groups(x, dims, keepdim);
    const cases: [Tensor, number[]][] = [
      [x.sum(dims, keepdim), rows.map(sum)],
      [x.mean(dims, keepdim), rows.map(mean)],
      [x.amax(dims, keepdim), rows.map((r) => Math.max(...r))],
      [x.amin(dims, keepdim), rows.map((r) => Math.min(...r))],
    ];
    for (const [out, expected] of cases) {
      sameShape(out, shape);
      assertClose(out.data(), expected, 1e-12, 1e-12);
    }
  }), 60);
});

test('negative dims, a single dim, and no dim (everything) are accepted', () => {
  const x = randomTensor([2, 3, 4], 1);
  assertSameValues(x.sum(-1).data(), x.sum(2).data());
  assertSameValues(x.sum([-1, 0]).data(), x.sum([0, 2]).data());
  sameShape(x.sum(), []);
  sameShape(x.sum(undefined, true), [1, 1, 1]);
  assertClose([x.mean().item()], [mean(Array.from(x.data()))], 1e-12);
});

test('float32 sums accumulate in float64 and round once; int32 sums stay int32', () => {
  const values = Array.from({ length: 1000 }, (_, i) => 0.1 + i * 1e-4);
  const x = tensor(values);
  const exact = Array.from(x.data()).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(x.sum().item() - exact) <= Math.abs(exact) * 2 ** -23);
  const i = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
  assert.is(i.sum(0).dtype, 'int32');
  assert.equal(i.sum(0).toArray(), [4, 6]);
  assert.is(i.mean().dtype, 'float32');
});

test('max/min over a dim give values and first-hit indices; argmax/argmin of everything index the flat tensor', () => {
  check(fc.property(caseArb, fc.nat(3), ({ x, keepdim }, k) => {
    const rounded = x.mul(2).round().add(0); // ties happen (+ 0 turns −0 into 0)
    const dim = k % rounded.ndim;
    const { shape, rows } = groups(rounded, [dim], keepdim);
    const max = rounded.max(dim, keepdim);
    const min = rounded.min(dim, keepdim);
    sameShape(max.values, shape);
    sameShape(max.indices, shape);
    assert.is(max.indices.dtype, 'int32');
    assertSameValues(max.values.data(), rows.map((r) => Math.max(...r)));
    assertSameValues(max.indices.data(), rows.map((r) => argBest(r, (a, b) => a > b)));
    assertSameValues(min.values.data(), rows.map((r) => Math.min(...r)));
    assertSameValues(min.indices.data(), rows.map((r) => argBest(r, (a, b) => a < b)));
    assertSameValues(rounded.argmax(dim, keepdim).data(), max.indices.data());
    const flat = Array.from(rounded.contiguous().data());
    assert.is(rounded.argmax().item(), argBest(flat, (a, b) => a > b));
    assert.is(rounded.argmin().item(), argBest(flat, (a, b) => a < b));
    assert.is(rounded.max().item(), Math.max(...flat));
  }), 40);
});

test('NaN propagates through max/min and argmax points at it', () => {
  const x = tensor([[1, NaN, 3], [4, 5, 6]], { dtype: 'float64' });
  assert.ok(Number.isNaN(x.max().item()));
  assert.ok(Number.isNaN((x.amax(1).toArray() as number[])[0]));
  assert.equal(x.argmax(1).toArray(), [1, 2]);
  assert.ok(Number.isNaN(x.t().amin(0).data()[0])); // strided slab path
});

test('var and std (Bessel correction by default, any correction), norm for p = 1, 2, 3, ∞, logsumexp', () => {
  check(fc.property(caseArb, fc.constantFrom(0, 1, 2), ({ x, dims, keepdim }, correction) => {
    const { shape, rows } = groups(x, dims, keepdim);
    const v = x.var(dims, { correction, keepdim });
    sameShape(v, shape);
    assertClose(v.data(), rows.map((r) => variance(r, correction)), 1e-10, 1e-10);
    assertClose(x.std(dims, { correction, keepdim }).data(), rows.map((r) => Math.sqrt(variance(r, correction))), 1e-10, 1e-10);
    assertClose(x.norm(1, dims, keepdim).data(), rows.map((r) => sum(r.map(Math.abs))), 1e-10, 1e-10);
    assertClose(x.norm(2, dims, keepdim).data(), rows.map((r) => Math.sqrt(sum(r.map((e) => e * e)))), 1e-10, 1e-10);
    assertClose(x.norm(3, dims, keepdim).data(), rows.map((r) => sum(r.map((e) => Math.abs(e) ** 3)) ** (1 / 3)), 1e-10, 1e-10);
    assertClose(x.norm(Infinity, dims, keepdim).data(), rows.map((r) => Math.max(...r.map(Math.abs))), 0, 0);
    const lse = x.logsumexp(dims, keepdim);
    sameShape(lse, shape);
    assertClose(lse.data(), rows.map((r) => Math.log(sum(r.map(Math.exp)))), 1e-10, 1e-10);
  }), 40);
  assertClose([tensor([3, 4], { dtype: 'float64' }).norm().item()], [5], 0, 0);
});

test('logsumexp is stable for large inputs and exact for −∞ rows', () => {
  const x = tensor([[1000, 1000], [-Infinity, -Infinity], [-1000, 0]], { dtype: 'float64' });
  assertClose(x.logsumexp(1).data(), [1000 + Math.log(2), -Infinity, Math.log1p(Math.exp(-1000))], 1e-12, 1e-12);
});

test('reductions reject bad dims and empty max, naming them', () => {
  throwsMatching(() => zeros([2, 3]).sum(2), /sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/);
  throwsMatching(() => zeros([2, 3]).mean(-3), /mean: dimension out of range/);
  throwsMatching(() => zeros([2, 0]).amax(1), /max: cannot reduce over an empty dimension/);
  assert.equal(zeros([2, 0]).sum(1).toArray(), [0, 0]);
});

test.run();
