/**
 * The shared basis (docs/frod-math.md §2) and the per-layer split W = U diag(λ) Vᵀ (docs/frod-math.md §3), as properties on random
 * stacks: both paths, canonical signs, determinism, degenerate spectra, the QR used, singular V.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { type Mat, mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import { qr } from '../../src/linalg/kernels/qr';
import { adaptedWeight, decomposeWeight, prepareBasis } from '../../src/frod/decompose';
import { averagedInverseGram, categoryProjection, stackWeights, tallQr } from '../../src/frod/projection';
import { samplePattern } from '../../src/frod/pattern';
import { assertClose, randomMat } from './helpers';
import { getNumThreads, setNumThreads } from '../../src/tensor';
import { warmUpThreads } from '../../src/tensor/cpu/matmul';


const stacks = fc.record({
  inFeatures: fc.integer({ min: 1, max: 9 }),
  outs: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
  seed: fc.integer({ min: 0, max: 1e9 }),
});

function weightsOf({ inFeatures, outs, seed }: { inFeatures: number; outs: number[]; seed: number }): Mat[] {
  return outs.map((out, i) => randomMat(out, inFeatures, seed + 7919 * i));
}

function maxAbsDiff(a: Mat, b: Mat): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

/** The weights stacked into one buffer, and each one as a view of it (as frod init reads a category). */
function viewsOfStack(weights: readonly Mat[]): { stack: Float64Array; views: Mat[] } {
  const stack = stackWeights(weights).data;
  let at = 0;
  const views = weights.map((w) => {
    const view = mat(w.rows, w.cols, stack.subarray(at, at + w.data.length));
    at += w.data.length;
    return view;
  });
  return { stack, views };
}

test('the path is svd when rows < in, else qr-eig; V is in×in with canonical column signs', () => {
  fc.assert(fc.property(stacks, (s) => {
    const weights = weightsOf(s);
    const rows = s.outs.reduce((a, b) => a + b, 0);
    const p = categoryProjection(weights, 1e-3);
    assert.is(p.path, rows < s.inFeatures ? 'svd' : 'qr-eig');
    assert.equal([p.v.rows, p.v.cols], [s.inFeatures, s.inFeatures]);
    for (let j = 0; j < p.v.cols; j++) {
      let best = 0, value = 0;
      for (let i = 0; i < p.v.rows; i++) {
        const x = p.v.data[i * p.v.cols + j];
        if (Math.abs(x) > best) { best = Math.abs(x); value = x; }
      }
      assert.ok(value >= 0, `column ${j} has a negative largest entry`);
    }
  }), { numRuns: 60 });
});

test('every layer splits exactly: W = U diag(λ) Vᵀ, unit or zero columns of U, λ ≥ 0', () => {
  fc.assert(fc.property(stacks, (s) => {
    const weights = weightsOf(s);
    const basis = prepareBasis(categoryProjection(weights, 1e-3).v);
    const empty = samplePattern(s.inFeatures, 0, 0, 'c');
    for (const w of weights) {
      const { u, lambda } = decomposeWeight(basis, w);
      assert.ok(lambda.every((l) => l >= 0));
      for (let j = 0; j < u.cols; j++) {
        let norm = 0;
        for (let i = 0; i < u.rows; i++) norm += u.data[i * u.cols + j] ** 2;
        assert.ok(Math.abs(norm - 1) < 1e-9 || norm === 0, `column ${j} norm² ${norm}`);
      }
      const back = adaptedWeight(u, basis.v, lambda, empty, new Float64Array(0));
      assert.ok(maxAbsDiff(back, w) < 1e-9, 'reconstruction');
    }
  }), { numRuns: 60 });
});

