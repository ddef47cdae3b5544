/**
 * CPU matrix multiply, blocked GotoBLAS-style around a small register-tile kernel.
 *
 * C (m×n) = A (m×k) · B (k×n). For each k-block of KC steps, B's rows are packed into column panels of NR (each
 * panel walks k contiguously, so it sits in L1 while the tiles use it) and A's rows into row panels of MR, in
 * blocks of MC rows (an A block stays in L2). A work item is one block of MC rows × a group of panels; a tile
 * kernel updates every MR×NR tile of it. The tile kernels are WebAssembly SIMD where available
 * (./wasm/gemmKernel.ts, packing into wasm memory) and JavaScript otherwise (./matmulTiles.ts). With a shared
 * wasm memory the items of a k-block run on several threads (./threads.ts); each item owns its tiles of C, so
 * the result does not depend on the thread count.
 *
 * Each C element is the naive loop `s = s + a·b` in k order, starting from 0 (or from C's value when
 * accumulating): with wasm, float32 in float32 arithmetic (as BLAS does) and float64 in float64; in JavaScript
 * everything in float64, rounded once to the dtype. float64 and int32 (exact in float64, then wrapped like a
 * cast) give the same bits on both paths; float32 from the JavaScript path is the more accurate of the two.
 * Skipped work (a triangle of a symmetric result, the zero blocks of a triangular operand) only leaves out
 * additions of exact zeros.
 */
import type { DType, TypedArray } from '../dtype';
import { JS_TILE, tileF64 } from './matmulTiles';
import { type FloatArray, type StridedMatrix, packA, packB } from './matmulPack';
import { ITEM_ARGS, KernelPool, MAX_ITEMS, threadsSupported } from './threads';
import { BLOCK_KERNELS, F32_TILE, F64_TILE, loadTileKernels, type TileKernels } from './wasm/gemmKernel';

export type { StridedMatrix } from './matmulPack';

const KC = 256; // k-steps per block: a packed B panel (KC × NR) stays in L1
const MC = 64; // rows of A per packed block (MC × KC stays in L2)
const NC = 256; // columns per work item (at most; fewer when that leaves too few items to share)
const MAX_C = 1 << 22; // elements of the padded C buffer (and of A's packed rows); taller products run in row chunks
const MAX_WHOLE_B = 1 << 23; // B packed once for all row chunks when it has at most this many (padded) elements
const PARALLEL_FLOPS = 1 << 22; // a k-block with less work runs on the calling thread

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** Row stride of the output (default n). */
  ldc?: number;
  /** Add the product to the output's values (C + A·B) instead of overwriting them. */
  accumulate?: boolean;
  /** Subtract the product: C − A·B (with accumulate) or −A·B. Exact: A is negated when packed. */
  subtract?: boolean;
  /** Only entries i ≥ j are wanted (m = n, e.g. a symmetric AᵀA): tiles above the diagonal are skipped, and only the lower triangle of the output is written. */
  lowerOnly?: boolean;
  /** A is lower ('lower': A[i][k] = 0 for k > i) or upper triangular; k-blocks in its zero part are skipped (the zeros inside diagonal blocks are read, so they must be stored). */
  aTriangle?: 'lower' | 'upper';
  /** B is lower (B[k][j] = 0 for k < j) or upper (B[k][j] = 0 for k > j) triangular, as for aTriangle. */
  bTriangle?: 'lower' | 'upper';
}

/** Packed buffers for one product and the items that run on them (offsets in elements). */
interface Workspace {
  ap: FloatArray;
  bp: FloatArray;
  c: FloatArray;
  /** Queues an item: `tiles` MR-row tiles × `panels` NR-column panels, from A at ao, B at bo, C at co. */
  add(ao: number, bo: number, co: number, kc: number, ldc: number, tiles: number, panels: number): void;
  /** Runs the queued items (on several threads when `parallel` and the engine can) and empties the queue. */
  flush(parallel: boolean): void;
}

