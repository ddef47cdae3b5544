/**
 * CPU matrix multiply, blocked GotoBLAS-style around a small register-tile kernel.
 *
 * C (m×n) = A (m×k) · B (k×n). For each k-block of KC steps, B's rows are packed into column panels of NR
 * (each panel walks k contiguously, so it sits in L1 while the tiles use it), and for each block of MC rows,
 * A is packed into row panels of MR. A tile kernel then updates every MR×NR tile of C. The tile kernels are
 * WebAssembly SIMD where available (./wasm/gemmKernel.ts, packing into wasm memory) and JavaScript otherwise
 * (./matmulTiles.ts). Each C element is the naive loop `s = s + a·b` in k order: with wasm, float32 in
 * float32 arithmetic (as BLAS does) and float64 in float64; in JavaScript everything in float64, rounded once
 * to the dtype. float64 and int32 (exact in float64, then wrapped like a cast) give the same bits on both
 * paths; float32 from the JavaScript path is the more accurate of the two.
 */
import type { DType, TypedArray } from '../dtype';
import { JS_TILE, tileF64 } from './matmulTiles';
import { F32_TILE, F64_TILE, loadTileKernels, type TileKernels } from './wasm/gemmKernel';

const KC = 256; // k-steps per block: a packed B panel (KC × NR) stays in L1
const MC = 64; // rows of A per packed block (MC × KC stays in L2)
const MAX_C = 1 << 22; // elements of the padded C buffer; taller products run in row chunks

