/**
 * The level-2 kernels of the tridiagonalisation (./tridiagonal.ts), which cannot be blocked into gemm: the
 * symmetric matrix-vector product (./tridiagonalSymv.ts), once per reflector, and the panel's updates against
 * its earlier reflectors (x −= p·c₀ + q·c₁ and pairs of dot products, NB per column).
 *
 * Everything lives in one {@link TridiagonalWorkspace}: on the kernels' WebAssembly memory where WebAssembly
 * SIMD is available, so the kernels read the matrix in place (the reduction works on that buffer throughout),
 * else on a plain Float64Array. That memory is one per process, shared with worker threads where they can run
 * (the symmetric product's blocks are shared between them), and grown to the largest reduction so far, as the
 * gemm kernels' memory is: a workspace's views are valid until the next workspace is made.
 *
 * Two implementations give the same bits: WebAssembly SIMD (two rows per f64x2 vector) and the JavaScript
 * below. Both run over rows in pairs, as two lanes (lane 0 the first row of each pair, lane 1 the second),
 * each lane doing the same multiplications and additions in the same order (no fused multiply-add); a sum
 * over rows is (lane 0 + lane 1) + the odd last row.
 *
 * Memory layout (bytes): 0–31 the coefficients, 48–63 zeros (ZERO_BYTE), 64–127 the accumulators, the
 * workspace from DATA_BYTE on.
 */
import { DATA_BYTE, RESULT_BYTE, accumulate, add, get, mul, set, streamKernel, sub } from './jacobiWasm';
import { encodeModule, instantiateWithMemory } from '../../tensor/cpu/wasm/encode';
import { KernelPool, threadsSupported } from '../../tensor/cpu/threads';
import { type BlockRunner, MAX_BLOCKS, type SymvLayout, runBlocksJs, symmetricProduct, symvColumnsKernel } from './tridiagonalSymv';

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

/** Pages of the shared memory at most (4 GiB, wasm32's limit: n up to about 22 000). */
const SHARED_MAX_PAGES = 65536;

/** The module's bytes (exported for the tests); its memory shared, of at most `sharedMaxPages` pages, when given. */
export function tridiagonalModuleBytes(sharedMaxPages = 0): Uint8Array<ArrayBuffer> {
  return encodeModule([symvColumnsKernel(), axpy2, dot2], 1, sharedMaxPages);
}

interface Exports {
  symvColumns(col: number, n8: number, vc: number, vrow: number, yrow: number, res: number, pairs: number, groups: number): void;
  axpy2(x: number, p: number, q: number, pairs: number): void;
  dot2(p: number, q: number, z: number, pairs: number): void;
}

/** The compiled kernels on their memory, with the pool that runs the symmetric product's blocks. */
interface Runtime {
  memory: WebAssembly.Memory;
  exports: Exports;
  pool: KernelPool;
}

let runtime: Runtime | null | undefined;
let wasmEnabled = true;

/** The kernels (on a shared memory where threads can run), or null where WebAssembly SIMD is missing. */
function kernelRuntime(): Runtime | null {
  if (runtime !== undefined) return runtime;
  const shared = threadsSupported() ? instantiateWithMemory(tridiagonalModuleBytes(SHARED_MAX_PAGES), SHARED_MAX_PAGES) : null;
  const loaded = shared ?? instantiateWithMemory(tridiagonalModuleBytes());
  runtime = null;
  if (loaded) {
    const exports = loaded.exports as unknown as Exports;
    const pool = new KernelPool(loaded.module, loaded.memory, [exports.symvColumns as (...args: number[]) => void], ['symvColumns']);
    runtime = { memory: loaded.memory, exports, pool };
  }
  return runtime;
}

/**
 * Whether new workspaces use the WebAssembly kernels where they compile (the tests switch them off to
 * compare); returns whether they compile here.
 */
export function useWasmTridiagonal(enabled: boolean): boolean {
  wasmEnabled = enabled;
  return kernelRuntime() !== null;
}

/**
 * Starts the worker threads of the symmetric product and waits (up to `timeoutMs`) until they are ready;
 * returns how many are (0 where threads cannot run). Optional, as gemm's warmUpThreads is.
 */
export function warmUpTridiagonalThreads(timeoutMs = 5000): number {
  const kernels = kernelRuntime();
  return kernels ? kernels.pool.warmUp(timeoutMs) : 0;
}

/** Blocks of symmetric products run by worker threads so far (for tests: 0 means the caller ran them all). */
export function tridiagonalBlocksRunByWorkers(): number {
  return runtime ? runtime.pool.itemsRunByWorkers() : 0;
}

/**
 * The reduction's buffers, as views of one buffer: the matrix `a` (column-major n×n) from element 0, `v` and
 * `y` (n each, indexed by row of A), and `w` (n × `panel`, column-major) from element `wAt`. The kernels take
 * element offsets into that buffer (a's entry k is at k, w's entry k at wAt + k).
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
 * A workspace's layout after its n leading zeros, in elements: the matrix a at 0, then v, y, w (n × `panel`),
 * the symmetric product's partial vectors and its lane sums; `size` elements in all.
 */
