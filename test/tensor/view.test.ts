/**
 * Views vs copies and the shape ops: which results share storage (PyTorch's view semantics), what their
 * values are (against multi-index references), reshape copying exactly when no view exists, contiguous(),
 * and cat / stack / split / chunk / narrow / slice / flip.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { arange, cat, chunk, split, stack, tensor, zeros, type Tensor } from '../../src/tensor';
import { assertSameValues, check, forEachIndex, randomTensor, sameShape, shapeArb, throwsMatching } from './helpers';

/** The value of x at a multi-index, read through its strides (independent of the engine's copy kernels). */
function at(x: Tensor, index: readonly number[]): number {
  const data = (x.storage as unknown as { data: ArrayLike<number> }).data;
  return data[index.reduce((o, i, d) => o + i * x.strides[d], x.offset)];
}

/** All values of x in row-major order, read through strides. */
function valuesOf(x: Tensor): number[] {
  const out: number[] = [];
  forEachIndex(x.shape, (index) => out.push(at(x, index)));
  return out;
}

const sharesStorage = (a: Tensor, b: Tensor) => a.storage === b.storage;

test('view, transpose, permute, expand, squeeze, unsqueeze, narrow, slice, select, split, t, detach share storage', () => {
  const x = randomTensor([2, 3, 4], 1);
  const views: Tensor[] = [
    x.view(6, 4), x.view([-1]), x.transpose(0, 2), x.permute(2, 0, 1), x.unsqueeze(1).expand(2, 5, 3, 4), x.unsqueeze(0),
    x.unsqueeze(0).squeeze(0), x.narrow(1, 1, 2), x.slice(2, 0, 4, 2), x.select(0, 1), x.split(1, 1)[2], x.chunk(2, 2)[1],
    x.select(0, 0).t(), x.T, x.mT, x.detach(), x.reshape(4, 6), x.flatten(), x.contiguous(),
  ];
  for (const v of views) assert.ok(sharesStorage(v, x), `${v.shape} should be a view`);
});

