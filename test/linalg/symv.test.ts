/**
 * The tridiagonalisation's symmetric matrix-vector product (src/linalg/kernels/symv.ts): y = A[s:, s:]·v
 * from the lower triangle only, against a plain double loop, on both paths; the WebAssembly SIMD path and
 * the JavaScript path give the same bits, kernel by kernel and through the whole reduction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { symvModuleBytes, symvWorkspace, useWasmSymv } from '../../src/linalg/kernels/symv';
import { tridiagonalize } from '../../src/linalg/kernels/tridiagonal';
import { EPS, RUNS, randomSymmetric } from './helpers';
import { testUnless } from '../util/skip';

const wasmAvailable = useWasmSymv(true);
/** Without WebAssembly SIMD both "paths" would be the JavaScript one: comparing it with itself proves nothing. */
const noSimd = wasmAvailable ? null : 'no WebAssembly SIMD here: the JS fallback would only be compared with itself';

/** Runs `fn` on the wasm path and on the JavaScript path; returns both results. */
function onBothPaths<T>(fn: () => T): [T, T] {
  useWasmSymv(true);
  try {
    const wasm = fn();
    useWasmSymv(false);
    return [wasm, fn()];
  } finally {
    useWasmSymv(true);
  }
}

function sameBits(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  assert.is(x.length, y.length, `${what}: lengths`);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.unreachable(`${what}: entry ${i} differs: ${x[i]} vs ${y[i]}`);
  }
}

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
  const ws = symvWorkspace(lowerOnly(a, n), n);
  for (let i = 0; i < n; i++) ws.v[i] = Math.cos(1 + i * 0.7);
  ws.y.fill(7);
  ws.multiply(s);
  return { a, s, v: Float64Array.from(ws.v), y: Float64Array.from(ws.y), name: ws.name };
}

test('the wasm kernel is used exactly where its module validates; useWasmSymv(false) selects JS', () => {
  assert.is(wasmAvailable, WebAssembly.validate(symvModuleBytes()));
  assert.is(symvWorkspace(new Float64Array(4), 2).name, wasmAvailable ? 'wasm-simd' : 'js');
  useWasmSymv(false);
  try {
    assert.is(symvWorkspace(new Float64Array(4), 2).name, 'js');
  } finally {
    useWasmSymv(true);
  }
});

test('y[s:] = A[s:, s:]·v to rounding, from the lower triangle only; y[:s] untouched (both paths)', () => {
  fc.assert(fc.property(cases, (c) => {
    for (const { a, s, v, y } of onBothPaths(() => product(c))) {
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
    const [wasm, js] = onBothPaths(() => product(c));
    assert.equal([wasm.name, js.name], ['wasm-simd', 'js']);
    sameBits(wasm.y, js.y, `n ${c.n}`);
  }), RUNS);
});

testUnless(noSimd, 'the whole tridiagonalisation gives the same bits on both paths (several panels, odd and even n)', () => {
  for (const n of [1, 2, 5, 97, 110]) {
    const a = randomSymmetric(n, n).data;
    const [wasm, js] = onBothPaths(() => tridiagonalize(a.slice(), n));
    sameBits(wasm.d, js.d, `d, n ${n}`);
    sameBits(wasm.e, js.e, `e, n ${n}`);
    sameBits(wasm.reflectors, js.reflectors, `reflectors, n ${n}`);
    sameBits(wasm.taus, js.taus, `τ, n ${n}`);
  }
});

test.run();
