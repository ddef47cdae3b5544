/**
 * The symmetric matrix-vector product of the tridiagonalisation (./tridiagonal.ts): y = A[s:n, s:n]·v from
 * the lower triangle of a column-major n×n matrix, once per reflector — half the reduction's flops, and the
 * half that cannot be blocked into gemm.
 *
 * Each lower-triangle entry is loaded once and used twice (as A[r][c] and A[c][r]); four columns share each
 * pass over y. The matrix lives in a {@link SymvWorkspace}: on WebAssembly memory where WebAssembly SIMD is
 * available, so the kernel reads it in place (the reduction works on that buffer throughout), else on a
 * plain Float64Array.
 *
 * Two implementations give the same bits: WebAssembly SIMD (two rows per f64x2 vector) and the JavaScript
 * below. Both treat the rows below each four-column diagonal block in pairs, as two lanes: lane 0 the
 * first row of each pair, lane 1 the second. Each lane does the same multiplications and additions in the
 * same order (no fused multiply-add), a column's sum is diagonal block + (lane 0 + lane 1) + the odd last
 * row, and y[r] += ((x₀v₀ + x₁v₁) + x₂v₂) + x₃v₃ row by row, as JavaScript evaluates it.
 */
import { DATA_BYTE, RESULT_BYTE, accumulate, add, get, mul, set, streamKernel } from './jacobiWasm';
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

/** The module's bytes (exported for the tests). */
export function symvModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule([symv4]);
}

type Symv4 = (x0: number, x1: number, x2: number, x3: number, v: number, y: number, pairs: number) => void;

let compiled: WebAssembly.Module | null | undefined;
let wasmEnabled = true;

/** The compiled module, or null where WebAssembly SIMD is missing. */
function symvModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    const bytes = symvModuleBytes();
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
export function useWasmSymv(enabled: boolean): boolean {
  wasmEnabled = enabled;
  return symvModule() !== null;
}

/**
 * The reduction's matrix and the product's vectors. `a` (column-major n×n), `v` and `y` (n each, indexed by
 * row of A) are views the caller reads and writes; `multiply(s)` sets y[s:n] = A[s:n, s:n]·v[s:n] from a's
 * lower triangle (y[0:s] is left alone).
 */
export interface SymvWorkspace {
  readonly name: 'wasm-simd' | 'js';
  readonly a: Float64Array;
  readonly v: Float64Array;
  readonly y: Float64Array;
  multiply(s: number): void;
}

/**
 * The rows below the diagonal block of columns c…c+3, in `pairs` pairs from row c + 4: y[r] updated, lane
 * sums into out[2k] (lane 0) and out[2k + 1] (lane 1) for column c + k.
 */
type PairRows = (c: number, pairs: number, out: Float64Array) => void;

/**
 * A workspace whose matrix starts as a copy of `matrix` (column-major n×n): fresh memory per reduction, so
 * nothing outlives it. The JavaScript path adopts `matrix` itself (it is overwritten) instead of copying.
 */
export function symvWorkspace(matrix: Float64Array, n: number): SymvWorkspace {
  const module = wasmEnabled ? symvModule() : null;
  const lanes = new Float64Array(8);
  if (module === null) {
    const a = matrix, v = new Float64Array(n), y = new Float64Array(n);
    const rows: PairRows = (c, pairs, out) => pairRowsJs(a, v, y, n, c, pairs, out);
    return { name: 'js', a, v, y, multiply: (s) => multiply(a, v, y, n, s, rows, lanes) };
  }
  const bytes = DATA_BYTE + 8 * (n * n + 2 * n);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports.symv4 as Symv4;
  const buffer = memory.buffer;
  const vByte = DATA_BYTE + 8 * n * n, yByte = vByte + 8 * n;
  const a = new Float64Array(buffer, DATA_BYTE, n * n);
  a.set(matrix.subarray(0, n * n));
  const v = new Float64Array(buffer, vByte, n);
  const y = new Float64Array(buffer, yByte, n);
  const coefs = new Float64Array(buffer, 0, 4);
  const results = new Float64Array(buffer, RESULT_BYTE, 8);
  const at = (offset: number) => DATA_BYTE + 8 * offset;
  const rows: PairRows = (c, pairs, out) => {
    coefs.set(v.subarray(c, c + 4));
    const o = c * n + c + 4;
    kernel(at(o), at(o + n), at(o + 2 * n), at(o + 3 * n), vByte + 8 * (c + 4), yByte + 8 * (c + 4), pairs);
    out.set(results);
  };
  return { name: 'wasm-simd', a, v, y, multiply: (s) => multiply(a, v, y, n, s, rows, lanes) };
}

/** The JavaScript lanes: exactly the wasm kernel's operations, lane by lane. */
function pairRowsJs(
  a: Float64Array, v: Float64Array, y: Float64Array, n: number, c: number, pairs: number, out: Float64Array,
): void {
  const from = c + 4, o0 = c * n + from, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
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
function multiply(a: Float64Array, v: Float64Array, y: Float64Array, n: number, s: number, rows: PairRows, lanes: Float64Array): void {
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
