/**
 * Worker threads for the cpu kernels: a pool of workers that run WebAssembly kernels on one shared memory,
 * while the calling thread blocks (ops stay synchronous, as in PyTorch).
 *
 * A parallel run is a list of work items, each one call of an exported kernel with 12 i32 arguments (byte
 * addresses and sizes in the shared memory). The caller writes the items into a shared control buffer, wakes
 * the workers that are ready, and claims items itself too; every thread takes the next unclaimed item until
 * none is left, then the caller waits for the workers it woke. Items write disjoint parts of the output and
 * compute each value the same way whoever runs them, so results are bit-identical for any thread count
 * (callers partition over output blocks, never over a summation index).
 *
 * Where threads cannot run — no SharedArrayBuffer, a browser page without cross-origin isolation, a thread
 * that may not block (a browser's main thread), no way to start workers — everything runs on the calling
 * thread, with the same bits. Node's `worker_threads` is reached through src/util/node.ts, so the core still
 * bundles for browsers; there workers are Blob-URL Web Workers. Workers are `unref`'d: they never keep a Node
 * process alive.
 *
 * The thread count is `setNumThreads(n)` (as torch.set_num_threads), else the environment variable
 * FROD_NUM_THREADS, else the number of hardware threads.
 */
import { nodeEnv, nodeOs, nodeWorkerThreads } from '../../util/node';

/** i32 arguments per work item. */
export const ITEM_ARGS = 12;

// Control buffer layout (i32 indices).
const DONE = 0; // workers that finished the current run
const NEXT = 1; // next unclaimed item
const FN = 2; // kernel index
const COUNT = 3; // items in the run
const ERROR = 4; // set by a worker whose kernel threw
const SLOTS = 16; // per worker: [wake sequence, ready, items run, spare]
const MAX_WORKERS = 63;
const TABLE = SLOTS + 4 * (MAX_WORKERS + 1);
const CONTROL_INTS = 1 << 16;

/** The most items one run can take. */
export const MAX_ITEMS = Math.floor((CONTROL_INTS - TABLE) / ITEM_ARGS);

const LAYOUT = { DONE, NEXT, FN, COUNT, ERROR, SLOTS, TABLE, ARGS: ITEM_ARGS };

/**
 * The worker's whole program (plain JavaScript, run from a string so that no file has to be found at run
 * time): instantiate the module on the shared memory, say ready, then forever wait for a wake-up, claim and
 * run items, and report done.
 */
const WORKER_SOURCE = `'use strict';
function start(data) {
  const { module, memory, control, index, names, layout: L } = data;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((name) => exports[name]);
  const c = new Int32Array(control);
  const slot = L.SLOTS + 4 * index;
  let seen = Atomics.load(c, slot);
  Atomics.store(c, slot + 1, 1);
  Atomics.notify(c, slot + 1);
  for (;;) {
    Atomics.wait(c, slot, seen);
    seen = Atomics.load(c, slot);
    const fn = fns[c[L.FN]], count = c[L.COUNT];
    let ran = 0;
    try {
      for (let i = Atomics.add(c, L.NEXT, 1); i < count; i = Atomics.add(c, L.NEXT, 1)) {
        const o = L.TABLE + i * L.ARGS;
        fn(c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9], c[o + 10], c[o + 11]);
        ran++;
      }
    } catch (err) {
      Atomics.store(c, L.ERROR, 1);
    }
    c[slot + 2] += ran;
    Atomics.add(c, L.DONE, 1);
    Atomics.notify(c, L.DONE);
  }
}
const nodeThreads = typeof process === 'object' && typeof process.getBuiltinModule === 'function'
  ? process.getBuiltinModule('node:worker_threads') : null;
if (nodeThreads) start(nodeThreads.workerData);
else self.onmessage = (event) => start(event.data);
`;

type Kernel = (...args: number[]) => void;

/** What a started worker needs (sent as Node workerData or a Web Worker message). */
interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  names: readonly string[];
  layout: typeof LAYOUT;
}

let requestedThreads: number | null = null;

/** Hardware threads of this machine (1 when unknown). */
function hardwareThreads(): number {
  const os = nodeOs();
  if (os) return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** The default: FROD_NUM_THREADS when set to a positive integer, else the hardware threads. */
function defaultThreads(): number {
  const env = nodeEnv('FROD_NUM_THREADS');
  if (env !== undefined && env.trim() !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, MAX_WORKERS + 1);
    throw new Error(`FROD_NUM_THREADS must be a positive integer, got '${env}'`);
  }
  return Math.min(hardwareThreads(), MAX_WORKERS + 1);
}

/**
 * Sets the number of threads the cpu kernels may use for large products (1 = the calling thread only), as
 * torch.set_num_threads. Results are the same bits for every count. Takes effect at the next op.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  requestedThreads = Math.min(n, MAX_WORKERS + 1);
}

/** The number of threads the cpu kernels may use (setNumThreads, else FROD_NUM_THREADS, else the hardware's). */
export function getNumThreads(): number {
  requestedThreads ??= defaultThreads();
  return requestedThreads;
}

/** True when this thread may block on Atomics.wait (Node's main thread and workers; not a browser page). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** A function that starts one worker running WORKER_SOURCE with `init`, or null where none can be started. */
type Spawner = (init: WorkerInit) => void;

