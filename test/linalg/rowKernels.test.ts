/**
 * The small row kernels every decomposition leans on, each against the plain loop it stands for: the sign
 * convention (signs.ts), subtractRows, dot and rotateRows (rowOps.ts, unrolled by four and two, so lengths
 * and ranges of every remainder must agree), and the orthonormal completion (complete.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { canonicalSign, negate } from '../../src/linalg/kernels/signs';
import { dot, rotateRows, subtractRows } from '../../src/linalg/kernels/rowOps';
import { fillOrthonormalComplement } from '../../src/linalg/kernels/complete';
import { RUNS, assertSmall, randomMat, randomOrthogonal } from './helpers';

/** Seeded values in (−1, 1) as a Float64Array (from a random matrix, so the tests share one generator). */
const values = (length: number, seed: number) => randomMat(1, length, seed).data;

/** The sign of the first entry of largest magnitude among x[off + i·stride], i < len (+1 for none or 0). */
function plainSign(x: Float64Array, off: number, len: number, stride: number): 1 | -1 {
  let at = -1;
  for (let i = 0; i < len; i++) if (at < 0 || Math.abs(x[off + i * stride]) > Math.abs(x[at])) at = off + i * stride;
  return at >= 0 && x[at] < 0 ? -1 : 1;
}

test('canonicalSign is the sign of the entry of largest magnitude, read at off, off + stride, …', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.nat(),
    (len, off, stride, seed) => {
      const x = values(off + len * stride, seed);
      assert.is(canonicalSign(x, off, len, stride), plainSign(x, off, len, stride));
    }), RUNS);
});

test('canonicalSign: on a tie in magnitude the first entry decides', () => {
  assert.is(canonicalSign(Float64Array.of(-0.5, 0.5), 0, 2), -1);
  assert.is(canonicalSign(Float64Array.of(0.5, -0.5), 0, 2), 1);
  assert.is(canonicalSign(Float64Array.of(0.1, -3, 3, -3), 0, 4), -1);
});

test('canonicalSign: entries smaller than 1 in magnitude decide too (a vector of one small negative entry is −1)', () => {
  assert.is(canonicalSign(Float64Array.of(-1e-3), 0, 1), -1);
  assert.is(canonicalSign(Float64Array.of(0, -1e-300, 0), 0, 3), -1);
});

test('canonicalSign: a zero vector, and no entries at all, count as positive', () => {
  assert.is(canonicalSign(new Float64Array(4), 0, 4), 1);
  assert.is(canonicalSign(Float64Array.of(-1), 0, 0), 1);
});

test('canonicalSign reads only the entries it is given (not those outside off…off + (len−1)·stride)', () => {
  const x = Float64Array.of(-9, 1, -9, 2, -9, -9);
  assert.is(canonicalSign(x, 1, 2, 2), 1);
  assert.is(canonicalSign(x, 0, 1, 3), -1);
});

test('negate flips the sign of exactly len entries at off, off + stride, … and leaves the rest', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.nat(),
    (len, off, stride, seed) => {
      const x = values(off + len * stride + 2, seed);
      const before = x.slice();
      negate(x, off, len, stride);
      for (let i = 0; i < x.length; i++) {
        const inside = i >= off && i < off + len * stride && (i - off) % stride === 0;
        assert.is(x[i], inside ? -before[i] : before[i], `entry ${i}`);
      }
    }), RUNS);
});

test('subtractRows subtracts Σ coef[co + j]·(row j of y) for j in [j0, j1) from x, for every range and remainder', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 0, max: 2 }), fc.nat(), (a, b, len, pad, seed) => {
      const j0 = Math.min(a, b), j1 = Math.max(a, b);
      const stride = len + pad, yo = 1, co = 2, xo = 3;
      const y = values(12 * stride + yo, seed);
      const coef = values(12 + co, seed + 1);
      if (seed % 2 === 0) coef[co + j0] = 0; // zero coefficients are skipped, never wrongly
      const x = values(xo + len + 2, seed + 2);
      const expected = x.slice();
      for (let c = 0; c < len; c++) {
        for (let j = j0; j < j1; j++) expected[xo + c] -= coef[co + j] * y[j * stride + yo + c];
      }
      subtractRows(x, xo, len, coef, co, y, stride, yo, j0, j1);
      for (let i = 0; i < x.length; i++) assertSmall(Math.abs(x[i] - expected[i]), 1, 12, `x[${i}]`);
      for (let i = 0; i < xo; i++) assert.is(x[i], expected[i], 'entries before xo untouched');
      for (let i = xo + len; i < x.length; i++) assert.is(x[i], expected[i], 'entries past xo + len untouched');
    }), RUNS);
});

test('dot is Σ x[xo + c]·y[yo + c] over len entries, odd lengths included', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.nat(),
    (len, xo, yo, seed) => {
      const x = values(xo + len + 1, seed), y = values(yo + len + 1, seed + 1);
      let expected = 0;
      for (let c = 0; c < len; c++) expected += x[xo + c] * y[yo + c];
      assertSmall(Math.abs(dot(x, xo, y, yo, len) - expected), 1, len, 'dot');
    }), RUNS);
});

test('dot of one entry, and of none', () => {
  assert.is(dot(Float64Array.of(9, 3), 1, Float64Array.of(5, 7), 0, 1), 15);
  assert.is(dot(Float64Array.of(9, 3), 0, Float64Array.of(5, 7), 0, 0), 0);
});

test('rotateRows maps (x, y) to (c·x + s·y, c·y − s·x) over len entries and leaves the rest', () => {
  const data = Float64Array.of(1, 2, 3, 10, 20, 30, 7);
  rotateRows(data, 0, 3, 3, 0.6, 0.8);
  const expected = [0.6 * 1 + 0.8 * 10, 0.6 * 2 + 0.8 * 20, 0.6 * 3 + 0.8 * 30, 0.6 * 10 - 0.8 * 1, 0.6 * 20 - 0.8 * 2, 0.6 * 30 - 0.8 * 3, 7];
  assert.equal(Array.from(data), expected);
});

/** Column j of the column-major m×c buffer u. */
const column = (u: Float64Array, m: number, j: number) => u.subarray(j * m, (j + 1) * m);

test('fillOrthonormalComplement fills the missing columns so all c columns are orthonormal, and keeps the given ones', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.nat(), (m, seed) => {
    const c = 1 + (seed % m);
    const q = randomOrthogonal(m, seed); // its first c columns, column-major
    const u = new Float64Array(m * c);
    for (let j = 0; j < c; j++) for (let i = 0; i < m; i++) u[j * m + i] = q.data[i * m + j];
    const missing = Array.from({ length: c }, (_, j) => j).filter((j) => (j + seed) % 3 === 0);
    const given = u.slice();
    for (const j of missing) column(u, m, j).fill(0);
    fillOrthonormalComplement(u, m, c, missing);
    for (let j = 0; j < c; j++) {
      if (!missing.includes(j)) assert.equal(column(u, m, j), column(given, m, j), `column ${j} kept`);
      for (let l = 0; l <= j; l++) {
        const ip = dot(u, j * m, u, l * m, m);
        assertSmall(Math.abs(ip - (j === l ? 1 : 0)), 1, m, `⟨u${j}, u${l}⟩`);
      }
    }
  }), RUNS);
});

test('fillOrthonormalComplement with nothing missing leaves the buffer as it is', () => {
  const u = Float64Array.of(1, 0, 0, 0, 0, 1);
  fillOrthonormalComplement(u, 3, 2, []);
  assert.equal(Array.from(u), [1, 0, 0, 0, 0, 1]);
});

test.run();
