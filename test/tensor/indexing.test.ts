/**
 * Index ops against multi-index references: indexSelect, indexAdd, gather, scatterAdd (duplicates add up),
 * maskedFill, diag, diagEmbed, tril, triu, oneHot, and sparseMm (COO × dense) against the dense product.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { diag, diagEmbed, matmul, oneHot, sparseMm, tensor, tril, triu, zeros, type Tensor } from '../../src/tensor';
import { assertClose, assertSameValues, check, forEachIndex, randomTensor, randomValues, sameShape, shapeArb, throwsMatching } from './helpers';

const int32 = (values: number[], shape?: number[]) => tensor(Int32Array.from(values), { shape: shape ?? [values.length] });

/** Value of a contiguous copy of x at a multi-index. */
function valueAt(x: Tensor, index: readonly number[]): number {
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return x.contiguous().data()[index.reduce((o, i, d) => o + i * strides[d], 0)];
}

const caseArb = fc.record({ shape: shapeArb(3, 4, 1), seed: fc.nat(), k: fc.nat(2), count: fc.integer({ min: 0, max: 6 }) });

test('indexSelect picks slices along a dim (repeats allowed); indexAdd adds them back', () => {
  check(fc.property(caseArb, ({ shape, seed, k, count }) => {
    const dim = k % shape.length;
    const x = randomTensor(shape, seed);
    const picks = randomValues(count, seed + 1, [0, shape[dim]], true);
    const out = x.indexSelect(dim, int32(picks));
    sameShape(out, shape.map((d, i) => (i === dim ? count : d)));
    forEachIndex(out.shape, (index) => {
      const source = [...index];
      source[dim] = picks[index[dim]];
      assert.is(valueAt(out, index), valueAt(x, source));
    });
    const added = zeros(shape, { dtype: 'float64' }).indexAdd(dim, int32(picks), out);
    forEachIndex(shape, (index) => {
      const hits = picks.filter((p) => p === index[dim]).length;
      assertClose([valueAt(added, index)], [hits * valueAt(x, index)], 1e-12, 1e-12);
    });
  }), 40);
});

test('gather reads x[..., index[...], ...] along a dim; scatterAdd accumulates duplicates', () => {
  check(fc.property(caseArb, ({ shape, seed, k, count }) => {
    const dim = k % shape.length;
    const x = randomTensor(shape, seed);
    const indexShape = shape.map((d, i) => (i === dim ? count : d));
    const index = randomTensor(indexShape, seed + 2, 'int32', [0, shape[dim]]);
    const out = x.gather(dim, index);
    sameShape(out, indexShape);
    forEachIndex(indexShape, (i) => {
      const source = [...i];
      source[dim] = valueAt(index, i);
      assert.is(valueAt(out, i), valueAt(x, source));
    });
    const src = randomTensor(indexShape, seed + 3);
    const scattered = x.scatterAdd(dim, index, src);
    const expected = Array.from(x.data());
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    forEachIndex(indexShape, (i) => {
      const target = [...i];
      target[dim] = valueAt(index, i);
      expected[target.reduce((o, t, d) => o + t * strides[d], 0)] += valueAt(src, i);
    });
    assertClose(scattered.data(), expected, 1e-12, 1e-12);
  }), 40);
});

test('gather and scatterAdd take an index smaller than the input outside dim (and than src), as torch; gather backward works', () => {
  check(fc.property(caseArb, fc.nat(), ({ shape, seed, k, count }, cut) => {
    const dim = k % shape.length;
    const indexShape = shape.map((d, i) => (i === dim ? count : Math.max(1, d - ((cut >> i) % 2))));
    const srcShape = indexShape.map((d, i) => d + ((cut >> (i + 3)) % 2));
    const x = randomTensor(shape, seed).requiresGrad_(true);
    const index = randomTensor(indexShape, seed + 2, 'int32', [0, shape[dim]]);
    const src = randomTensor(srcShape, seed + 3);
    const xStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const flat = (i: readonly number[], strides: readonly number[]) => i.reduce((o, t, d) => o + t * strides[d], 0);
    const out = x.gather(dim, index);
    out.sum().backward();
    const hits = new Array<number>(x.numel()).fill(0);
    const scatteredRef = Array.from(x.data());
    forEachIndex(indexShape, (i) => {
      const source = [...i];
      source[dim] = valueAt(index, i);
      assert.is(valueAt(out, i), valueAt(x, source));
      hits[flat(source, xStrides)] += 1;
      scatteredRef[flat(source, xStrides)] += valueAt(src, i);
    });
    assertClose(x.grad!.data(), hits, 0, 0);
    assertClose(x.detach().scatterAdd(dim, index, src).data(), scatteredRef, 1e-12, 1e-12);
  }), 40);
  const x = zeros([2, 3]);
  throwsMatching(() => x.scatterAdd(1, int32([0, 0, 0], [3, 1]), zeros([3, 1])), /scatterAdd: size of index \(3,1\) exceeds input \(2,3\) at dimension 0/);
  throwsMatching(() => x.scatterAdd(1, int32([0, 0], [1, 2]), zeros([1, 1])), /scatterAdd: size of index \(1,2\) exceeds src \(1,1\) at dimension 1/);
});

