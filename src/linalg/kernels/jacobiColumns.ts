/**
 * The column kernels one-sided Jacobi (./hestenes.ts) spends its time in: dot products of columns and plane
 * rotations, on one working buffer of columns stored `ld` apart with `ld` even (a zero row pads odd
 * lengths; rotations keep it zero and it adds exact zeros to every dot product).
 *
 * Two implementations give the same bits: WebAssembly SIMD (./jacobiWasm.ts, two rows per f64x2 vector)
 * where available, and the JavaScript below. Both treat even and odd rows as two lanes: each lane does the
 * same multiplications and additions in the same order, and a dot product is lane 0 + lane 1.
 * Offsets are in elements of the buffer; `len` (the column stride, even) is the length processed.
 */
import { DATA_BYTE, RESULT_BYTE, loadJacobiWasm, type JacobiWasm } from './jacobiWasm';

export interface JacobiKernels {
  name: 'wasm-simd' | 'js';
  /** The working buffer, at least `size` elements (contents undefined; valid until the next reserve). */
  reserve(size: number): Float64Array;
  /** x_a · x_b. */
  dot(a: number, b: number, len: number): number;
  /** out = [x_a · x_next, x_b · x_next]. */
  dotsWithNext(a: number, b: number, next: number, len: number, out: Float64Array): void;
  /**
   * (x_a, x_q) ← (c0·x_a − s0·x_q, s0·x_a + c0·x_q), then (x_b, x_q) likewise with (c1, s1); out = the new
   * [x_a · x_next, x_b · x_next, x_a · x_b], x_next read after x_q is written.
   */
  rotatePairAgainst(a: number, b: number, q: number, next: number, len: number, c: Float64Array, out: Float64Array): void;
  /** (x_a, x_b) ← (x_a − s·(x_b + τ·x_a), x_b + s·(x_a − τ·x_b)), with coef = [s, τ]. */
  rotate(a: number, b: number, len: number, coef: Float64Array): void;
  /** rotate(a, q) by coef [s0, τ0], then rotate(b, q) by [s1, τ1] (Rutishauser's form). */
  rotateTwoAgainstOne(a: number, b: number, q: number, len: number, coef: Float64Array): void;
}

function jsKernels(): JacobiKernels {
  let x = new Float64Array(0);
  return {
    name: 'js',
    reserve(size) {
      if (x.length < size) x = new Float64Array(size);
      return x;
    },
    dot(a, b, len) {
      let e = 0, o = 0;
      for (let i = 0; i < len; i += 2) {
        e = e + x[a + i] * x[b + i];
        o = o + x[a + i + 1] * x[b + i + 1];
      }
      return e + o;
    },
    dotsWithNext(a, b, next, len, out) {
      let d0e = 0, d0o = 0, d1e = 0, d1o = 0;
      for (let i = 0; i < len; i += 2) {
        const ye = x[next + i], yo = x[next + i + 1];
        d0e = d0e + x[a + i] * ye; d0o = d0o + x[a + i + 1] * yo;
        d1e = d1e + x[b + i] * ye; d1o = d1o + x[b + i + 1] * yo;
      }
      out[0] = d0e + d0o;
      out[1] = d1e + d1o;
    },
    rotatePairAgainst(a, b, q, next, len, c, out) {
      const c0 = c[0], s0 = c[1], c1 = c[2], s1 = c[3];
      let d0e = 0, d0o = 0, d1e = 0, d1o = 0, he = 0, ho = 0;
      for (let i = 0; i < len; i += 2) {
        // Row i (lane 0), then row i + 1 (lane 1): the same steps.
        const xa = x[a + i], xb = x[b + i], xq = x[q + i];
        const na = c0 * xa - s0 * xq;
        const xq1 = s0 * xa + c0 * xq;
        const nb = c1 * xb - s1 * xq1;
        const xa1 = x[a + i + 1], xb1 = x[b + i + 1], xqo = x[q + i + 1];
        const na1 = c0 * xa1 - s0 * xqo;
        const xq11 = s0 * xa1 + c0 * xqo;
        const nb1 = c1 * xb1 - s1 * xq11;
        x[a + i] = na; x[a + i + 1] = na1;
        x[b + i] = nb; x[b + i + 1] = nb1;
        x[q + i] = s1 * xb + c1 * xq1;
        x[q + i + 1] = s1 * xb1 + c1 * xq11;
        const ye = x[next + i], yo = x[next + i + 1];
        d0e = d0e + na * ye; d0o = d0o + na1 * yo;
        d1e = d1e + nb * ye; d1o = d1o + nb1 * yo;
        he = he + na * nb; ho = ho + na1 * nb1;
      }
      out[0] = d0e + d0o;
      out[1] = d1e + d1o;
      out[2] = he + ho;
    },
    rotate(a, b, len, coef) {
      const s = coef[0], tau = coef[1];
      for (let i = 0; i < len; i++) {
        const xa = x[a + i], xb = x[b + i];
        x[a + i] = xa - s * (xb + tau * xa);
        x[b + i] = xb + s * (xa - tau * xb);
      }
    },
    rotateTwoAgainstOne(a, b, q, len, coef) {
      const s0 = coef[0], tau0 = coef[1], s1 = coef[2], tau1 = coef[3];
      for (let i = 0; i < len; i++) {
        const xa = x[a + i], xb = x[b + i], xq = x[q + i];
        const xq1 = xq + s0 * (xa - tau0 * xq);
        x[a + i] = xa - s0 * (xq + tau0 * xa);
        x[b + i] = xb - s1 * (xq1 + tau1 * xb);
        x[q + i] = xq1 + s1 * (xb - tau1 * xq1);
      }
    },
  };
}

