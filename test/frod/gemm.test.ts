/**
 * The float64 products of FRoD's set-up (src/frod/gemm.ts) against the plain loops of the linear-algebra
 * kernels: every combination of transposes, empty dimensions, the shape check and row blocks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { gemm, rowBlock } from '../../src/frod/gemm';
import { type Mat, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import { assertClose, randomMat } from './helpers';


const dims = fc.record({
  m: fc.integer({ min: 1, max: 7 }),
  k: fc.integer({ min: 1, max: 7 }),
  n: fc.integer({ min: 1, max: 7 }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e9 }),
});

test('gemm(A, B, transA, transB) is op(A)·op(B) as the plain kernel computes it, for every combination of transposes', () => {
  fc.assert(fc.property(dims, ({ m, k, n, transA, transB, seed }) => {
    const a = transA ? randomMat(k, m, seed) : randomMat(m, k, seed);
    const b = transB ? randomMat(n, k, seed + 1) : randomMat(k, n, seed + 1);
    const want = matmul(transA ? transpose(a) : a, transB ? transpose(b) : b);
    const got = gemm(a, b, transA, transB);
    assert.equal([got.rows, got.cols], [m, n]);
    assertClose(got.data, want.data, 1e-14, 'op(A)·op(B)');
  }), { numRuns: 60, seed: 11 });
});

test('gemm leaves its inputs as they were', () => {
  const a = randomMat(3, 4, 1);
  const b = randomMat(4, 2, 2);
  const [aBefore, bBefore] = [a.data.slice(), b.data.slice()];
  gemm(a, b);
  gemm(a, a, false, true);
  assert.equal([...a.data], [...aBefore]);
  assert.equal([...b.data], [...bBefore]);
});

test('gemm refuses inner dimensions that differ, naming both operand shapes after the transposes', () => {
  assert.throws(() => gemm(randomMat(2, 3, 1), randomMat(4, 5, 2)), /^matmul: \(2,3\) and \(4,5\) cannot be multiplied$/);
  assert.throws(() => gemm(randomMat(2, 3, 1), randomMat(2, 5, 2), true, true), /^matmul: \(3,2\) and \(5,2\) cannot be multiplied$/);
});

test('an empty inner dimension gives a zero matrix of the outer shape; an empty outer one, an empty matrix', () => {
  const zeros = gemm(mat(3, 0), mat(0, 2));
  assert.equal([zeros.rows, zeros.cols, [...zeros.data]], [3, 2, [0, 0, 0, 0, 0, 0]]);
  const empty = gemm(mat(0, 4), randomMat(4, 2, 1));
  assert.equal([empty.rows, empty.cols, empty.data.length], [0, 2, 0]);
});

test('rowBlock(A, r0, r1) is rows r0…r1−1 of A, sharing its memory', () => {
  const a = randomMat(5, 3, 7);
  const block = rowBlock(a, 1, 4);
  assert.equal([block.rows, block.cols], [3, 3]);
  assert.equal([...block.data], [...a.data.slice(3, 12)]);
  block.data[0] = 42;
  assert.is(a.data[3], 42);
});

test.run();
