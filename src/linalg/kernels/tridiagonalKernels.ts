/**
 * The level-2 kernels of the tridiagonalisation (./tridiagonal.ts), which cannot be blocked into gemm: the
 * symmetric matrix-vector product y = A[s:n, s:n]·v from the lower triangle of the column-major n×n
 * matrix, once per reflector (half the reduction's flops), and the panel's updates against its earlier
 * reflectors (x −= p·c₀ + q·c₁ and pairs of dot products, NB per column).
 *
 * The symmetric product loads each lower-triangle entry once and uses it twice (as A[r][c] and A[c][r]);
 * four columns share each pass over y. Everything lives in one {@link TridiagonalWorkspace}: on WebAssembly
 * memory where WebAssembly SIMD is available, so the kernels read the matrix in place (the reduction works
 * on that buffer throughout), else on a plain Float64Array.
 *
 * Two implementations give the same bits: WebAssembly SIMD (two rows per f64x2 vector) and the JavaScript
 * below. Both run over rows in pairs, as two lanes (lane 0 the first row of each pair, lane 1 the second),
 * each lane doing the same multiplications and additions in the same order (no fused multiply-add); a sum
 * over rows is (lane 0 + lane 1) + the odd last row, and the symmetric product's y[r] += ((x₀v₀ + x₁v₁) +
 * x₂v₂) + x₃v₃ row by row, as JavaScript evaluates it.
 */
import { DATA_BYTE, RESULT_BYTE, accumulate, add, get, mul, set, streamKernel, sub } from './jacobiWasm';
import { encodeModule } from '../../tensor/cpu/wasm/encode';

/** y[r] += Σₖ xₖ[r]·vₖ over four columns xₖ (pointers 0–3), acc k += xₖ[r]·v[r] (v pointer 4, y pointer 5). */
const symv4 = streamKernel('symv4', 6, 4, 4, 6, (b) => {
  const [x0, x1, x2, x3, vr, t] = [0, 1, 2, 3, 4, 5].map(b.temp);
  const xs = [x0, x1, x2, x3];
  return [
    ...xs.flatMap((x, k) => set(x, b.load(k))),
    ...set(vr, b.load(4)),
    ...xs.flatMap((x, k) => accumulate(b, k, get(x), get(vr))),
    ...set(t, mul(get(x0), b.coef(0))),
    ...[1, 2, 3].flatMap((k) => set(t, add(get(t), mul(get(xs[k]), b.coef(k))))),
    ...b.store(5, add(b.load(5), get(t))),
  ];
});

/** x = x − (p·c₀ + q·c₁) elementwise (pointers x, p, q). */
const axpy2 = streamKernel('axpy2', 3, 2, 0, 0, (b) => [
  ...b.store(0, sub(b.load(0), add(mul(b.load(1), b.coef(0)), mul(b.load(2), b.coef(1))))),
]);

/** acc 0 = Σ p·z, acc 1 = Σ q·z (pointers p, q, z). */
const dot2 = streamKernel('dot2', 3, 0, 2, 1, (b) => [
  ...set(b.temp(0), b.load(2)),
  ...accumulate(b, 0, b.load(0), get(b.temp(0))),
  ...accumulate(b, 1, b.load(1), get(b.temp(0))),
]);

/** The module's bytes (exported for the tests). */
export function tridiagonalModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule([symv4, axpy2, dot2]);
}

