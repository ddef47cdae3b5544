/**
 * The shared basis (spec §2) where projection.test.ts's properties cannot look: the spectrum each path
 * reports, checked against T and M computed independently (Householder QR, LU inverses), the ridge term's
 * bounds, infinite weights, the Householder fallback for a stack too ill-conditioned for CholeskyQR2 and the
 * Householder finish when its second step breaks down, the caller's stack overwritten with Q when allowed, and
 * weights that only look like one stack (two buffers, or different in_features) read as separate weights.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { type Mat, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import { inv } from '../../src/linalg/kernels/lu';
import { qr } from '../../src/linalg/kernels/qr';
import { categoryProjection, stackWeights, tallQr } from '../../src/frod/projection';
import { randomMat } from './helpers';


const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** T = (1/L) Σ_i (Q_iᵀQ_i + αI)⁻¹ with Q from Householder and each inverse from LU: the reference of spec §2. */
function referenceT(weights: Mat[], alpha: number): Mat {
  const { Q } = qr(stackWeights(weights), 'reduced');
  const n = Q.cols;
  const t = mat(n, n);
  let start = 0;
  for (const w of weights) {
    const block = mat(w.rows, n, Q.data.slice(start * n, (start + w.rows) * n));
    start += w.rows;
    const gram = matmul(transpose(block), block);
    for (let i = 0; i < n; i++) gram.data[i * n + i] += alpha;
    const inverse = inv(gram);
    for (let k = 0; k < t.data.length; k++) t.data[k] += inverse.data[k] / weights.length;
  }
  return t;
}

const tallStacks = fc.record({
  inFeatures: fc.integer({ min: 1, max: 6 }),
  outs: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
  alpha: fc.constantFrom(1e-3, 0.1, 2),
  seed: fc.integer({ min: 0, max: 1e9 }),
}).filter((s) => sum(s.outs) >= s.inFeatures);

test('qr-eig path: the spectrum μ is that of T = (1/L) Σ (Q_iᵀQ_i + αI)⁻¹ (trace and Frobenius norm), for the α given', () => {
  fc.assert(fc.property(tallStacks, ({ inFeatures, outs, alpha, seed }) => {
    const weights = outs.map((out, i) => randomMat(out, inFeatures, seed + 31 * i));
    const { spectrum, path } = categoryProjection(weights, alpha);
    assert.is(path, 'qr-eig');
    // T's eigenvalues do not depend on the signs of R's rows (T changes by D·T·D), so any QR will do.
    const t = referenceT(weights, alpha);
    const trace = sum(Array.from({ length: inFeatures }, (_, i) => t.data[i * inFeatures + i]));
    const frobenius2 = sum(t.data.map((x) => x * x));
    assert.ok(near(sum(spectrum), trace, 1e-9), `Σμ ${sum(spectrum)} vs trace(T) ${trace}`);
    assert.ok(near(sum(spectrum.map((m) => m * m)), frobenius2, 1e-9), `Σμ² vs ‖T‖²`);
  }), { numRuns: 40, seed: 3 });
});

test('svd path: the spectrum is the singular values of the stack (Σσ² = ‖M‖², all of them when rows < in)', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 1e9 }), (inFeatures, seed) => {
    const w = randomMat(inFeatures - 1, inFeatures, seed);
    const { spectrum, path } = categoryProjection([w], 1e-3);
    assert.is(path, 'svd');
    assert.is(spectrum.length, inFeatures - 1);
    assert.ok(near(sum(spectrum.map((s) => s * s)), sum(w.data.map((x) => x * x)), 1e-12));
  }), { numRuns: 30, seed: 4 });
});

test('regularization_alpha must be a finite number above zero, and the message names it', () => {
  const w = randomMat(4, 2, 1);
  for (const alpha of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => categoryProjection([w], alpha), new RegExp(`^FRoD projection: regularization_alpha must be > 0, got ${alpha}$`));
  }
});

test('an infinite weight is refused like NaN', () => {
  for (const bad of [Infinity, -Infinity]) {
    const w = randomMat(4, 2, 1);
    w.data[5] = bad;
    assert.throws(() => categoryProjection([w], 1e-3), /^FRoD projection: the weights contain NaN or infinite values$/);
  }
});

test('tallQr gives an orthonormal Q with Q R = M for a stack of condition number 1e10, beyond CholeskyQR2\'s reach', () => {
  // M = A·diag(1, 1e-5, 1e-10) for a random A: well-defined columns, condition number about 1e10.
  const m = randomMat(8, 3, 9);
  for (let i = 0; i < 8; i++) { m.data[i * 3 + 1] *= 1e-5; m.data[i * 3 + 2] *= 1e-10; }
  const { Q, R } = tallQr(m);
  const qtq = matmul(transpose(Q), Q);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(qtq.data[i * 3 + j] - (i === j ? 1 : 0)) < 1e-12, `QᵀQ[${i},${j}] = ${qtq.data[i * 3 + j]}`);
  }
  const back = matmul(Q, R);
  for (let k = 0; k < m.data.length; k++) assert.ok(Math.abs(back.data[k] - m.data[k]) < 1e-14, 'Q R = M');
});

