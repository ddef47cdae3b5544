/**
 * The shared matrix helpers of the float64 kernels (mat.ts) and their products through the engine's gemm
 * (blas.ts), each against the plain definition: construction and its checks, the Euclidean norm across the
 * whole float64 range, the power-of-two rescaling, and every transpose combination of matmulT and syrk.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import {
  assertSquare, clone, fromRows, identity, mat, matmul, maxAbs, norm2, powerOfTwoScale, shapeText, toRows, transpose,
} from '../../src/linalg/kernels/mat';
import { matmulT, subView, syrk, view } from '../../src/linalg/kernels/blas';
import { RUNS, assertSmall, maxDiff, randomMat, scaleOf, throwsMatching } from './helpers';

/** (A·B)[i][j] by the textbook triple loop. */
function plainProduct(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]?.map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)) ?? []);
}

test('mat takes the data it is given as its storage, and zero-fills without', () => {
  const data = Float64Array.of(1, 2, 3, 4, 5, 6);
  const a = mat(2, 3, data);
  assert.is(a.data, data);
  assert.equal([a.rows, a.cols], [2, 3]);
  assert.equal(Array.from(mat(2, 2).data), [0, 0, 0, 0]);
});

test('mat refuses data whose length is not rows·cols, naming both', () => {
  throwsMatching(() => mat(2, 3, new Float64Array(5)), /^mat: data of length 5 does not fit a 2×3 matrix$/);
});

test('fromRows and toRows are inverse; an empty list of rows is a 0×0 matrix', () => {
  const rows = [[1, 2, 3], [4, 5, 6]];
  const a = fromRows(rows);
  assert.equal([a.rows, a.cols], [2, 3]);
  assert.equal(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
  assert.equal(toRows(a), rows);
  const empty = fromRows([]);
  assert.equal([empty.rows, empty.cols, empty.data.length], [0, 0, 0]);
});

test('fromRows refuses rows of unequal length, naming the row and both lengths', () => {
  throwsMatching(() => fromRows([[1, 2], [3, 4], [5]]), /^fromRows: row 2 has 1 entries, expected 2$/);
});

test('identity(rows, cols) has ones on the main diagonal only, for wide and tall shapes', () => {
  assert.equal(toRows(identity(2, 3)), [[1, 0, 0], [0, 1, 0]]);
  assert.equal(toRows(identity(3, 2)), [[1, 0], [0, 1], [0, 0]]);
  assert.equal(toRows(identity(2)), [[1, 0], [0, 1]]);
});

test('clone copies the values into storage of its own', () => {
  const a = fromRows([[1, 2], [3, 4]]);
  const b = clone(a);
  b.data[0] = 9;
  assert.equal(toRows(a), [[1, 2], [3, 4]]);
  assert.equal([b.rows, b.cols], [2, 2]);
});

test('matmul is the textbook product, zero entries and rectangular shapes included', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(),
    (m, k, n, seed) => {
      const a = randomMat(m, k, seed), b = randomMat(k, n, seed + 1);
      a.data[seed % a.data.length] = 0;
      const expected = fromRows(plainProduct(toRows(a), toRows(b)));
      assertSmall(maxDiff(matmul(a, b), expected), scaleOf(a) * scaleOf(b), k, 'A·B');
    }), RUNS);
});

test('matmul refuses shapes that do not chain, naming both', () => {
  throwsMatching(() => matmul(mat(2, 3), mat(2, 3)), /^matmul: \(2,3\) and \(2,3\) cannot be multiplied$/);
});

test('norm2 is the Euclidean norm of len entries from off, whatever their scale', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -300, max: 300 }), fc.nat(), (len, exponent, seed) => {
    const x = randomMat(1, len + 2, seed).data.map((v) => v * 10 ** exponent);
    let sum = 0;
    for (let i = 1; i <= len; i++) sum += (x[i] / 10 ** exponent) ** 2;
    const expected = Math.sqrt(sum) * 10 ** exponent;
    assert.ok(Math.abs(norm2(x, 1, len) - expected) <= 1e-14 * expected, `‖x‖ at 1e${exponent}: ${norm2(x, 1, len)} vs ${expected}`);
  }), RUNS);
});

test('norm2 neither overflows nor underflows at the ends of the float64 range', () => {
  assert.is(norm2(Float64Array.of(3e300, 4e300), 0, 2), 5e300);
  assert.is(norm2(Float64Array.of(3e-300, 4e-300), 0, 2), 5e-300);
  assert.is(norm2(Float64Array.of(5e-324), 0, 1), 5e-324);
  assert.is(norm2(Float64Array.of(1e-160, 1e-160, 1e-160, 1e-160), 0, 4), 2e-160);
});