interface Exports {
  symv4(x0: number, x1: number, x2: number, x3: number, v: number, y: number, pairs: number): void;
  axpy2(x: number, p: number, q: number, pairs: number): void;
  dot2(p: number, q: number, z: number, pairs: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
let wasmEnabled = true;

/** The compiled module, or null where WebAssembly SIMD is missing. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    const bytes = tridiagonalModuleBytes();
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * Whether new workspaces use the WebAssembly kernel where it compiles (the tests switch it off to compare);
 * returns whether it compiles here.
 */
export function useWasmTridiagonal(enabled: boolean): boolean {
  wasmEnabled = enabled;
  return kernelModule() !== null;
}

/**
 * The reduction's buffers, as views of one shared buffer: the matrix `a` (column-major n×n) from element 0,
 * `v` and `y` (n each, indexed by row of A), and `w` (n × `panel`, column-major) from element `wAt`. The
 * kernels take element offsets into that shared buffer (a's entry k is at k, w's entry k at wAt + k).
 */
export interface TridiagonalWorkspace {
  readonly name: 'wasm-simd' | 'js';
  readonly a: Float64Array;
  readonly v: Float64Array;
  readonly y: Float64Array;
  readonly w: Float64Array;
  readonly wAt: number;
  /**
   * The n×n matrix one column to the right — a zero column, then a's first n − 1 columns — sharing a's
   * memory: once the reduction has left reflector j in column j, this is the QR layout the
   * back-transformation reads (reflector j in column j + 1), without a copy.
   */
  readonly reflectors: Float64Array;
  /** y[s:n] = A[s:n, s:n]·v[s:n] from a's lower triangle (y[0:s] is left alone). */
  symv(s: number): void;
  /** x[i] −= p[i]·c0 + q[i]·c1 for i < count (x, p, q element offsets). */
  axpy2(x: number, p: number, q: number, c0: number, c1: number, count: number): void;
  /** out[0] = Σ p[i]·z[i], out[1] = Σ q[i]·z[i] over i < count, each (lane 0 + lane 1) + the odd last term. */
  dot2(p: number, q: number, z: number, count: number, out: Float64Array): void;
}

/**
 * A workspace whose matrix starts as a copy of `matrix` (column-major n×n; not modified) and whose `w`
 * holds `panel` columns: fresh memory per reduction, kept alive afterwards only through `reflectors`.
 */
export function tridiagonalWorkspace(matrix: Float64Array, n: number, panel: number): TridiagonalWorkspace {
  const module = wasmEnabled ? kernelModule() : null;
  // n zeros, then a, v, y, w: the zeros let `reflectors` be a view (see TridiagonalWorkspace).
  const vAt = n * n, yAt = vAt + n, wAt = yAt + n, size = wAt + n * panel;
  let full: Float64Array, name: 'wasm-simd' | 'js', wasm: Exports | null = null;
  if (module === null) {
    full = new Float64Array(n + size);
    name = 'js';
  } else {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((DATA_BYTE + 8 * (n + size)) / 65536)) });
    wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
    full = new Float64Array(memory.buffer, DATA_BYTE, n + size);
    name = 'wasm-simd';
  }
  const mem = full.subarray(n);
  mem.set(matrix.subarray(0, n * n));
  const a = mem.subarray(0, vAt), v = mem.subarray(vAt, yAt), y = mem.subarray(yAt, wAt), w = mem.subarray(wAt, size);
  const lanes = new Float64Array(8);
  const kernels = wasm ? wasmKernels(wasm, mem, DATA_BYTE + 8 * n, n, vAt, yAt) : jsKernels(mem, n, vAt, yAt);
  return {
    name, a, v, y, w, wAt, reflectors: full.subarray(0, n * n),
    symv: (s) => symmetricProduct(mem, n, vAt, yAt, s, kernels.pairRows, lanes),
    axpy2: kernels.axpy2,
    dot2: (p, q, z, count, out) => {
      kernels.dot2(p, q, z, count >> 1, out);
      if ((count & 1) === 1) {
        const last = count - 1;
        out[0] += mem[p + last] * mem[z + last];
        out[1] += mem[q + last] * mem[z + last];
      }
    },
  };
}

/**
 * The rows below the diagonal block of columns c…c+3, in `pairs` pairs from row c + 4: y[r] updated, lane
 * sums into out[2k] (lane 0) and out[2k + 1] (lane 1) for column c + k.
 */
type PairRows = (c: number, pairs: number, out: Float64Array) => void;

interface Kernels {
  pairRows: PairRows;
  axpy2(x: number, p: number, q: number, c0: number, c1: number, count: number): void;
  /** out = [Σ p·z, Σ q·z] over 2·pairs terms, lane 0 + lane 1. */
  dot2(p: number, q: number, z: number, pairs: number, out: Float64Array): void;
}

/** The wasm kernels on `mem`, which starts at byte `memByte` of the module's memory. */
function wasmKernels(wasm: Exports, mem: Float64Array, memByte: number, n: number, vAt: number, yAt: number): Kernels {
  const coefs = new Float64Array(mem.buffer, 0, 4);
  const results = new Float64Array(mem.buffer, RESULT_BYTE, 8);
  const at = (offset: number) => memByte + 8 * offset;
  return {
    pairRows: (c, pairs, out) => {
      coefs.set(mem.subarray(vAt + c, vAt + c + 4));
      const o = c * n + c + 4;
      wasm.symv4(at(o), at(o + n), at(o + 2 * n), at(o + 3 * n), at(vAt + c + 4), at(yAt + c + 4), pairs);
      out.set(results);
    },
    axpy2: (x, p, q, c0, c1, count) => {
      coefs[0] = c0;
      coefs[1] = c1;
      wasm.axpy2(at(x), at(p), at(q), count >> 1);
      if ((count & 1) === 1) mem[x + count - 1] -= mem[p + count - 1] * c0 + mem[q + count - 1] * c1;
    },
    dot2: (p, q, z, pairs, out) => {
      wasm.dot2(at(p), at(q), at(z), pairs);
      out[0] = results[0] + results[1];
      out[1] = results[2] + results[3];
    },
  };
}