function workspaceLayout(n: number, panel: number) {
  const vAt = n * n, yAt = vAt + n, wAt = yAt + n, partialsAt = wAt + n * panel;
  const resultsAt = partialsAt + (MAX_BLOCKS - 1) * n, size = resultsAt + 2 * n + 8;
  return { vAt, yAt, wAt, partialsAt, resultsAt, size };
}

/** The kernels' memory grown to at least `bytes`. */
function memoryOf(kernels: Runtime, bytes: number): ArrayBuffer | SharedArrayBuffer {
  const have = kernels.memory.buffer.byteLength;
  if (bytes > have) kernels.memory.grow(Math.ceil((bytes - have) / 65536));
  return kernels.memory.buffer;
}

/**
 * `length` elements of the kernels' memory right after the workspace that tridiagonalWorkspace(·, n, panel)
 * will make, for a caller that stages the reduction's input there and reuses it as scratch afterwards (eigh's
 * copy of A, then divide and conquer's): memory that stays with the process, so repeated calls touch no fresh
 * pages (on this project's machine a fresh page costs ~20 µs to touch the first time). Valid until the next
 * workspace of another size; null where the kernels do not run on WebAssembly (the caller allocates then).
 */
export function stagingBuffer(n: number, panel: number, length: number): Float64Array | null {
  const kernels = wasmEnabled ? kernelRuntime() : null;
  if (kernels === null) return null;
  const at = DATA_BYTE + 8 * (n + workspaceLayout(n, panel).size);
  return new Float64Array(memoryOf(kernels, at + 8 * length), at, length);
}

/**
 * A workspace whose matrix starts as a copy of `matrix` (column-major n×n; not modified) and whose `w`
 * holds `panel` columns: on the kernels' memory (valid until the next workspace) or a fresh buffer.
 */
export function tridiagonalWorkspace(matrix: Float64Array, n: number, panel: number): TridiagonalWorkspace {
  const kernels = wasmEnabled ? kernelRuntime() : null;
  // n zeros, then a, v, y, w, the product's partial vectors and lane sums: the zeros let `reflectors` be a view.
  const { vAt, yAt, wAt, partialsAt, resultsAt, size } = workspaceLayout(n, panel);
  let full: Float64Array;
  if (kernels === null) {
    full = new Float64Array(n + size);
  } else {
    full = new Float64Array(memoryOf(kernels, DATA_BYTE + 8 * (n + size)), DATA_BYTE, n + size);
    // Whatever an earlier reduction left: the zero column, and a clean slate after the matrix.
    full.fill(0, 0, n);
    full.fill(0, n + vAt);
  }
  const mem = full.subarray(n);
  mem.set(matrix.subarray(0, n * n));
  const a = mem.subarray(0, vAt), v = mem.subarray(vAt, yAt), y = mem.subarray(yAt, wAt), w = mem.subarray(wAt, partialsAt);
  const layout: SymvLayout = { mem, n, vAt, yAt, partialsAt, resultsAt };
  const ops = kernels ? wasmKernels(kernels, mem, DATA_BYTE + 8 * n) : jsKernels(mem);
  return {
    name: kernels ? 'wasm-simd' : 'js', a, v, y, w, wAt, reflectors: full.subarray(0, n * n),
    symv: (s) => symmetricProduct(layout, s, ops.runBlocks),
    axpy2: ops.axpy2,
    dot2: (p, q, z, count, out) => {
      ops.dot2(p, q, z, count >> 1, out);
      if ((count & 1) === 1) {
        const last = count - 1;
        out[0] += mem[p + last] * mem[z + last];
        out[1] += mem[q + last] * mem[z + last];
      }
    },
  };
}

interface Kernels {
  runBlocks: BlockRunner;
  axpy2(x: number, p: number, q: number, c0: number, c1: number, count: number): void;
  /** out = [Σ p·z, Σ q·z] over 2·pairs terms, lane 0 + lane 1. */
  dot2(p: number, q: number, z: number, pairs: number, out: Float64Array): void;
}

/** The wasm kernels on `mem`, which starts at byte `memByte` of the kernels' memory. */
function wasmKernels({ memory, exports: wasm, pool }: Runtime, mem: Float64Array, memByte: number): Kernels {
  const coefs = new Float64Array(memory.buffer, 0, 4);
  const results = new Float64Array(memory.buffer, RESULT_BYTE, 8);
  const at = (offset: number) => memByte + 8 * offset;
  return {
    // One work item per block: symvColumns's arguments as byte addresses (see tridiagonalSymv.ts).
    runBlocks: ({ n, vAt, resultsAt }, blocks) => {
      const t = pool.items;
      blocks.forEach(({ c, groups, target }, i) => {
        const o = i * 12;
        t[o] = at(c * n + c + 4); t[o + 1] = 8 * n; t[o + 2] = at(vAt + c); t[o + 3] = at(vAt + c + 4);
        t[o + 4] = at(target + c + 4); t[o + 5] = at(resultsAt + 2 * c); t[o + 6] = (n - c - 4) >> 1; t[o + 7] = groups;
      });
      pool.run(0, blocks.length);
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

function jsKernels(mem: Float64Array): Kernels {
  return {
    runBlocks: runBlocksJs,
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
