/**
 * The tridiagonalisation's level-2 kernels (src/linalg/kernels/tridiagonalKernels.ts): y = A[s:, s:]·v from
 * the lower triangle only, against a plain double loop, and the panel's axpy2 / dot2, on both paths; the
 * WebAssembly SIMD path and the JavaScript path give the same bits, kernel by kernel and through the whole
 * reduction. Large products are split into blocks shared between threads: the split depends on the size alone,
 * and the thread count never changes a bit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import {
  tridiagonalBlocksRunByWorkers, tridiagonalModuleBytes, tridiagonalWorkspace, useWasmTridiagonal, warmUpTridiagonalThreads,
} from '../../src/linalg/kernels/tridiagonalKernels';
import { MAX_BLOCKS, blockBounds } from '../../src/linalg/kernels/tridiagonalSymv';
import { getNumThreads, setNumThreads } from '../../src/tensor';
import { tridiagonalize } from '../../src/linalg/kernels/tridiagonal';
import { EPS, RUNS, noSimdReason, onBothPaths, randomSymmetric, sameBits } from './helpers';
import { testUnless } from '../util/skip';

const wasmAvailable = useWasmTridiagonal(true);
const noSimd = noSimdReason(wasmAvailable);

/** A column-major n×n buffer whose lower triangle is `a`'s and whose upper triangle is garbage (never read). */
function lowerOnly(data: Float64Array, n: number): Float64Array {
  const out = data.slice();
  for (let c = 0; c < n; c++) for (let r = 0; r < c; r++) out[c * n + r] = 1e30;
  return out;
}

const cases = fc.record({ n: fc.integer({ min: 1, max: 41 }), start: fc.nat(), seed: fc.nat() });

/** y from the workspace for A = randomSymmetric(n, seed), v = a ramp, from row s; y[0:s] preset to 7. */
function product({ n, start, seed }: { n: number; start: number; seed: number }, matrix?: Float64Array) {
  const s = start % n;
  const a = matrix ?? randomSymmetric(n, seed).data;
  const ws = tridiagonalWorkspace(lowerOnly(a, n), n, 1);
  for (let i = 0; i < n; i++) ws.v[i] = Math.cos(1 + i * 0.7);
  ws.y.fill(7);
  ws.symv(s);
  return { a, s, v: Float64Array.from(ws.v), y: Float64Array.from(ws.y), name: ws.name };
}

test('the wasm kernel is used exactly where its module validates; useWasmTridiagonal(false) selects JS', () => {
  assert.is(wasmAvailable, WebAssembly.validate(tridiagonalModuleBytes()));
  assert.is(tridiagonalWorkspace(new Float64Array(4), 2, 1).name, wasmAvailable ? 'wasm-simd' : 'js');
  useWasmTridiagonal(false);
  try {
    assert.is(tridiagonalWorkspace(new Float64Array(4), 2, 1).name, 'js');
  } finally {
    useWasmTridiagonal(true);
  }
});

/** y[s:] against the plain double loop over the lower triangle, y[:s] still 7. */
function checkProduct({ a, s, v, y }: ReturnType<typeof product>, n: number): void {
  for (let r = 0; r < s; r++) assert.is(y[r], 7, `y[${r}] above s`);
  for (let r = s; r < n; r++) {
    let exact = 0, size = 0;
    for (let k = s; k < n; k++) {
      const entry = k >= r ? a[r * n + k] : a[k * n + r]; // A[k][r] from the lower triangle (column-major)
      exact += entry * v[k];
      size += Math.abs(entry * v[k]);
    }
    assert.ok(Math.abs(y[r] - exact) <= 2 * n * EPS * size, `y[${r}] = ${y[r]}, expected ${exact}`);
  }
}

test('y[s:] = A[s:, s:]·v to rounding, from the lower triangle only; y[:s] untouched (both paths)', () => {
  fc.assert(fc.property(cases, (c) => {
    for (const result of onBothPaths(useWasmTridiagonal, () => product(c))) checkProduct(result, c.n);
  }), RUNS);
});

test('block bounds: from 0 to the last group, strictly increasing, one block for small products, at most MAX_BLOCKS', () => {
  assert.equal(blockBounds(1, 4), [0, 1]);
  assert.equal(blockBounds(250, 1000), [0, 250], 'len 1000: one block');
  assert.ok(blockBounds(375, 1500).length > 2, 'len 1500: several blocks');
  fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 3 }), (len, rest) => {
    const groups = Math.max(1, (len - rest) >> 2);
    const bounds = blockBounds(groups, len);
    assert.is(bounds[0], 0);
    assert.is(bounds[bounds.length - 1], groups);
    assert.ok(bounds.length - 1 <= MAX_BLOCKS, 'at most MAX_BLOCKS blocks');
    for (let b = 1; b < bounds.length; b++) assert.ok(bounds[b] > bounds[b - 1], `block ${b} not empty`);
  }), RUNS);
});

/** A size whose products are split into several blocks (a lower triangle in column-major order, upper garbage). */
const BIG = { n: 1503, start: 0, seed: 3 };
const bigMatrix = () => lowerOnly(randomSymmetric(BIG.n, BIG.seed).data, BIG.n);