export interface StridedMatrix {
  data: TypedArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

type FloatArray = Float32Array | Float64Array;

/** Packed buffers for one product and the tile kernel that reads them (offsets in elements). */
interface Workspace {
  ap: FloatArray;
  bp: FloatArray;
  c: FloatArray;
  /** Updates `tiles` MR×NR tiles down one column of C from consecutive A panels and the B panel at `bo`. */
  column(ao: number, bo: number, co: number, kc: number, ldc: number, load: boolean, tiles: number): void;
}

interface Engine {
  name: 'wasm-simd' | 'js';
  mr: number;
  nr: number;
  /** Buffers of at least the given sizes (reused between calls; contents undefined). */
  workspace(apSize: number, bpSize: number, cSize: number): Workspace;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** JavaScript engine: float64 typed arrays (whatever the dtype), grown on demand. */
function jsEngine(): Engine {
  const ws: Workspace = {
    ap: new Float64Array(0), bp: new Float64Array(0), c: new Float64Array(0),
    column(ao, bo, co, kc, ldc, load, tiles) {
      const { mr } = JS_TILE;
      for (let t = 0; t < tiles; t++) {
        tileF64(ws.ap as Float64Array, ao + t * kc * mr, ws.bp as Float64Array, bo, ws.c as Float64Array, co + t * mr * ldc, kc, ldc, load);
      }
    },
  };
  return {
    name: 'js', ...JS_TILE,
    workspace(apSize, bpSize, cSize) {
      if (ws.ap.length < apSize) ws.ap = new Float64Array(apSize);
      if (ws.bp.length < bpSize) ws.bp = new Float64Array(bpSize);
      if (ws.c.length < cSize) ws.c = new Float64Array(cSize);
      return ws;
    },
  };
}

/** WebAssembly engine: the three buffers are consecutive regions of the kernels' memory. */
function wasmEngine(kernels: TileKernels, float32: boolean): Engine {
  const shape = float32 ? F32_TILE : F64_TILE;
  const bytes = shape.bytes;
  const run = float32 ? kernels.f32 : kernels.f64;
  const Alloc = float32 ? Float32Array : Float64Array;
  let ws: Workspace | null = null;
  let sizes = [0, 0, 0];
  return {
    name: 'wasm-simd', mr: shape.mr, nr: shape.nr,
    workspace(apSize, bpSize, cSize) {
      if (ws && ws.ap.buffer === kernels.memory.buffer && apSize <= sizes[0] && bpSize <= sizes[1] && cSize <= sizes[2]) return ws;
      sizes = [Math.max(apSize, sizes[0]), Math.max(bpSize, sizes[1]), Math.max(cSize, sizes[2])];
      const total = (sizes[0] + sizes[1] + sizes[2]) * bytes;
      const have = kernels.memory.buffer.byteLength;
      if (total > have) kernels.memory.grow(Math.ceil((total - have) / 65536));
      const buffer = kernels.memory.buffer;
      const [a0, b0, c0] = [0, sizes[0] * bytes, (sizes[0] + sizes[1]) * bytes];
      const view: Workspace = {
        ap: new Alloc(buffer, a0, sizes[0]),
        bp: new Alloc(buffer, b0, sizes[1]),
        c: new Alloc(buffer, c0, sizes[2]),
        column: (ao, bo, co, kc, ldc, load, tiles) => run(
          a0 + ao * bytes, b0 + bo * bytes, c0 + co * bytes, kc, ldc * bytes, load ? 1 : 0,
          tiles, kc * shape.mr * bytes, shape.mr * ldc * bytes,
        ),
      };
      ws = view;
      return view;
    },
  };
}

const kernels = loadTileKernels();
const engines = {
  wasm: kernels ? { f32: wasmEngine(kernels, true), f64: wasmEngine(kernels, false) } : null,
  js: { f32: jsEngine(), f64: jsEngine() },
};
let useWasm = kernels !== null;

/** Chooses the tile kernels: WebAssembly SIMD (when available) or JavaScript. Returns whether wasm is now used. */
export function useWasmMatmul(enabled: boolean): boolean {
  useWasm = enabled && engines.wasm !== null;
  return useWasm;
}

function engineFor(dtype: DType): Engine {
  const set = useWasm && engines.wasm ? engines.wasm : engines.js;
  return dtype === 'float32' ? set.f32 : set.f64;
}

/** Which kernel a product of `dtype` runs on now: 'wasm-simd' or 'js'. */
export function matmulKernelName(dtype: DType = 'float32'): 'wasm-simd' | 'js' {
  return engineFor(dtype).name;
}

/**
 * Packs B[k0:k0+kc, 0:n] into panels of nr columns, zero-padded: panel q holds kc rows of nr values.
 * Row-major B (the usual case) is read row by row and dealt out four values at a time — unrolled, which
 * is twice as fast as the general strided loop that handles everything else and the last, partial panel.
 */
function packB(b: StridedMatrix, k0: number, kc: number, n: number, nr: number, bp: FloatArray): void {
  const { data, offset, rowStride, colStride } = b;
  const panel = kc * nr;
  let j0 = 0;
  if (colStride === 1 && nr % 4 === 0) {
    const full = n - (n % nr);
    for (let kk = 0; kk < kc; kk++) {
      const row = offset + (k0 + kk) * rowStride;
      for (let j = 0, q = kk * nr; j < full; j += nr, q += panel) {
        for (let jj = 0; jj < nr; jj += 4) {
          const s = row + j + jj, d = q + jj;
          bp[d] = data[s]; bp[d + 1] = data[s + 1]; bp[d + 2] = data[s + 2]; bp[d + 3] = data[s + 3];
        }
      }
    }
    j0 = full;
  }
  for (let q = j0 / nr; j0 < n; q++, j0 += nr) {
    const width = Math.min(nr, n - j0);
    for (let kk = 0, dst = q * panel; kk < kc; kk++, dst += nr) {
      const src = offset + (k0 + kk) * rowStride + j0 * colStride;
      for (let jj = 0; jj < width; jj++) bp[dst + jj] = data[src + jj * colStride];
      for (let jj = width; jj < nr; jj++) bp[dst + jj] = 0;
    }
  }
}

/**
 * Packs A[i0:i0+mc, k0:k0+kc] into panels of mr rows, k-major, zero-padded to a multiple of mr rows.
 * Full 4-row panels of a row-major A (four sequential row streams) or of a transposed one (four adjacent
 * values per k) take unrolled paths; anything else takes the general loop.
 */
function packA(a: StridedMatrix, i0: number, mc: number, k0: number, kc: number, mr: number, ap: FloatArray): void {
  const { data, offset, rowStride, colStride } = a;
  for (let p = 0, r0 = 0; r0 < mc; p++, r0 += mr) {
    const base = p * kc * mr;
    const first = offset + (i0 + r0) * rowStride + k0 * colStride;
    if (mr === 4 && r0 + 4 <= mc && colStride === 1) {
      const s1 = first + rowStride, s2 = s1 + rowStride, s3 = s2 + rowStride;
      for (let kk = 0, d = base; kk < kc; kk++, d += 4) {
        ap[d] = data[first + kk]; ap[d + 1] = data[s1 + kk]; ap[d + 2] = data[s2 + kk]; ap[d + 3] = data[s3 + kk];
      }
      continue;
    }
    if (mr === 4 && r0 + 4 <= mc && rowStride === 1) {
      for (let kk = 0, d = base, s = first; kk < kc; kk++, d += 4, s += colStride) {
        ap[d] = data[s]; ap[d + 1] = data[s + 1]; ap[d + 2] = data[s + 2]; ap[d + 3] = data[s + 3];
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      if (r0 + r >= mc) {
        for (let kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = 0;
        continue;
      }
      const src = first + r * rowStride;
      for (let kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = data[src + kk * colStride];
    }
  }
}

/**
 * One (m×k)·(k×n) product written row-major into `out` at `outOffset`, computed in `dtype` arithmetic
 * (float32, float64; int32 runs in float64).
 */
export function gemm(
  a: StridedMatrix, b: StridedMatrix, m: number, k: number, n: number,
  out: TypedArray, outOffset: number, dtype: DType,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + m * n);
    return;
  }
  const engine = engineFor(dtype);
  const { mr, nr } = engine;
  const nPad = roundUp(n, nr);
  const kcMax = Math.min(KC, k);
  const rowsPerChunk = Math.max(MC, roundUp(Math.floor(MAX_C / nPad), MC));
  for (let i0 = 0; i0 < m; i0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, m - i0);
    const ws = engine.workspace(roundUp(Math.min(MC, rows), mr) * kcMax, nPad * kcMax, roundUp(rows, mr) * nPad);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      packB(b, k0, kc, n, nr, ws.bp);
      for (let ic = 0; ic < rows; ic += MC) {
        const mc = Math.min(MC, rows - ic);
        packA(a, i0 + ic, mc, k0, kc, mr, ws.ap);
        const tiles = Math.ceil(mc / mr);
        for (let q = 0, j0 = 0; j0 < n; q++, j0 += nr) ws.column(0, q * kc * nr, ic * nPad + j0, kc, nPad, k0 > 0, tiles);
      }
    }
    for (let i = 0; i < rows; i++) {
      out.set(ws.c.subarray(i * nPad, i * nPad + n), outOffset + (i0 + i) * n);
    }
  }
}