interface Engine {
  name: 'wasm-simd' | 'js';
  mr: number;
  nr: number;
  /** Buffers of at least the given sizes (reused between calls; contents undefined). */
  workspace(apSize: number, bpSize: number, cSize: number): Workspace;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** JavaScript engine: float64 typed arrays (whatever the dtype), grown on demand; items run at once. */
function jsEngine(): Engine {
  const { mr, nr } = JS_TILE;
  const ws: Workspace = {
    ap: new Float64Array(0), bp: new Float64Array(0), c: new Float64Array(0),
    add(ao, bo, co, kc, ldc, tiles, panels) {
      const [ap, bp, c] = [ws.ap as Float64Array, ws.bp as Float64Array, ws.c as Float64Array];
      for (let q = 0; q < panels; q++) {
        for (let t = 0; t < tiles; t++) tileF64(ap, ao + t * kc * mr, bp, bo + q * kc * nr, c, co + t * mr * ldc + q * nr, kc, ldc, true);
      }
    },
    flush() {},
  };
  return {
    name: 'js', mr, nr,
    workspace(apSize, bpSize, cSize) {
      if (ws.ap.length < apSize) ws.ap = new Float64Array(apSize);
      if (ws.bp.length < bpSize) ws.bp = new Float64Array(bpSize);
      if (ws.c.length < cSize) ws.c = new Float64Array(cSize);
      return ws;
    },
  };
}

/** WebAssembly engine: the three buffers are consecutive regions of the kernels' memory; items go to the pool. */
function wasmEngine(kernels: TileKernels, pool: KernelPool, float32: boolean): Engine {
  const shape = float32 ? F32_TILE : F64_TILE;
  const { bytes, mr, nr } = shape;
  const fn = float32 ? 0 : 1; // index in BLOCK_KERNELS
  const Alloc = float32 ? Float32Array : Float64Array;
  let ws: Workspace | null = null;
  let sizes = [0, 0, 0];
  let count = 0;
  let regions = [0, 0, 0];
  return {
    name: 'wasm-simd', mr, nr,
    workspace(apSize, bpSize, cSize) {
      if (ws && ws.ap.buffer === kernels.memory.buffer && apSize <= sizes[0] && bpSize <= sizes[1] && cSize <= sizes[2]) return ws;
      sizes = [Math.max(apSize, sizes[0]), Math.max(bpSize, sizes[1]), Math.max(cSize, sizes[2])];
      const total = (sizes[0] + sizes[1] + sizes[2]) * bytes;
      const have = kernels.memory.buffer.byteLength;
      if (total > have) kernels.memory.grow(Math.ceil((total - have) / 65536));
      const buffer = kernels.memory.buffer;
      regions = [0, sizes[0] * bytes, (sizes[0] + sizes[1]) * bytes];
      const [a0, b0, c0] = regions;
      ws = {
        ap: new Alloc(buffer, a0, sizes[0]),
        bp: new Alloc(buffer, b0, sizes[1]),
        c: new Alloc(buffer, c0, sizes[2]),
        add(ao, bo, co, kc, ldc, tiles, panels) {
          if (count === MAX_ITEMS) this.flush(true);
          const t = pool.items, o = count++ * ITEM_ARGS;
          t[o] = a0 + ao * bytes; t[o + 1] = b0 + bo * bytes; t[o + 2] = c0 + co * bytes;
          t[o + 3] = kc; t[o + 4] = ldc * bytes; t[o + 5] = 1; t[o + 6] = tiles;
          t[o + 7] = kc * mr * bytes; t[o + 8] = mr * ldc * bytes;
          t[o + 9] = panels; t[o + 10] = kc * nr * bytes; t[o + 11] = nr * bytes;
        },
        flush(parallel) {
          if (count > 0) pool.run(fn, count, parallel);
          count = 0;
        },
      };
      return ws;
    },
  };
}

/** The tile kernels and their thread pool, on a shared memory where threads can run. */
const kernels = loadTileKernels(threadsSupported());
const pool = kernels
  ? new KernelPool(kernels.module, kernels.memory, BLOCK_KERNELS.map((name) => (kernels.exports as Record<string, (...args: number[]) => void>)[name]), BLOCK_KERNELS)
  : null;
const engines = {
  wasm: kernels && pool ? { f32: wasmEngine(kernels, pool, true), f64: wasmEngine(kernels, pool, false) } : null,
  js: { f32: jsEngine(), f64: jsEngine() },
};
let useWasm = kernels !== null;

/**
 * Starts the worker threads for the current thread count and waits (up to `timeoutMs`) until they are ready;
 * returns how many are. Optional: products use whichever workers are ready, and the calling thread alone
 * until then. Benchmarks and tests call it so that every run has its threads.
 */
export function warmUpThreads(timeoutMs = 5000): number {
  return pool ? pool.warmUp(timeoutMs) : 0;
}

/** Items of threaded products run by worker threads so far (for tests: 0 means the caller ran everything). */
export function itemsRunByWorkers(): number {
  return pool ? pool.itemsRunByWorkers() : 0;
}

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

/** Rows and columns a k-block [k0, k1) can change, given triangular operands (half-open ranges). */
function activeRanges(m: number, n: number, k0: number, k1: number, o: GemmOptions): [number, number, number, number] {
  let [rowLo, rowHi, colLo, colHi] = [0, m, 0, n];
  if (o.aTriangle === 'lower') rowLo = k0; // A[i][k] = 0 for k > i: rows i ≥ k0
  if (o.aTriangle === 'upper') rowHi = Math.min(m, k1); // A[i][k] = 0 for k < i: rows i < k1
  if (o.bTriangle === 'upper') colLo = k0; // B[k][j] = 0 for k > j: columns j ≥ k0
  if (o.bTriangle === 'lower') colHi = Math.min(n, k1); // B[k][j] = 0 for k < j: columns j < k1
  return [rowLo, rowHi, colLo, colHi];
}

/**
 * One (m×k)·(k×n) product written row-major into `out` at `outOffset` (row stride `options.ldc`, default n),
 * computed in `dtype` arithmetic (float32, float64; int32 runs in float64). See {@link GemmOptions} for
 * accumulation, subtraction, lower-triangle-only results and triangular operands.
 */
export function gemm(
  a: StridedMatrix, b: StridedMatrix, m: number, k: number, n: number,
  out: TypedArray, outOffset: number, dtype: DType, options: GemmOptions = {},
): void {
  const ldOut = options.ldc ?? n;
  if (options.lowerOnly && m !== n) throw new Error(`gemm: lowerOnly needs a square result, got ${m}×${n}`);
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!options.accumulate) for (let i = 0; i < m; i++) out.fill(0, outOffset + i * ldOut, outOffset + i * ldOut + (options.lowerOnly ? i + 1 : n));
    return;
  }
  const engine = engineFor(dtype);
  const { mr, nr } = engine;
  const nPad = roundUp(n, nr);
  const kcMax = Math.min(KC, k);
  const kBlocks = Math.ceil(k / KC);
  const rowsPerChunk = Math.max(MC, Math.floor(Math.min(MAX_C / nPad, MAX_C / kcMax) / MC) * MC);
  const chunks = Math.ceil(m / rowsPerChunk);
  const wholeB = chunks > 1 && kBlocks * KC * nPad <= MAX_WHOLE_B;
  const firstRows = Math.min(rowsPerChunk, m);
  const ws = engine.workspace(roundUp(firstRows, MC) * kcMax, wholeB ? kBlocks * KC * nPad : kcMax * nPad, roundUp(firstRows, mr) * nPad);
  if (wholeB) {
    for (let kb = 0; kb < kBlocks; kb++) packB(b, kb * KC, Math.min(KC, k - kb * KC), n, nr, 0, nPad / nr, ws.bp, kb * KC * nPad);
  }
  for (let i0 = 0; i0 < m; i0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, m - i0);
    loadC(ws.c, nPad, out, outOffset, ldOut, i0, rows, n, options.accumulate === true);
    for (let kb = 0; kb < kBlocks; kb++) {
      const k0 = kb * KC, kc = Math.min(KC, k - k0);
      const [rowLo, rowHi, colLo, colHi] = activeRanges(m, n, k0, k0 + kc, options);
      const rLo = Math.max(rowLo - i0, 0), rHi = Math.min(rowHi - i0, rows);
      if (rLo >= rHi || colLo >= colHi) continue;
      const [q0, q1] = [Math.floor(colLo / nr), Math.ceil(colHi / nr)];
      const bAt = wholeB ? kb * KC * nPad : 0;
      if (!wholeB) packB(b, k0, kc, n, nr, q0, q1, ws.bp, 0);
      const blocks = { first: Math.floor(rLo / MC), last: Math.ceil(rHi / MC) };
      const groupPanels = panelsPerItem(blocks.last - blocks.first, q1 - q0, nr);
      let flops = 0;
      for (let ib = blocks.first; ib < blocks.last; ib++) {
        const r0 = ib * MC, mc = Math.min(MC, rows - r0);
        // Last panel this block needs: all of [q0, q1), or only up to the diagonal for lowerOnly.
        const qEnd = options.lowerOnly ? Math.min(q1, Math.ceil((i0 + r0 + mc) / nr)) : q1;
        if (qEnd <= q0) continue;
        packA(a, i0 + r0, mc, k0, kc, mr, ws.ap, r0 * kc, options.subtract === true);
        const tiles = Math.ceil(mc / mr);
        for (let q = q0; q < qEnd; q += groupPanels) {
          const panels = Math.min(groupPanels, qEnd - q);
          ws.add(r0 * kc, bAt + q * kc * nr, r0 * nPad + q * nr, kc, nPad, tiles, panels);
          flops += 2 * tiles * mr * panels * nr * kc;
        }
      }
      ws.flush(flops >= PARALLEL_FLOPS);
    }
    storeC(ws.c, nPad, out, outOffset, ldOut, i0, rows, n, options.lowerOnly === true);
  }
}