test('index errors name the bad index and the size', () => {
  const x = zeros([2, 3]);
  throwsMatching(() => x.indexSelect(1, int32([3])), /indexSelect: index 3 is out of bounds for dimension with size 3/);
  throwsMatching(() => x.gather(1, int32([0, -1], [2, 1])), /gather: index -1 is out of bounds for dimension with size 3/);
  throwsMatching(() => x.gather(1, tensor([[0], [1]])), /gather: index must be an int32 tensor, got float32/);
  throwsMatching(() => x.scatterAdd(0, int32([0, 0, 5], [1, 3]), zeros([1, 3])), /scatterAdd: index 5 is out of bounds/);
});

test('maskedFill puts the value where the mask is nonzero (broadcast mask)', () => {
  check(fc.property(caseArb, fc.double({ noNaN: true }), ({ shape, seed }, value) => {
    const x = randomTensor(shape, seed);
    const mask = randomTensor(shape.slice(1), seed + 1, 'int32', [0, 2]);
    const out = x.maskedFill(mask, value);
    forEachIndex(shape, (i) => assert.is(valueAt(out, i), valueAt(mask, i.slice(1)) ? value : valueAt(x, i)));
  }), 30);
  const ints = int32([1, 2]).maskedFill(int32([1, 0]), 7.9);
  assert.is(ints.dtype, 'int32', 'masked_fill keeps the dtype');
  assert.equal(ints.toArray(), [7, 2]);
});

test('diag both ways with offsets; diagEmbed on batches; tril and triu with diagonals (inf outside stays out)', () => {
  check(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: -4, max: 4 }), fc.nat(), (rows, cols, offset, seed) => {
    const m = randomTensor([rows, cols], seed);
    const d = diag(m, offset);
    const expected: number[] = [];
    for (let i = 0; i < rows; i++) if (i + offset >= 0 && i + offset < cols) expected.push(valueAt(m, [i, i + offset]));
    assertSameValues(d.data(), expected);
    const v = randomTensor([cols], seed + 1);
    const square = diag(v, offset);
    sameShape(square, [cols + Math.abs(offset), cols + Math.abs(offset)]);
    assertSameValues(diag(square, offset).data(), v.data());
    assertClose([square.abs().sum().item()], [v.abs().sum().item()], 1e-12, 1e-12); // nothing off the diagonal
    const lower = tril(m, offset), upper = triu(m, offset);
    forEachIndex([rows, cols], ([i, j]) => {
      assert.is(valueAt(lower, [i, j]), j - i <= offset ? valueAt(m, [i, j]) : 0);
      assert.is(valueAt(upper, [i, j]), j - i >= offset ? valueAt(m, [i, j]) : 0);
    });
  }), 40);
  const batch = randomTensor([2, 3], 9);
  const embedded = diagEmbed(batch);
  sameShape(embedded, [2, 3, 3]);
  forEachIndex([2, 3, 3], ([b, i, j]) => assert.is(valueAt(embedded, [b, i, j]), i === j ? valueAt(batch, [b, i]) : 0));
  assert.equal(tril(tensor([[1, Infinity], [NaN, 2]])).toArray(), [[1, 0], [NaN, 2]]);
  assert.equal(diagEmbed(tensor([Infinity, 1])).toArray(), [[Infinity, 0], [0, 1]]);
  throwsMatching(() => tril(zeros([3])), /tril: input tensor must have at least 2 dimensions/);
});

