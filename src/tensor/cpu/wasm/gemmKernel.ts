/**
 * WebAssembly SIMD micro-kernels for the cpu matmul, generated at load time by ./encode.ts.
 *
 * A micro-kernel updates one MR×NR tile of C from a packed A panel (kc steps of MR values, k-major) and a
 * packed B panel (kc steps of NR values):   for k: C[r, :] = C[r, :] + A[r, k] · B[k, :]
 * Each output element is one SIMD lane that multiplies, then adds, in k order, rounding each op to the
 * dtype: the result is bit-for-bit the naive loop `s = s + a·b` (no fused multiply-add), so the wasm path,
 * the JavaScript fallback and a textbook triple loop all agree exactly.
 *
 * Kernels: float32 as 4 rows × 8 columns (f32x4, 8 accumulators), float64 as 4 rows × 4 columns (f64x2,
 * 8 accumulators) — small enough that accumulators, B vectors and the broadcast A value fit in 16 registers.
 */
import { encodeModule, i32, instantiateWithMemory, op, v128, type FunctionDef, type ValType } from './encode';

export interface KernelShape {
  /** Bytes per element (4 for float32, 8 for float64). */
  bytes: number;
  /** Rows of the tile. */
  mr: number;
  /** Columns of the tile (a multiple of the lanes per vector). */
  nr: number;
}

export const F32_TILE: KernelShape = { bytes: 4, mr: 4, nr: 8 };
export const F64_TILE: KernelShape = { bytes: 8, mr: 4, nr: 4 };

/** Parameter indices of every kernel: (a, b, c, kc, ldc, load). Pointers and ldc are in bytes. */
const A = 0, B = 1, C = 2, KC = 3, LDC = 4, LOAD = 5;

/** The instructions of one tile kernel. */
function tileKernel(name: string, shape: KernelShape): FunctionDef {
  const { bytes, mr, nr } = shape;
  const vectors = (nr * bytes) / 16; // v128 registers per tile row
  const [splat, mul, add] = bytes === 4
    ? [op.v128Load32Splat, op.f32x4Mul, op.f32x4Add]
    : [op.v128Load64Splat, op.f64x2Mul, op.f64x2Add];
  // Locals after the 6 parameters: the accumulators, the B vectors, the broadcast A value, a C row pointer.
  const acc = (r: number, v: number) => 6 + r * vectors + v;
  const bVec = (v: number) => 6 + mr * vectors + v;
  const aVal = 6 + mr * vectors + vectors;
  const row = aVal + 1;
  const locals: ValType[] = [...Array<ValType>(mr * vectors + vectors + 1).fill(v128), i32];

  const body: number[][] = [];
  const eachRow = (perRow: (r: number) => void) => {
    body.push(op.localGet(C), op.localSet(row));
    for (let r = 0; r < mr; r++) {
      perRow(r);
      body.push(op.localGet(row), op.localGet(LDC), op.i32Add, op.localSet(row));
    }
  };
  // Start from C's current values (continuing an earlier k-block) or from zero (locals start at zero).
  body.push(op.localGet(LOAD), op.if);
  eachRow((r) => {
    for (let v = 0; v < vectors; v++) body.push(op.localGet(row), op.v128Load(16 * v), op.localSet(acc(r, v)));
  });
  body.push(op.end);
  // The k loop (kc ≥ 1).
  body.push(op.loop);
  for (let v = 0; v < vectors; v++) body.push(op.localGet(B), op.v128Load(16 * v), op.localSet(bVec(v)));
  for (let r = 0; r < mr; r++) {
    body.push(op.localGet(A), splat(r * bytes), op.localSet(aVal));
    for (let v = 0; v < vectors; v++) {
      body.push(op.localGet(acc(r, v)), op.localGet(aVal), op.localGet(bVec(v)), mul, add, op.localSet(acc(r, v)));
    }
  }
  body.push(
    op.localGet(A), op.i32Const(mr * bytes), op.i32Add, op.localSet(A),
    op.localGet(B), op.i32Const(nr * bytes), op.i32Add, op.localSet(B),
    op.localGet(KC), op.i32Const(1), op.i32Sub, op.localTee(KC), op.brIf(0),
    op.end,
  );
  eachRow((r) => {
    for (let v = 0; v < vectors; v++) body.push(op.localGet(row), op.localGet(acc(r, v)), op.v128Store(16 * v));
  });
  return { name, params: 6, locals, body };
}