test('svd path: V is orthogonal and its leading columns span the rows of M', () => {
  fc.assert(fc.property(stacks.filter((s) => s.outs.reduce((a, b) => a + b, 0) < s.inFeatures), (s) => {
    const p = categoryProjection(weightsOf(s), 1e-3);
    const vtv = matmul(transpose(p.v), p.v);
    for (let i = 0; i < vtv.rows; i++) {
      for (let j = 0; j < vtv.cols; j++) assert.ok(Math.abs(vtv.data[i * vtv.cols + j] - (i === j ? 1 : 0)) < 1e-10);
    }
    for (let k = 1; k < p.spectrum.length; k++) assert.ok(p.spectrum[k - 1] >= p.spectrum[k], 'descending');
  }), { numRuns: 40 });
});

test('qr-eig path: μ ascending; V = RᵀE with E orthonormal (VᵀA⁻¹V = I for A = MᵀM)', () => {
  fc.assert(fc.property(stacks.filter((s) => s.outs.reduce((a, b) => a + b, 0) >= s.inFeatures + 2), (s) => {
    const weights = weightsOf(s);
    const p = categoryProjection(weights, 1e-3);
    for (let k = 1; k < p.spectrum.length; k++) assert.ok(p.spectrum[k - 1] <= p.spectrum[k], 'ascending');
    // E = R⁻ᵀV is orthonormal ⇔ Vᵀ (RᵀR)⁻¹ V = I; check with the Householder R.
    const { R } = qr(stackWeights(weights), 'reduced');
    const e = transpose(prepareBasis(R).inverse); // R⁻ᵀ
    const eV = matmul(e, p.v);
    const ete = matmul(transpose(eV), eV);
    for (let i = 0; i < ete.rows; i++) {
      for (let j = 0; j < ete.cols; j++) assert.ok(Math.abs(ete.data[i * ete.cols + j] - (i === j ? 1 : 0)) < 1e-8);
    }
  }), { numRuns: 40 });
});

test('deterministic: the same weights give bit-identical V', () => {
  fc.assert(fc.property(stacks, (s) => {
    const a = categoryProjection(weightsOf(s), 1e-3).v.data;
    const b = categoryProjection(weightsOf(s), 1e-3).v.data;
    assert.ok(a.every((x, i) => Object.is(x, b[i])));
  }), { numRuns: 30 });
});

test('a single square layer (T = I/(1+α) up to rounding): E = I, so V is Rᵀ with canonical signs', () => {
  for (const n of [1, 2, 5, 8]) {
    const w = randomMat(n, n, 42 + n);
    const p = categoryProjection([w], 1e-3);
    const { R } = qr(w, 'reduced');
    const rt = transpose(R);
    for (let j = 0; j < n; j++) {
      let same = 0, flipped = 0;
      for (let i = 0; i < n; i++) {
        same = Math.max(same, Math.abs(p.v.data[i * n + j] - rt.data[i * n + j]));
        flipped = Math.max(flipped, Math.abs(p.v.data[i * n + j] + rt.data[i * n + j]));
      }
      assert.ok(Math.min(same, flipped) < 1e-12, `n=${n} column ${j}`);
    }
  }
});

test('tallQr (CholeskyQR2) agrees with Householder on T, and falls back for rank-deficient stacks', () => {
  fc.assert(fc.property(stacks.filter((s) => s.outs.reduce((a, b) => a + b, 0) >= s.inFeatures), (s) => {
    const m = stackWeights(weightsOf(s));
    const fast = tallQr(m);
    const house = qr(m, 'reduced');
    const counts = s.outs;
    const t1 = averagedInverseGram(fast.Q, counts, 1e-3);
    const t2 = averagedInverseGram(house.Q, counts, 1e-3);
    // T differs only by the signs of R's rows: compare |entries|.
    assertClose(t1.data.map(Math.abs), t2.data.map(Math.abs), 1e-9, 'T up to signs');
    assertClose(matmul(fast.Q, fast.R).data, m.data, 1e-12, 'Q R = M');
  }), { numRuns: 40 });
  const deficient = mat(6, 3, Float64Array.from([1, 2, 3, 2, 4, 6, 1, 0, 1, 2, 0, 2, 3, 6, 9, 0, 0, 0]));
  const { Q, R } = tallQr(deficient);
  assertClose(matmul(Q, R).data, deficient.data, 1e-12, 'rank-deficient Q R = M');
  const p = categoryProjection([deficient], 1e-3);
  assert.ok(p.v.data.every(Number.isFinite), 'finite V for a rank-deficient stack');
});