/** Panels per work item: NC columns, or fewer so that there are enough items to share among threads. */
function panelsPerItem(rowBlocks: number, panels: number, nr: number): number {
  let group = Math.max(1, Math.floor(NC / nr));
  while (group > 1 && rowBlocks * Math.ceil(panels / group) < 16) group = Math.ceil(group / 2);
  return group;
}

/** Starts the padded C buffer from zero, or from the output's values when accumulating. */
function loadC(c: FloatArray, ldc: number, out: TypedArray, offset: number, ldOut: number, i0: number, rows: number, n: number, accumulate: boolean): void {
  if (!accumulate) {
    c.fill(0, 0, roundUp(rows, 4) * ldc);
    return;
  }
  for (let i = 0; i < rows; i++) {
    const src = offset + (i0 + i) * ldOut;
    c.set(out.subarray(src, src + n), i * ldc);
    c.fill(0, i * ldc + n, (i + 1) * ldc);
  }
  c.fill(0, rows * ldc, roundUp(rows, 4) * ldc);
}

/** Writes rows i0…i0+rows−1 of the result (only j ≤ i when lowerOnly). */
function storeC(c: FloatArray, ldc: number, out: TypedArray, offset: number, ldOut: number, i0: number, rows: number, n: number, lowerOnly: boolean): void {
  for (let i = 0; i < rows; i++) {
    const width = lowerOnly ? Math.min(n, i0 + i + 1) : n;
    out.set(c.subarray(i * ldc, i * ldc + width), offset + (i0 + i) * ldOut);
  }
}