/**
 * A column of `tiles` tiles down C: calls tile function `tile` with A advancing `aStep` bytes and C `cStep`
 * bytes each time (one call from JavaScript per B panel instead of one per tile).
 */
function columnKernel(name: string, tile: number): FunctionDef {
  const TILES = 6, A_STEP = 7, C_STEP = 8;
  const advance = (p: number, step: number) => [op.localGet(p), op.localGet(step), op.i32Add, op.localSet(p)];
  return {
    name, params: 9, locals: [],
    body: [
      op.loop,
      op.localGet(A), op.localGet(B), op.localGet(C), op.localGet(KC), op.localGet(LDC), op.localGet(LOAD), op.call(tile),
      ...advance(A, A_STEP), ...advance(C, C_STEP),
      op.localGet(TILES), op.i32Const(1), op.i32Sub, op.localTee(TILES), op.brIf(0),
      op.end,
    ],
  };
}

/**
 * A block of C: `panels` columns of tiles, calling column function `column` for B panels `bStep` bytes apart
 * and C columns `cPanelStep` bytes apart. One block is one work item of a threaded product (see ../threads.ts).
 */
function blockKernel(name: string, column: number): FunctionDef {
  const PANELS = 9, B_STEP = 10, C_PANEL_STEP = 11;
  const args = [A, B, C, KC, LDC, LOAD, 6, 7, 8].map((p) => op.localGet(p));
  return {
    name, params: 12, locals: [],
    body: [
      op.loop,
      ...args, op.call(column),
      op.localGet(B), op.localGet(B_STEP), op.i32Add, op.localSet(B),
      op.localGet(C), op.localGet(C_PANEL_STEP), op.i32Add, op.localSet(C),
      op.localGet(PANELS), op.i32Const(1), op.i32Sub, op.localTee(PANELS), op.brIf(0),
      op.end,
    ],
  };
}

/** C column (+)= A panels · one B panel: `tiles` tiles, A advancing aStep bytes and C cStep bytes per tile. */
export type ColumnKernel = (
  a: number, b: number, c: number, kc: number, ldc: number, load: number, tiles: number, aStep: number, cStep: number,
) => void;

/** The kernels' memory: shared (threads possible) when at most this many 64 KiB pages (1 GiB). */
export const SHARED_MAX_PAGES = 16384;

export interface TileKernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** True when `memory` is shared, so worker threads can run the block kernels on it. */
  shared: boolean;
  f32: ColumnKernel;
  f64: ColumnKernel;
  /** Every export, the block kernels included. */
  exports: WebAssembly.Exports;
}

/** Names of the block kernels, the functions a work item of a threaded product calls (12 i32 arguments). */
export const BLOCK_KERNELS = ['f32Block', 'f64Block'] as const;

/**
 * The module's bytes (exported for the tests). Functions: 0, 1 the tiles; 2, 3 the columns; 4, 5 the blocks.
 * `sharedMaxPages` > 0 imports a shared memory of at most that many pages.
 */
export function kernelModuleBytes(sharedMaxPages = 0): Uint8Array<ArrayBuffer> {
  return encodeModule([
    tileKernel('f32Tile', F32_TILE), tileKernel('f64Tile', F64_TILE),
    columnKernel('f32', 0), columnKernel('f64', 1),
    blockKernel('f32Block', 2), blockKernel('f64Block', 3),
  ], 1, sharedMaxPages);
}

/**
 * Compiles and instantiates the kernels, on a shared memory when `shared` is asked for and the platform allows
 * it (else unshared), or returns null where WebAssembly or its SIMD extension is missing (the caller then uses
 * the JavaScript kernels).
 */
export function loadTileKernels(shared = false): TileKernels | null {
  const loaded = (shared ? instantiateWithMemory(kernelModuleBytes(SHARED_MAX_PAGES), SHARED_MAX_PAGES) : null)
    ?? instantiateWithMemory(kernelModuleBytes());
  if (!loaded) return null;
  const exports = loaded.exports as unknown as { f32: ColumnKernel; f64: ColumnKernel };
  const isShared = typeof SharedArrayBuffer === 'function' && loaded.memory.buffer instanceof SharedArrayBuffer;
  return { module: loaded.module, memory: loaded.memory, shared: isShared, f32: exports.f32, f64: exports.f64, exports: loaded.exports };
}