function jsKernels(mem: Float64Array, n: number, vAt: number, yAt: number): Kernels {
  return {
    pairRows: (c, pairs, out) => pairRowsJs(mem, n, vAt, yAt, c, pairs, out),
    axpy2: (x, p, q, c0, c1, count) => {
      for (let i = 0; i < count; i++) mem[x + i] -= mem[p + i] * c0 + mem[q + i] * c1;
    },
    dot2: (p, q, z, pairs, out) => {
      let e0 = 0, e1 = 0, f0 = 0, f1 = 0;
      for (let i = 0; i < 2 * pairs; i += 2) {
        e0 = e0 + mem[p + i] * mem[z + i];
        e1 = e1 + mem[q + i] * mem[z + i];
        f0 = f0 + mem[p + i + 1] * mem[z + i + 1];
        f1 = f1 + mem[q + i + 1] * mem[z + i + 1];
      }
      out[0] = e0 + f0;
      out[1] = e1 + f1;
    },
  };
}

/** The JavaScript lanes: exactly the wasm kernel's operations, lane by lane. */
function pairRowsJs(
  a: Float64Array, n: number, vAt: number, yAt: number, c: number, pairs: number, out: Float64Array,
): void {
  const from = c + 4, o0 = c * n + from, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
  const v = a.subarray(vAt, vAt + n), y = a.subarray(yAt, yAt + n);
  const v0 = v[c], v1 = v[c + 1], v2 = v[c + 2], v3 = v[c + 3];
  let e0 = 0, e1 = 0, e2 = 0, e3 = 0, f0 = 0, f1 = 0, f2 = 0, f3 = 0;
  for (let p = 0, i = 0, r = from; p < pairs; p++, i += 2, r += 2) {
    let x0 = a[o0 + i], x1 = a[o1 + i], x2 = a[o2 + i], x3 = a[o3 + i], vr = v[r];
    e0 = e0 + x0 * vr; e1 = e1 + x1 * vr; e2 = e2 + x2 * vr; e3 = e3 + x3 * vr;
    y[r] = y[r] + (((x0 * v0 + x1 * v1) + x2 * v2) + x3 * v3);
    x0 = a[o0 + i + 1]; x1 = a[o1 + i + 1]; x2 = a[o2 + i + 1]; x3 = a[o3 + i + 1]; vr = v[r + 1];
    f0 = f0 + x0 * vr; f1 = f1 + x1 * vr; f2 = f2 + x2 * vr; f3 = f3 + x3 * vr;
    y[r + 1] = y[r + 1] + (((x0 * v0 + x1 * v1) + x2 * v2) + x3 * v3);
  }
  out[0] = e0; out[1] = f0; out[2] = e1; out[3] = f1; out[4] = e2; out[5] = f2; out[6] = e3; out[7] = f3;
}

/**
 * y[s:n] = A[s:n, s:n]·v[s:n]: per group of four columns the 4×4 diagonal block (lower triangle, mirrored),
 * the rows below it in pairs through `rows`, the odd last row; leftover columns one at a time.
 */
function symmetricProduct(
  a: Float64Array, n: number, vAt: number, yAt: number, s: number, rows: PairRows, lanes: Float64Array,
): void {
  const v = a.subarray(vAt, vAt + n), y = a.subarray(yAt, yAt + n);
  y.fill(0, s, n);
  let c = s;
  for (; c + 3 < n; c += 4) {
    const c0 = c * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    const v0 = v[c], v1 = v[c + 1], v2 = v[c + 2], v3 = v[c + 3];
    const a10 = a[c0 + c + 1], a20 = a[c0 + c + 2], a30 = a[c0 + c + 3];
    const a21 = a[c1 + c + 2], a31 = a[c1 + c + 3], a32 = a[c2 + c + 3];
    let s0 = a[c0 + c] * v0 + a10 * v1 + a20 * v2 + a30 * v3;
    let s1 = a10 * v0 + a[c1 + c + 1] * v1 + a21 * v2 + a31 * v3;
    let s2 = a20 * v0 + a21 * v1 + a[c2 + c + 2] * v2 + a32 * v3;
    let s3 = a30 * v0 + a31 * v1 + a32 * v2 + a[c3 + c + 3] * v3;
    const from = c + 4, pairs = (n - from) >> 1;
    rows(c, pairs, lanes);
    s0 += lanes[0] + lanes[1];
    s1 += lanes[2] + lanes[3];
    s2 += lanes[4] + lanes[5];
    s3 += lanes[6] + lanes[7];
    if (((n - from) & 1) === 1) {
      const r = n - 1, x0 = a[c0 + r], x1 = a[c1 + r], x2 = a[c2 + r], x3 = a[c3 + r], vr = v[r];
      s0 += x0 * vr; s1 += x1 * vr; s2 += x2 * vr; s3 += x3 * vr;
      y[r] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
    }
    y[c] += s0; y[c + 1] += s1; y[c + 2] += s2; y[c + 3] += s3;
  }
  for (; c < n; c++) {
    const c0 = c * n, vc = v[c];
    let sc = a[c0 + c] * vc;
    for (let r = c + 1; r < n; r++) {
      sc += a[c0 + r] * v[r];
      y[r] += a[c0 + r] * vc;
    }
    y[c] += sc;
  }
}