test('reshape copies exactly when no view exists; view then throws', () => {
  const x = randomTensor([3, 4], 2);
  const xt = x.t();
  assert.not.ok(xt.isContiguous());
  const r = xt.reshape(12);
  assert.not.ok(sharesStorage(r, x), 'reshape of a transpose copies');
  assertSameValues(r.data(), valuesOf(xt));
  throwsMatching(() => xt.view(12), /view: size \(12\) is not compatible with input tensor's size and stride.*use reshape instead/);
  // Splitting a transposed dim is still a view.
  assert.ok(sharesStorage(xt.reshape(2, 2, 3), x));
  assert.ok(sharesStorage(xt.unsqueeze(0).reshape(4, 3), x));
  // A contiguous slice (offset into its storage) reshapes without copying.
  const y = randomTensor([4, 6], 3);
  const slab = y.narrow(0, 1, 2).reshape(3, 4);
  assert.ok(sharesStorage(slab, y));
  assertSameValues(slab.data(), Array.from(y.data()).slice(6, 18));
});

test('contiguous() returns the tensor itself when already contiguous, else a row-major copy', () => {
  check(fc.property(shapeArb(4, 4, 2), fc.nat(), (shape, seed) => {
    const x = randomTensor(shape, seed);
    assert.is(x.contiguous(), x);
    const p = x.transpose(0, x.ndim - 1);
    const c = p.contiguous();
    assert.ok(c.isContiguous());
    assertSameValues(c.data(), valuesOf(p));
    if (shape[0] > 1 && shape[shape.length - 1] > 1) assert.not.ok(p.isContiguous());
    assert.ok(p.reshape(-1).isContiguous());
  }), 30);
});

test('permute and transpose move values to the permuted indices', () => {
  check(fc.property(shapeArb(4, 4, 1), fc.nat(), fc.nat(), (shape, seed, permSeed) => {
    const x = randomTensor(shape, seed);
    const order = x.shape.map((_, i) => i).sort((a, b) => ((a * 7919 + permSeed) % 13) - ((b * 7919 + permSeed) % 13));
    const p = x.permute(order);
    sameShape(p, order.map((d) => shape[d]));
    forEachIndex(p.shape, (index) => {
      const source = new Array<number>(shape.length);
      order.forEach((d, i) => { source[d] = index[i]; });
      assert.is(at(p, index), at(x, source));
    });
    assertSameValues(p.contiguous().data(), valuesOf(p));
  }), 30);
});

test('expand repeats size-1 dims and prepends new ones with zero strides', () => {
  const x = randomTensor([3, 1], 4);
  const e = x.expand(2, 3, 4);
  assert.equal([...e.strides], [0, x.strides[0], 0]);
  forEachIndex(e.shape, (i) => assert.is(at(e, i), at(x, [i[1], 0])));
  assertSameValues(x.expand(-1, 5).contiguous().data(), valuesOf(x.expand(3, 5)));
  throwsMatching(() => x.expand(-1, 3, 1), /expand: -1 is not allowed in a leading, new dimension \(expanding \(3,1\) to \(-1,3,1\)\)/);
  throwsMatching(() => x.expand(4, 4), /expand: the expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 0; target \(4,4\), tensor \(3,1\)/);
});

test('T reverses all dims and mT swaps the last two, as torch', () => {
  const x = randomTensor([2, 3, 4], 6);
  sameShape(x.T, [4, 3, 2]);
  sameShape(x.mT, [2, 4, 3]);
  forEachIndex(x.shape, ([i, j, k]) => {
    assert.is(at(x.T, [k, j, i]), at(x, [i, j, k]));
    assert.is(at(x.mT, [i, k, j]), at(x, [i, j, k]));
  });
  const m = randomTensor([2, 5], 7);
  assertSameValues(m.T.contiguous().data(), m.t().contiguous().data());
});

test('squeeze / unsqueeze / flatten shapes, as torch', () => {
  const x = zeros([1, 3, 1, 2]);
  sameShape(x.squeeze(), [3, 2]);
  sameShape(x.squeeze(0), [3, 1, 2]);
  sameShape(x.squeeze(1), [1, 3, 1, 2]);
  sameShape(x.squeeze([0, 2]), [3, 2]);
  sameShape(x.unsqueeze(-1), [1, 3, 1, 2, 1]);
  sameShape(x.unsqueeze(0), [1, 1, 3, 1, 2]);
  sameShape(x.flatten(), [6]);
  sameShape(x.flatten(1, 2), [1, 3, 2]);
  sameShape(tensor(5).flatten(), [1]);
  throwsMatching(() => x.unsqueeze(5), /unsqueeze: dimension out of range \(expected to be in range of \[-5, 4\], but got 5\)/);
});

test('narrow, slice (with steps and Python-style bounds), select and flip pick the right elements', () => {
  check(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -12, max: 12 }), fc.integer({ min: -12, max: 12 }), fc.integer({ min: 1, max: 4 }), (n, start, end, step) => {
    const x = arange(n).reshape(1, n);
    const values = Array.from({ length: n }, (_, i) => i);
    const norm = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
    const expected: number[] = [];
    for (let i = norm(start); i < norm(end); i += step) expected.push(values[i]);
    assert.equal(Array.from(x.slice(1, start, end, step).contiguous().data()), expected);
  }), 60);
  const x = randomTensor([4, 5], 5);
  assert.equal(valuesOf(x.narrow(1, 1, 3)), valuesOf(x.slice(1, 1, 4)));
  assert.equal(valuesOf(x.narrow(0, -2, 2)), valuesOf(x.slice(0, 2)));
  assert.equal(valuesOf(x.select(1, -1)), [0, 1, 2, 3].map((i) => at(x, [i, 4])));
  assert.equal(valuesOf(x.flip(0)), valuesOf(x.slice(0, 3, 4)).concat(valuesOf(x.slice(0, 2, 3)), valuesOf(x.slice(0, 1, 2)), valuesOf(x.slice(0, 0, 1))));
  throwsMatching(() => x.narrow(0, 3, 2), /narrow: start \(3\) \+ length \(2\) exceeds dimension size \(4\)/);
  throwsMatching(() => x.select(0, 4), /select: index 4 out of range for dimension 0 with size 4/);
});