test('a product split into blocks is still A·v to rounding (both paths)', () => {
  const a = randomSymmetric(BIG.n, BIG.seed).data;
  for (const start of [0, 6, 101]) {
    for (const result of onBothPaths(useWasmTridiagonal, () => product({ ...BIG, start }, lowerOnly(a, BIG.n)))) {
      checkProduct({ ...result, a }, BIG.n);
    }
  }
});

testUnless(noSimd, 'a product split into blocks gives the same bits on both paths', () => {
  const a = bigMatrix();
  const [wasm, js] = onBothPaths(useWasmTridiagonal, () => product(BIG, a));
  sameBits(wasm.y, js.y, `n ${BIG.n}`);
});

testUnless(noSimd, 'the blocks of a product on 1, 2 and 3 threads give the same bits, and worker threads run some', () => {
  const before = getNumThreads();
  try {
    setNumThreads(3);
    assert.ok(warmUpTridiagonalThreads() >= 1, 'at least one worker starts');
    const a = bigMatrix();
    setNumThreads(1);
    const one = product(BIG, a).y;
    const ran = tridiagonalBlocksRunByWorkers();
    for (let attempt = 0; attempt < 20 && tridiagonalBlocksRunByWorkers() === ran; attempt++) {
      for (const threads of [2, 3]) {
        setNumThreads(threads);
        sameBits(product(BIG, a).y, one, `${threads} threads`);
      }
    }
    assert.ok(tridiagonalBlocksRunByWorkers() > ran, 'worker threads took part');
  } finally {
    setNumThreads(before);
  }
});

testUnless(noSimd, 'the WebAssembly SIMD and JavaScript products give the same bits', () => {
  fc.assert(fc.property(cases, (c) => {
    const [wasm, js] = onBothPaths(useWasmTridiagonal, () => product(c));
    assert.equal([wasm.name, js.name], ['wasm-simd', 'js']);
    sameBits(wasm.y, js.y, `n ${c.n}`);
  }), RUNS);
});

const columns = fc.record({ count: fc.integer({ min: 0, max: 37 }), seed: fc.nat() });

/** axpy2 and dot2 on three columns of a workspace's w (x, p, q; z = x after the update). */
function panelOps({ count, seed }: { count: number; seed: number }) {
  const ws = tridiagonalWorkspace(new Float64Array(1), 1, 3 * count + 3);
  const base = ws.wAt, [x, p, q] = [base, base + count + 1, base + 2 * count + 2];
  const fill = (at: number, k: number) => { for (let i = 0; i < count; i++) ws.w[at - base + i] = Math.sin(seed + k * 101 + i * 1.3); };
  fill(x, 0); fill(p, 1); fill(q, 2);
  const before = Float64Array.from(ws.w);
  ws.axpy2(x, p, q, 0.75, -1.25, count);
  const sums = new Float64Array(2);
  ws.dot2(p, q, x, count, sums);
  return { before, after: Float64Array.from(ws.w), sums, at: { x: x - base, p: p - base, q: q - base } };
}

test('axpy2 is x −= p·c0 + q·c1 exactly, dot2 the two dot products to rounding (both paths)', () => {
  fc.assert(fc.property(columns, (c) => {
    for (const { before, after, sums, at } of onBothPaths(useWasmTridiagonal, () => panelOps(c))) {
      let dp = 0, dq = 0, size = 0;
      for (let i = 0; i < c.count; i++) {
        assert.is(after[at.x + i], before[at.x + i] - (before[at.p + i] * 0.75 + before[at.q + i] * -1.25), `x[${i}]`);
        assert.is(after[at.p + i], before[at.p + i], 'p unchanged');
        dp += after[at.p + i] * after[at.x + i];
        dq += after[at.q + i] * after[at.x + i];
        size += Math.abs(after[at.p + i] * after[at.x + i]) + Math.abs(after[at.q + i] * after[at.x + i]);
      }
      assert.ok(Math.abs(sums[0] - dp) <= 2 * c.count * EPS * size && Math.abs(sums[1] - dq) <= 2 * c.count * EPS * size, 'dot products');
    }
  }), RUNS);
});

testUnless(noSimd, 'axpy2 and dot2 give the same bits on both paths', () => {
  fc.assert(fc.property(columns, (c) => {
    const [wasm, js] = onBothPaths(useWasmTridiagonal, () => panelOps(c));
    sameBits(wasm.after, js.after, 'axpy2');
    sameBits(wasm.sums, js.sums, 'dot2');
  }), RUNS);
});

testUnless(noSimd, 'the whole tridiagonalisation gives the same bits on both paths (several panels, odd and even n)', () => {
  for (const n of [1, 2, 5, 97, 110]) {
    const a = randomSymmetric(n, n).data;
    const [wasm, js] = onBothPaths(useWasmTridiagonal, () => tridiagonalize(a.slice(), n));
    sameBits(wasm.d, js.d, `d, n ${n}`);
    sameBits(wasm.e, js.e, `e, n ${n}`);
    sameBits(wasm.reflectors, js.reflectors, `reflectors, n ${n}`);
    sameBits(wasm.taus, js.taus, `τ, n ${n}`);
  }
});

test.run();
