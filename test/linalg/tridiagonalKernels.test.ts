/**
 * The tridiagonalisation's level-2 kernels (src/linalg/kernels/tridiagonalKernels.ts): y = A[s:, s:]·v from
 * the lower triangle only, against a plain double loop, and the panel's axpy2 / dot2, on both paths; the
 * WebAssembly SIMD path and the JavaScript path give the same bits, kernel by kernel and through the whole
 * reduction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { tridiagonalModuleBytes, tridiagonalWorkspace, useWasmTridiagonal } from '../../src/linalg/kernels/tridiagonalKernels';
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
function product({ n, start, seed }: { n: number; start: number; seed: number }) {
  const s = start % n;
  const a = randomSymmetric(n, seed).data;
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

test('y[s:] = A[s:, s:]·v to rounding, from the lower triangle only; y[:s] untouched (both paths)', () => {
  fc.assert(fc.property(cases, (c) => {
    for (const { a, s, v, y } of onBothPaths(useWasmTridiagonal, () => product(c))) {
      const n = c.n;
      for (let r = 0; r < s; r++) assert.is(y[r], 7, `y[${r}] above s`);
      for (let r = s; r < n; r++) {
        let exact = 0, size = 0;
        for (let k = s; k < n; k++) {
          exact += a[k * n + r] * v[k];
          size += Math.abs(a[k * n + r] * v[k]);
        }
        assert.ok(Math.abs(y[r] - exact) <= 2 * n * EPS * size, `y[${r}] = ${y[r]}, expected ${exact}`);
      }
    }
  }), RUNS);
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
