/**
 * Matmul benchmark: GFLOP/s of square float32 products (256, 512, 1024) for frod-ts's cpu device — on all its
 * threads and on one — beside @tensorflow/tfjs-backend-cpu and @tensorflow/tfjs-backend-wasm, measured in the
 * same process, and numpy (OpenBLAS, all cores) in a child process of the same run, printed as a table with the
 * ratios. Run alone with `npx tsx bench/matmul.ts`, or with every bench through `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randn, Generator, getNumThreads, matmul, setNumThreads } from '../src/tensor';
import { matmulKernelName, warmUpThreads } from '../src/tensor/cpu/matmul';

const SIZES = [256, 512, 1024];
const MIN_SECONDS = 1.5; // per (engine, size): timed runs continue until this much time has passed…
const MIN_RUNS = 3; // …and at least this many runs

interface Product {
  /** Makes this engine current (tfjs has one active backend at a time); not timed. */
  activate?(): Promise<unknown>;
  /** One product, including reading the result back; timed. */
  run(): Promise<void> | void;
}
interface Engine {
  name: string;
  /** Prepares n×n operands on this engine and returns the product to time. */
  prepare(n: number): Promise<Product>;
}

/** 2n³ floating-point operations in `seconds`, in GFLOP/s. */
const gflops = (n: number, seconds: number) => (2 * n ** 3) / seconds / 1e9;

/**
 * Best GFLOP/s of each engine at size n. The engines take turns (round robin, after one warm-up run each),
 * so a busy machine slows them alike; each runs at least MIN_RUNS times and MIN_SECONDS in all.
 */
async function measureSize(products: Product[], n: number): Promise<number[]> {
  for (const product of products) {
    await product.activate?.();
    await product.run();
  }
  const best = products.map(() => Infinity);
  const spent = products.map(() => 0);
  for (let round = 0; round < MIN_RUNS || spent.some((s) => s < MIN_SECONDS); round++) {
    for (let e = 0; e < products.length; e++) {
      if (round >= MIN_RUNS && spent[e] >= MIN_SECONDS) continue;
      await products[e].activate?.();
      const t0 = performance.now();
      await products[e].run();
      const seconds = (performance.now() - t0) / 1000;
      best[e] = Math.min(best[e], seconds);
      spent[e] += seconds;
    }
  }
  return best.map((seconds) => gflops(n, seconds));
}

/** frod-ts's cpu device on `threads` threads (set before each timed run, as products of other engines interleave). */
function frodEngine(threads: number): Engine {
  const activate = async () => {
    setNumThreads(threads);
    warmUpThreads();
  };
  return {
    name: `frod-ts cpu (${matmulKernelName('float32')}, ${threads} thread${threads === 1 ? '' : 's'})`,
    async prepare(n) {
      await activate();
      const generator = new Generator(n);
      const a = randn([n, n], { generator });
      const b = randn([n, n], { generator });
      return { activate, run: () => { matmul(a, b).data(); } };
    },
  };
}

/** numpy's float32 matmul (OpenBLAS, all cores) at each size, best of runs lasting MIN_SECONDS, in GFLOP/s; null without numpy. */
function numpyGflops(sizes: readonly number[]): number[] | null {
  const script = `
import json, sys, time
import numpy as np
out = []
for n in ${JSON.stringify(sizes)}:
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n), dtype=np.float32); b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    best, spent, runs = float('inf'), 0.0, 0
    while runs < ${MIN_RUNS} or spent < ${MIN_SECONDS}:
        t0 = time.perf_counter(); a @ b; dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
    out.append(2 * n ** 3 / best / 1e9)
print(json.dumps({"gflops": out, "numpy": np.__version__}))
`;
  // The machine's OpenBLAS settings are left out in this command only, so numpy picks its own kernels.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', env, timeout: 300_000 });
  if (result.status !== 0) return null;
  try {
    return (JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as { gflops: number[] }).gflops;
  } catch {
    return null;
  }
}

type Tf = typeof import('@tensorflow/tfjs-core');

async function tfjsEngine(tf: Tf, backend: 'cpu' | 'wasm'): Promise<Engine> {
  await tf.setBackend(backend);
  await tf.ready();
  return {
    name: `tfjs-backend-${backend}`,
    async prepare(n) {
      await tf.setBackend(backend);
      const a = tf.randomNormal([n, n], 0, 1, 'float32', n);
      const b = tf.randomNormal([n, n], 0, 1, 'float32', n + 1);
      return {
        activate: () => tf.setBackend(backend),
        run: async () => {
          const c = tf.matMul(a, b);
          await c.data();
          c.dispose();
        },
      };
    },
  };
}

/** Runs `fn` with tfjs's "install tfjs-node" banner filtered out of the console. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log, warn = console.warn;
  const filter = (print: (...args: unknown[]) => void) => (...args: unknown[]) => {
    if (!args.some((a) => typeof a === 'string' && (a.includes('tfjs-node') || a.startsWith('====')))) print(...args);
  };
  console.log = filter(log);
  console.warn = filter(warn);
  try {
    return await fn();
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

async function loadTfjs(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the wasm backend needs the folder holding its .wasm files.
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  wasm.setWasmPaths(wasmDir);
  return tf;
}

const fmt = (x: number, width: number, digits = 2) => x.toFixed(digits).padStart(width);

export async function run(): Promise<void> {
  console.log('\n## matmul: float32 n×n · n×n, GFLOP/s (best run; engines take turns in one process)\n');
  const load = loadavg()[0];
  console.log(`${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, load average ${load.toFixed(1)}` +
    (load > availableParallelism() * 0.75 ? ' (a busy machine: expect noisy numbers)' : '') + '\n');
  const tf = await loadTfjs();
  const threads = getNumThreads();
  const engines = await quietly(async () => [frodEngine(threads), frodEngine(1), await tfjsEngine(tf, 'cpu'), await tfjsEngine(tf, 'wasm')]);
  const table = engines.map(() => [] as number[]);
  for (const n of SIZES) {
    const products: Product[] = [];
    for (const engine of engines) products.push(await quietly(() => engine.prepare(n)));
    const results = await quietly(() => measureSize(products, n));
    results.forEach((g, e) => table[e].push(g));
  }
  setNumThreads(threads);
  const numpy = numpyGflops(SIZES);
  const names = engines.map((e) => e.name);
  if (numpy) {
    names.push('numpy (OpenBLAS, all cores)');
    table.push(numpy);
  }
  const nameWidth = Math.max(...names.map((name) => name.length)) + 2;
  console.log('engine'.padEnd(nameWidth) + SIZES.map((n) => String(n).padStart(10)).join(''));
  names.forEach((name, e) => console.log(name.padEnd(nameWidth) + table[e].map((g) => fmt(g, 10)).join('')));
  console.log('');
  names.slice(1).forEach((name, i) => {
    const ratios = SIZES.map((_, s) => fmt(table[0][s] / table[i + 1][s], 9) + '×').join('');
    console.log(`${threads} thread${threads === 1 ? '' : 's'} / ${name}`.padEnd(nameWidth + 12) + ratios);
  });
  if (!numpy) console.log('(no python3 with numpy: the numpy row is left out)');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err) => { console.error(err); process.exit(1); });
}
