/**
 * Jacobi's column kernels: the WebAssembly SIMD path and the JavaScript path give the same bits, kernel by
 * kernel on random columns (odd and even lengths, including the padded zero row) and end to end through
 * eigh and svd (with and without the accumulated V); the module validates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import seedrandom from 'seedrandom';
import { eigh } from '../../src/linalg/kernels/eigh';
import { svd, svdvals } from '../../src/linalg/kernels/svd';
import { type JacobiKernels, jacobiKernels, useWasmJacobi } from '../../src/linalg/kernels/jacobiColumns';
import { jacobiModuleBytes } from '../../src/linalg/kernels/jacobiWasm';
import { RUNS, noSimdReason, onBothPaths, randomMat, randomSymmetric, sameBits } from './helpers';
import { testUnless } from '../util/skip';

const wasmAvailable = useWasmJacobi(true);
const noSimd = noSimdReason(wasmAvailable);

test('the wasm kernels are used exactly where the kernel module validates (WebAssembly SIMD); useWasmJacobi(false) selects JS', () => {
  const validates = typeof WebAssembly === 'object' && WebAssembly.validate(jacobiModuleBytes());
  assert.is(wasmAvailable, validates);
  assert.is(jacobiKernels().name, validates ? 'wasm-simd' : 'js');
  useWasmJacobi(false);
  assert.is(jacobiKernels().name, 'js');
  useWasmJacobi(true);
});

/** Four random columns of `len` rows stored `ld` apart (padding zero), the kernels applied in a fixed sequence. */
function kernelTrace(k: JacobiKernels, len: number, seed: number): number[] {
  const ld = len + (len & 1);
  const rng = seedrandom(String(seed));
  const x = k.reserve(4 * ld);
  x.fill(0, 0, 4 * ld);
  for (let j = 0; j < 4; j++) for (let i = 0; i < len; i++) x[j * ld + i] = rng() * 2 - 1;
  const out = new Float64Array(3);
  const angle = () => { const t = rng() * 2 - 1; const c = 1 / Math.sqrt(1 + t * t); return [c, c * t]; };
  const [c0, s0] = angle(), [c1, s1] = angle();
  const trace: number[] = [k.dot(0, ld, ld), k.dot(2 * ld, 2 * ld, ld)];
  k.dotsWithNext(0, ld, 3 * ld, ld, out);
  trace.push(out[0], out[1]);
  k.rotatePairAgainst(0, ld, 2 * ld, 3 * ld, ld, Float64Array.of(c0, s0, c1, s1), out);
  trace.push(...out);
  k.rotatePairAgainst(0, ld, 3 * ld, 3 * ld, ld, Float64Array.of(c1, s1, c0, s0), out); // next = q, as for the last q
  trace.push(...out);
  k.rotate(ld, 2 * ld, ld, Float64Array.of(s0, s0 / (1 + c0)));
  k.rotateTwoAgainstOne(0, ld, 3 * ld, ld, Float64Array.of(s1, s1 / (1 + c1), s0, s0 / (1 + c0)));
  trace.push(...x.subarray(0, 4 * ld));
  return trace;
}

testUnless(noSimd, 'each kernel gives the same bits on both paths', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (len, seed) => {
    const [wasm, js] = onBothPaths(useWasmJacobi, () => kernelTrace(jacobiKernels(), len, seed));
    sameBits(wasm, js, `kernels, ${len} rows`);
  }), RUNS);
});

testUnless(noSimd, 'eigh gives the same bits on both paths', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, seed) => {
    const a = randomSymmetric(n, seed);
    const [wasm, js] = onBothPaths(useWasmJacobi, () => eigh(a));
    sameBits(wasm.eigenvalues, js.eigenvalues, 'eigenvalues');
    sameBits(wasm.eigenvectors.data, js.eigenvectors.data, 'eigenvectors');
  }), RUNS);
});

testUnless(noSimd, 'svd and svdvals give the same bits on both paths (odd and even sizes, tall and wide)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.nat(), (m, n, seed) => {
    const a = randomMat(m, n, seed);
    const [wasm, js] = onBothPaths(useWasmJacobi, () => svd(a, true));
    sameBits(wasm.S, js.S, 'S');
    sameBits(wasm.U.data, js.U.data, 'U');
    sameBits(wasm.Vh.data, js.Vh.data, 'Vh');
    const [sw, sj] = onBothPaths(useWasmJacobi, () => svdvals(a));
    sameBits(sw, sj, 'svdvals');
  }), RUNS);
});

test.run();