test('oneHot gives int32 rows; numClasses defaults to max + 1 and bounds are checked', () => {
  assert.equal(oneHot(int32([2, 0])).toArray(), [[0, 0, 1], [1, 0, 0]]);
  sameShape(oneHot(int32([1, 0, 3, 2], [2, 2]), 5), [2, 2, 5]);
  assert.is(oneHot(int32([1])).dtype, 'int32');
  throwsMatching(() => oneHot(int32([3]), 3), /oneHot: class values must be in \[0, 3\), got 3/);
  throwsMatching(() => oneHot(tensor([1])), /oneHot: expected an int32 index tensor, got float32/);
  // numClasses inferred from a large batch of labels (spreading them into Math.max overflowed the stack).
  const labels = new Int32Array(300_000);
  labels[123] = 1;
  sameShape(oneHot(tensor(labels)), [300_000, 2]);
});

test('sparseMm equals the dense product of the COO matrix (duplicate entries add), in float64 and float32', () => {
  check(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.nat(), (m, k, n, nnz, seed) => {
    const rows = randomValues(nnz, seed, [0, m], true);
    const cols = randomValues(nnz, seed + 1, [0, k], true);
    const values = randomTensor([nnz], seed + 2);
    const dense = randomTensor([k, n], seed + 3);
    const S = Array.from({ length: m * k }, () => 0);
    rows.forEach((r, t) => { S[r * k + cols[t]] += values.data()[t]; });
    const expected = matmul(tensor(Float64Array.from(S), { shape: [m, k] }), dense);
    const out = sparseMm(int32([...rows, ...cols], [2, nnz]), values, [m, k], dense);
    sameShape(out, [m, n]);
    assertClose(out.data(), expected.data(), 1e-12, 1e-12);
    const out32 = sparseMm(int32([...rows, ...cols], [2, nnz]), values.float(), [m, k], dense.float());
    assert.is(out32.dtype, 'float32');
    assertClose(out32.data(), expected.data(), 1e-5, 1e-5);
  }), 40);
  throwsMatching(() => sparseMm(int32([0, 0], [2, 1]), tensor([1]), [2, 3], zeros([4, 2])), /sparseMm: \(2,3\) and \(4,2\) cannot be multiplied/);
  throwsMatching(() => sparseMm(int32([0], [1, 1]), tensor([1]), [2, 3], zeros([3, 2])), /indices must be an int32 tensor of shape \(2, nnz\), got int32 \(1,1\)/);
});

test('oneHot refuses a negative class value, and any value when numClasses is 0', () => {
  throwsMatching(() => oneHot(int32([1, -1]), 3), /^oneHot: class values must be in \[0, 3\), got -1$/);
  throwsMatching(() => oneHot(int32([0]), 0), /^oneHot: class values must be in \[0, 0\), got 0$/);
});

test('sparseMm refuses indices that are not an int32 (2, nnz) tensor, naming their dtype and shape', () => {
  const values = tensor([1]), dense = zeros([3, 2]);
  throwsMatching(() => sparseMm(tensor([[0], [0]]), values, [2, 3], dense), /^sparseMm: indices must be an int32 tensor of shape \(2, nnz\), got float32 \(2,1\)$/);
  throwsMatching(() => sparseMm(int32([0, 0], [2, 1, 1]), values, [2, 3], dense), /got int32 \(2,1,1\)$/);
  throwsMatching(() => sparseMm(int32([0, 0]), values, [2, 3], dense), /got int32 \(2\)$/);
});

test('sparseMm refuses values that are not one per index pair, naming the shape expected', () => {
  const indices = int32([0, 1], [2, 1]), dense = zeros([3, 2]);
  throwsMatching(() => sparseMm(indices, tensor([1, 2]), [2, 3], dense), /^sparseMm: values must have shape \(1\), got \(2\)$/);
  throwsMatching(() => sparseMm(indices, tensor([[1]]), [2, 3], dense), /^sparseMm: values must have shape \(1\), got \(1,1\)$/);
});

test('sparseMm refuses a dense operand that is not a (k, n) matrix, even a vector of length k', () => {
  throwsMatching(() => sparseMm(int32([0, 0], [2, 1]), tensor([1]), [2, 3], zeros([3])), /^sparseMm: \(2,3\) and \(3\) cannot be multiplied$/);
});

test('sparseMm of int32 values and an int32 dense operand is a float32 product', () => {
  const out = sparseMm(int32([0, 1, 1, 0], [2, 2]), int32([2, 3]), [2, 2], int32([1, 2, 3, 4], [2, 2]));
  assert.is(out.dtype, 'float32');
  assert.equal(out.toArray(), [[6, 8], [3, 6]]);
});

test.run();