test('tallQr\'s CholeskyQR2 gives Q R = M to rounding where its second step matters (condition number about 1e4)', () => {
  // Columns a₀, a₀ + 1e-2·a₁, a₀ + 1e-4·a₂ of a random A: nearly parallel (column scaling alone would not do, as
  // Cholesky does not see it). R₁'s pivot ratio stays above CholeskyQR2's limit, but M·R₁⁻¹ is orthonormal only to
  // about 1e-8, so R = R₂R₁ differs from R₁ there, and only the right R₂ brings Q R back to M.
  const m = randomMat(40, 3, 13);
  for (let i = 0; i < 40; i++) {
    const a0 = m.data[i * 3];
    m.data[i * 3 + 1] = a0 + 1e-2 * m.data[i * 3 + 1];
    m.data[i * 3 + 2] = a0 + 1e-4 * m.data[i * 3 + 2];
  }
  const { Q, R } = tallQr(m);
  assert.ok([0, 4, 8].every((i) => R.data[i] > 0), 'CholeskyQR2 took it (Householder\'s R need not have a positive diagonal)');
  const back = matmul(Q, R);
  const scale = Math.max(...Array.from(m.data, Math.abs));
  for (let e = 0; e < m.data.length; e++) assert.ok(Math.abs(back.data[e] - m.data[e]) < 1e-14 * scale, `Q R = M at ${e}`);
});

test('tallQr: when the second CholeskyQR step breaks down, Householder finishes it: Q orthonormal, R upper triangular, Q R = M', () => {
  // M = A·K, K unit upper triangular with −1 above the diagonal (Kahan's example): R₁'s pivots are within a
  // factor 10 of each other, so CholeskyQR starts, but K's condition number (~2⁵⁶) leaves M·R₁⁻¹ so far from
  // orthonormal that the second Gram matrix is not positive definite numerically (checked for this seed).
  const n = 56;
  const a = randomMat(n + 4, n, 1);
  const k = mat(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) k.data[i * n + j] = i === j ? 1 : -1;
  const m = matmul(a, k);
  const { Q, R } = tallQr(m);
  assert.equal([Q.rows, Q.cols, R.rows, R.cols], [n + 4, n, n, n]);
  const qtq = matmul(transpose(Q), Q);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) assert.ok(Math.abs(qtq.data[i * n + j] - (i === j ? 1 : 0)) < 1e-12, `QᵀQ[${i},${j}] = ${qtq.data[i * n + j]}`);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.is(R.data[i * n + j], 0, `R[${i},${j}]`);
  // R₁ carries K's ill-conditioning, so Q R meets M only to about 1e-9 of |M| here: above rounding, far below a wrong R's error.
  const back = matmul(Q, R);
  const scale = Math.max(...Array.from(m.data, Math.abs));
  for (let e = 0; e < m.data.length; e++) assert.ok(Math.abs(back.data[e] - m.data[e]) < 1e-7 * scale, `Q R = M at ${e}`);
});

test('overwriteWeights with the weights back to back in one buffer: Q is written over that buffer (no second stack)', () => {
  const weights = [randomMat(7, 4, 21), randomMat(5, 4, 22)];
  const stack = stackWeights(weights);
  const views = [mat(7, 4, stack.data.subarray(0, 28)), mat(5, 4, stack.data.subarray(28))];
  categoryProjection(views, 1e-3, { overwriteWeights: true });
  const q = mat(12, 4, stack.data);
  const qtq = matmul(transpose(q), q);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(qtq.data[i * 4 + j] - (i === j ? 1 : 0)) < 1e-12, `the buffer holds an orthonormal Q: QᵀQ[${i},${j}] = ${qtq.data[i * 4 + j]}`);
  }
});

test('weights in two buffers are never read as one stack, even where the second one\'s offset lines up with the first', () => {
  const first = new Float64Array(20);
  const second = new Float64Array(20);
  first.set(randomMat(2, 3, 61).data);
  second.set(randomMat(2, 3, 62).data, 6); // at byte offset 48, just where it would follow the first in one buffer
  const views = [mat(2, 3, first.subarray(0, 6)), mat(2, 3, second.subarray(6, 12))];
  const copies = views.map((w) => mat(w.rows, w.cols, w.data.slice()));
  assert.equal([...categoryProjection(views, 1e-3).v.data], [...categoryProjection(copies, 1e-3).v.data]);
});

test('weights of different in_features are refused when they share one buffer too', () => {
  const buffer = randomMat(1, 40, 63).data;
  // 4×3 at the start and 2×4 at entry 16, where a row count of 4 and 4 columns would put the second weight.
  const views = [mat(4, 3, buffer.subarray(0, 12)), mat(2, 4, buffer.subarray(16, 24))];
  assert.throws(() => categoryProjection(views, 1e-3), /^FRoD projection: every weight of a category needs the same in_features, got 3 and 4$/);
});

test.run();