function workerSpawner(): Spawner | null {
  const threads = nodeWorkerThreads();
  if (threads) {
    return (init) => {
      // No execArgv: the worker needs no loader (such as tsx) and must not run as an ES module.
      const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: init, execArgv: [] });
      // A worker that fails to start never says ready, so it is never given work; keep its error from
      // becoming the process's uncaught exception.
      worker.on('error', () => {});
      worker.unref();
    };
  }
  const g = globalThis as {
    crossOriginIsolated?: boolean;
    Worker?: new (url: string) => { postMessage(data: unknown): void };
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  if (g.crossOriginIsolated !== true || !g.Worker || !g.Blob || !g.URL?.createObjectURL) return null;
  let url: string | null = null;
  return (init) => {
    url ??= g.URL!.createObjectURL(new g.Blob!([WORKER_SOURCE], { type: 'text/javascript' }));
    new g.Worker!(url).postMessage(init);
  };
}

/** True where worker threads can share memory with this thread and this thread can wait for them. */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && canBlock() && workerSpawner() !== null;
}

/** Runs lists of work items on the calling thread and the ready workers. */
export class KernelPool {
  /** The item table: item i's arguments at [i·ITEM_ARGS, (i+1)·ITEM_ARGS). Fill it, then call run. */
  readonly items: Int32Array;
  private readonly control: Int32Array;
  private readonly spawn: Spawner | null;
  private workers = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    /** The kernels on this thread's instance, in the order of `names`. */
    private readonly kernels: readonly Kernel[],
    private readonly names: readonly string[],
  ) {
    // A page that is not cross-origin isolated has no SharedArrayBuffer at all: the pool then runs every item
    // on the calling thread, on a plain buffer (Atomics work on it; nothing ever waits).
    const shared = typeof SharedArrayBuffer === 'function';
    const buffer = shared ? new SharedArrayBuffer(CONTROL_INTS * 4) : new ArrayBuffer(CONTROL_INTS * 4);
    this.control = new Int32Array(buffer);
    this.items = this.control.subarray(TABLE);
    this.spawn = shared && memory.buffer instanceof SharedArrayBuffer && canBlock() ? workerSpawner() : null;
  }

  /** Starts workers until there are `threads − 1` (never more than MAX_WORKERS). */
  private ensureWorkers(threads: number): void {
    if (!this.spawn) return;
    const wanted = Math.min(threads - 1, MAX_WORKERS);
    for (; this.workers < wanted; this.workers++) {
      this.spawn({
        module: this.module, memory: this.memory, control: this.control.buffer as SharedArrayBuffer,
        index: this.workers, names: this.names, layout: LAYOUT,
      });
    }
  }

  private isReady(w: number): boolean {
    return Atomics.load(this.control, SLOTS + 4 * w + 1) === 1;
  }

  /**
   * Runs items 0…count−1 of the table with kernel `fn` (an index into `names`). With `parallel` false (too
   * little work to share) the calling thread runs them all. Returns when every item has run.
   */
  run(fn: number, count: number, parallel = true): void {
    if (count > MAX_ITEMS) throw new Error(`KernelPool.run: ${count} items, at most ${MAX_ITEMS}`);
    const c = this.control;
    const threads = parallel && count > 1 ? getNumThreads() : 1;
    if (threads > 1) this.ensureWorkers(threads);
    c[FN] = fn;
    c[COUNT] = count;
    c[ERROR] = 0;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    let woken = 0;
    for (let w = 0; w < this.workers && woken < Math.min(threads - 1, count - 1); w++) {
      if (!this.isReady(w)) continue;
      Atomics.add(c, SLOTS + 4 * w, 1);
      Atomics.notify(c, SLOTS + 4 * w);
      woken++;
    }
    const kernel = this.kernels[fn];
    const t = this.items;
    for (let i = Atomics.add(c, NEXT, 1); i < count; i = Atomics.add(c, NEXT, 1)) {
      const o = i * ITEM_ARGS;
      kernel(t[o], t[o + 1], t[o + 2], t[o + 3], t[o + 4], t[o + 5], t[o + 6], t[o + 7], t[o + 8], t[o + 9], t[o + 10], t[o + 11]);
    }
    for (let done = Atomics.load(c, DONE); done < woken; done = Atomics.load(c, DONE)) Atomics.wait(c, DONE, done);
    if (c[ERROR] !== 0) throw new Error(`cpu kernels: a worker thread failed in '${this.names[fn]}'`);
  }

  /**
   * Starts the workers for the current thread count and blocks until they are ready or `timeoutMs` has passed
   * (workers start in the background, and runs use only ready ones). Returns the number of ready workers.
   */
  warmUp(timeoutMs = 5000): number {
    const threads = getNumThreads();
    this.ensureWorkers(threads);
    const deadline = Date.now() + timeoutMs;
    for (let w = 0; w < this.workers; w++) {
      while (!this.isReady(w) && Date.now() < deadline) {
        Atomics.wait(this.control, SLOTS + 4 * w + 1, 0, Math.max(1, deadline - Date.now()));
      }
    }
    return this.readyWorkers();
  }

  /** Workers started and ready to take items. */
  readyWorkers(): number {
    let ready = 0;
    for (let w = 0; w < this.workers; w++) if (this.isReady(w)) ready++;
    return ready;
  }

  /** Items run by worker threads (not the calling thread) since the pool was made: shows threads took part. */
  itemsRunByWorkers(): number {
    let total = 0;
    for (let w = 0; w < this.workers; w++) total += this.control[SLOTS + 4 * w + 2];
    return total;
  }
}