function wasmKernels(wasm: JacobiWasm): JacobiKernels {
  let coefs = new Float64Array(wasm.memory.buffer, 0, 6);
  let results = new Float64Array(wasm.memory.buffer, RESULT_BYTE, 6);
  let data = new Float64Array(wasm.memory.buffer, DATA_BYTE, 0);
  const at = (offset: number) => DATA_BYTE + 8 * offset;
  return {
    name: 'wasm-simd',
    reserve(size) {
      const need = DATA_BYTE + 8 * size;
      const have = wasm.memory.buffer.byteLength;
      if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
      if (data.buffer !== wasm.memory.buffer || data.length < size) {
        coefs = new Float64Array(wasm.memory.buffer, 0, 6);
        results = new Float64Array(wasm.memory.buffer, RESULT_BYTE, 6);
        data = new Float64Array(wasm.memory.buffer, DATA_BYTE, (wasm.memory.buffer.byteLength - DATA_BYTE) / 8);
      }
      return data;
    },
    dot(a, b, len) {
      wasm.dot(at(a), at(b), len / 2);
      return results[0] + results[1];
    },
    dotsWithNext(a, b, next, len, out) {
      wasm.dotsWithNext(at(a), at(b), at(next), len / 2);
      out[0] = results[0] + results[1];
      out[1] = results[2] + results[3];
    },
    rotatePairAgainst(a, b, q, next, len, c, out) {
      coefs.set(c.subarray(0, 4));
      wasm.rotatePairAgainst(at(a), at(b), at(q), at(next), len / 2);
      out[0] = results[0] + results[1];
      out[1] = results[2] + results[3];
      out[2] = results[4] + results[5];
    },
    rotate(a, b, len, coef) {
      coefs[0] = coef[0]; coefs[1] = coef[1];
      wasm.rotate(at(a), at(b), len / 2);
    },
    rotateTwoAgainstOne(a, b, q, len, coef) {
      coefs.set(coef.subarray(0, 4));
      wasm.rotateTwoAgainstOne(at(a), at(b), at(q), len / 2);
    },
  };
}

const wasm = loadJacobiWasm();
const available = { wasm: wasm ? wasmKernels(wasm) : null, js: jsKernels() };
let useWasm = available.wasm !== null;

/** Chooses WebAssembly SIMD (when available) or JavaScript for Jacobi's column kernels; returns whether wasm is used. */
export function useWasmJacobi(enabled: boolean): boolean {
  useWasm = enabled && available.wasm !== null;
  return useWasm;
}

/** The kernels in use now. */
export function jacobiKernels(): JacobiKernels {
  return useWasm && available.wasm ? available.wasm : available.js;
}