test('cat and stack against the reference; split and chunk invert them', () => {
  check(fc.property(shapeArb(3, 3, 1), fc.nat(), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), fc.nat(2), (shape, seed, sizes, k) => {
    const dim = k % shape.length;
    const parts = sizes.map((s, i) => randomTensor(shape.map((d, j) => (j === dim ? s : d)), seed + i));
    const out = cat(parts, dim);
    sameShape(out, shape.map((d, j) => (j === dim ? sizes.reduce((a, b) => a + b, 0) : d)));
    let offset = 0;
    parts.forEach((p) => {
      forEachIndex(p.shape, (index) => {
        const target = [...index];
        target[dim] += offset;
        assert.is(at(out, target), at(p, index));
      });
      offset += p.shape[dim];
    });
    const back = split(out, sizes, dim);
    back.forEach((b, i) => assertSameValues(b.contiguous().data(), parts[i].data()));
    const same = sizes.map((_, i) => randomTensor(shape, seed + 10 + i));
    const stacked = stack(same, dim);
    sameShape(stacked, [...shape.slice(0, dim), same.length, ...shape.slice(dim)]);
    same.forEach((s, i) => assertSameValues(stacked.select(dim, i).contiguous().data(), s.data()));
  }), 40);
});

test('split by size and chunk follow torch (last piece smaller; chunk may return fewer pieces)', () => {
  const x = arange(10);
  assert.equal(split(x, 3).map((p) => p.numel()), [3, 3, 3, 1]);
  assert.equal(chunk(x, 4).map((p) => p.numel()), [3, 3, 3, 1]);
  assert.equal(arange(6).chunk(4).map((p) => p.numel()), [2, 2, 2]);
  throwsMatching(() => split(x, [3, 3]), /split: split_with_sizes expects split_sizes to sum exactly to 10 \(got 6\)/);
  throwsMatching(() => cat([zeros([2, 3]), zeros([2, 4])], 0), /cat: sizes of tensors must match except in dimension 0; got \(2,3\) and \(2,4\)/);
  throwsMatching(() => stack([zeros([2]), zeros([3])]), /stack: expects each tensor to be equal size, but got \(2\) and \(3\)/);
  assert.is(cat([tensor([1], { dtype: 'int32' }), tensor([0.5], { dtype: 'float64' })]).dtype, 'float64');
});

test('reshape infers one −1 and checks the element count', () => {
  const x = arange(12);
  sameShape(x.reshape(3, -1), [3, 4]);
  sameShape(x.reshape([-1, 2, 2]), [3, 2, 2]);
  throwsMatching(() => x.reshape(5, -1), /reshape: shape '\[5, -1\]' is invalid for input of size 12/);
  throwsMatching(() => x.reshape(-1, -1), /only one dimension can be inferred/);
  throwsMatching(() => x.view(13), /view: shape '\[13\]' is invalid for input of size 12/);
});

test('view and reshape of an empty non-contiguous tensor give contiguous strides (as torch) instead of looping', () => {
  const x = zeros([0, 3]).t();
  assert.not.ok(x.isContiguous());
  for (const shape of [[-1], [0], [3, 0, 1], [0, 5]]) {
    const v = x.view(shape);
    assert.ok(sharesStorage(v, x));
    assert.is(v.numel(), 0);
  }
  assert.equal(x.reshape(-1).shape, [0]);
});

test.run();