test('a singular V falls back to the pseudo-inverse: B = W·pinv(V)ᵀ', () => {
  const v = mat(3, 3, Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 0]));
  const basis = prepareBasis(v);
  assert.ok(basis.singular);
  const w = mat(2, 3, Float64Array.from([3, 4, 5, 0, 2, 1]));
  const { u, lambda } = decomposeWeight(basis, w);
  assert.equal(Array.from(lambda), [3, Math.hypot(4, 2), 0]);
  assert.equal([u.data[2], u.data[5]], [0, 0]);
});

test('errors: mixed in_features, non-finite weights, alpha ≤ 0', () => {
  assert.throws(() => categoryProjection([randomMat(2, 3, 1), randomMat(2, 4, 2)], 1e-3), /same in_features, got 3 and 4/);
  const bad = randomMat(4, 2, 3);
  bad.data[1] = NaN;
  assert.throws(() => categoryProjection([bad], 1e-3), /NaN or infinite/);
  assert.throws(() => categoryProjection([randomMat(4, 2, 3)], 0), /regularization_alpha must be > 0/);
});

test('weights given as views of one stack (as frod init reads a category) give the V of separate copies, in any order', () => {
  fc.assert(fc.property(stacks, fc.boolean(), (s, reversed) => {
    const weights = weightsOf(s);
    const { stack, views } = viewsOfStack(weights);
    const order = (list: Mat[]) => (reversed ? [...list].reverse() : list);
    const before = stack.slice();
    const fromViews = categoryProjection(order(views), 1e-3);
    const fromCopies = categoryProjection(order(weights), 1e-3);
    assert.equal([...fromViews.v.data], [...fromCopies.v.data]);
    assert.equal([...stack], [...before], 'the stack is only read');
  }), { numRuns: 40, seed: 5 });
});

test('overwriteWeights: the stack may become Q, and V is the same bits as when it is only read', () => {
  fc.assert(fc.property(stacks, (s) => {
    const weights = weightsOf(s);
    const { views } = viewsOfStack(weights);
    const readOnly = categoryProjection(weights, 1e-3);
    const overwriting = categoryProjection(views, 1e-3, { overwriteWeights: true });
    assert.equal([...overwriting.v.data], [...readOnly.v.data]);
    assert.equal([...overwriting.spectrum], [...readOnly.spectrum]);
  }), { numRuns: 40, seed: 6 });
});

test('tallQr in place: Q written over M (chunks of rows) is the same bits as Q in a new buffer', () => {
  const m = randomMat(2600, 24, 11); // more rows than one chunk of the in-place product
  const copy = mat(m.rows, m.cols, m.data.slice());
  const fresh = tallQr(m);
  const inPlace = tallQr(copy, true);
  assert.is(inPlace.Q.data, copy.data, 'Q is the input buffer');
  assert.equal([...inPlace.Q.data], [...fresh.Q.data]);
  assert.equal([...inPlace.R.data], [...fresh.R.data]);
});

test('V is the same bits on 1, 2 and 3 threads (the products are partitioned over output blocks)', () => {
  const threads = getNumThreads();
  try {
    const weights = [randomMat(200, 160, 1), randomMat(150, 160, 2)]; // products large enough to be shared
    const results = [1, 2, 3].map((n) => {
      setNumThreads(n);
      warmUpThreads();
      return categoryProjection(weights, 1e-3).v.data;
    });
    assert.equal([...results[1]], [...results[0]]);
    assert.equal([...results[2]], [...results[0]]);
  } finally {
    setNumThreads(threads);
  }
});

test.run();
