/**
 * The two blocked copies under the float64 kernels: transposeInto (mat.ts) and mirrorLower (blas.ts). Both
 * walk 8×8 blocks for speed, so shapes that are no multiple of 8, single rows and columns, and empty matrices
 * must give exactly what the plain loop gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { transposeInto } from '../../src/linalg/kernels/mat';
import { mirrorLower } from '../../src/linalg/kernels/blas';
import { RUNS } from './helpers';

/** Distinct values, so that a value copied from the wrong place cannot pass. */
const numbered = (length: number) => Float64Array.from({ length }, (_, i) => i + 0.5);

test('transposeInto writes entry (i, j) of A to (j, i) for every shape, including empty ones', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (rows, cols) => {
    const src = numbered(rows * cols);
    const dst = new Float64Array(rows * cols).fill(NaN);
    transposeInto(src, rows, cols, dst);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) assert.is(dst[j * rows + i], src[i * cols + j], `(${i}, ${j}) of ${rows}×${cols}`);
    }
  }), RUNS);
});

test('transposeInto leaves its source unchanged', () => {
  const src = numbered(13 * 9);
  transposeInto(src, 13, 9, new Float64Array(13 * 9));
  assert.equal(src, numbered(13 * 9));
});

test('mirrorLower copies the lower triangle onto the upper one and leaves the lower triangle and diagonal alone', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), (n) => {
    const original = numbered(n * n);
    const x = original.slice();
    mirrorLower(x, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        assert.is(x[i * n + j], original[i * n + j], `lower (${i}, ${j}) of ${n}×${n}`);
        assert.is(x[j * n + i], original[i * n + j], `upper (${j}, ${i}) of ${n}×${n}`);
      }
    }
  }), RUNS);
});

test.run();