test('norm2 of zeros is 0, of no entries 0, and of an infinite entry ∞', () => {
  assert.is(norm2(new Float64Array(3), 0, 3), 0);
  assert.is(norm2(Float64Array.of(7), 0, 0), 0);
  assert.is(norm2(Float64Array.of(1, -Infinity, 2), 0, 3), Infinity);
});

test('maxAbs is the largest |entry|, negative ones included; 0 for an empty matrix', () => {
  assert.is(maxAbs(fromRows([[1, -7], [3, 2]])), 7);
  assert.is(maxAbs(mat(0, 4)), 0);
});

test('shapeText and assertSquare name the shape as PyTorch prints it', () => {
  assert.is(shapeText(mat(2, 5)), '(2,5)');
  throwsMatching(() => assertSquare(mat(2, 5), 'linalg.inv'), /^linalg\.inv: expected a square matrix, got shape \(2,5\)$/);
  assertSquare(mat(3, 3), 'linalg.inv');
});

test('powerOfTwoScale is the power of two nearest 1/max (by exponent)', () => {
  assert.is(powerOfTwoScale(1), 1);
  assert.is(powerOfTwoScale(8), 1 / 8);
  assert.is(powerOfTwoScale(3), 1 / 4);
  assert.is(powerOfTwoScale(1e-300), 2 ** 997);
  assert.is(powerOfTwoScale(1e300), 2 ** -997);
});

test('powerOfTwoScale is 1 for 0, NaN, ∞ and negative values', () => {
  for (const v of [0, NaN, Infinity, -Infinity, -4]) assert.is(powerOfTwoScale(v), 1, String(v));
});

test('view and subView read entry (i, j) at offset + i·rowStride + j·colStride, transposed when asked', () => {
  const a = fromRows([[1, 2, 3], [4, 5, 6]]);
  assert.equal(view(a), { data: a.data, offset: 0, rowStride: 3, colStride: 1 });
  assert.equal(view(a, true), { data: a.data, offset: 0, rowStride: 1, colStride: 3 });
  assert.equal(subView(a.data, 3, 1, 2), { data: a.data, offset: 5, rowStride: 3, colStride: 1 });
  assert.equal(subView(a.data, 3, 1, 2, true), { data: a.data, offset: 5, rowStride: 1, colStride: 3 });
});

test('matmulT computes op(A)·op(B) for every transpose combination', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.nat(),
    (m, k, n, seed) => {
      const a = randomMat(m, k, seed), b = randomMat(k, n, seed + 1);
      const expected = matmul(a, b);
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const got = matmulT(transA ? transpose(a) : a, transB ? transpose(b) : b, transA, transB);
        assertSmall(maxDiff(got, expected), scaleOf(a) * scaleOf(b), k, `transA ${transA}, transB ${transB}`);
      }
    }), RUNS);
});

test('matmulT hands its options to the product (subtract gives −op(A)·op(B))', () => {
  const a = fromRows([[1, 9], [2, 3]]);
  assert.equal(toRows(matmulT(a, identity(2), true, false, { subtract: true })), [[-1, -2], [-9, -3]]);
});

test('matmulT refuses inner dimensions that differ, naming op(A) and op(B)', () => {
  throwsMatching(() => matmulT(mat(2, 3), mat(2, 4), true, true), /^matmul: \(3,2\) and \(4,2\) cannot be multiplied$/);
  throwsMatching(() => matmulT(mat(2, 3), mat(2, 4)), /^matmul: \(2,3\) and \(2,4\) cannot be multiplied$/);
});

test('syrk is AᵀA (or AAᵀ), exactly symmetric', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.nat(), (m, n, seed) => {
    const a = randomMat(m, n, seed);
    for (const transposeFirst of [true, false]) {
      const g = syrk(a, transposeFirst);
      const expected = transposeFirst ? matmul(transpose(a), a) : matmul(a, transpose(a));
      assert.equal([g.rows, g.cols], [expected.rows, expected.cols]);
      assertSmall(maxDiff(g, expected), scaleOf(a) ** 2, Math.max(m, n), `syrk(transposeFirst ${transposeFirst})`);
      assert.equal(g.data, transpose(g).data, 'exactly symmetric');
    }
  }), RUNS);
});

test.run();
