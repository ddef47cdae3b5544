/**
 * gpu device benchmark: float32 n×n matmul (result read back) on every gpu.js backend available here — the
 * frod-ts `gpu` device on each synchronous backend (headless-gl, webasm, gpu.js cpu), and a raw gpu.js
 * WebGPU kernel when the `webgpu` package finds an adapter (the device itself cannot run WebGPU, whose
 * kernels are asynchronous-only) — beside the frod-ts cpu device and @tensorflow/tfjs-backend-wasm, all in
 * one process, printed as GFLOP/s and as ratios. Each engine's product is also checked against the cpu
 * device (max |difference|). Run alone with `npx tsx bench/gpu.ts [sizes…]`, or through `npm run bench`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GPU, type IKernelRunShortcut } from 'gpu.js';
import { Generator, matmul, randn, type Tensor } from '../src/tensor';
import { gpu, type GpuMode } from '../src/tensor/gpu';

const DEFAULT_SIZES = [128, 256, 512];
const MIN_SECONDS = 0.5; // per (engine, size): repeat until this much time has passed (at least 2 timed runs)
const MAX_SECONDS = 6; // an engine slower than this on one product skips the larger sizes

type Product = () => Promise<Float32Array> | Float32Array;

interface Engine {
  name: string;
  /** Prepares n×n operands (the same values for every engine) and returns one timed product. */
  prepare(a: Float32Array, b: Float32Array, n: number): Promise<Product>;
  /** Releases what the engine holds (the WebGPU device keeps Node alive otherwise). */
  dispose?(): Promise<void>;
}

interface Measured {
  gflops: number;
  firstMs: number;
  maxError: number;
}

function operands(n: number): [Float32Array, Float32Array] {
  const generator = new Generator(n);
  return [randn([n, n], { generator }).data() as Float32Array, randn([n, n], { generator }).data() as Float32Array];
}

async function measure(product: Product, n: number, reference: Float32Array): Promise<Measured> {
  const t0 = performance.now();
  const first = await product();
  const firstMs = performance.now() - t0;
  let maxError = 0;
  for (let i = 0; i < reference.length; i++) maxError = Math.max(maxError, Math.abs(first[i] - reference[i]));
  let best = Infinity;
  let runs = 0;
  const start = performance.now();
  while (runs < 2 || performance.now() - start < MIN_SECONDS * 1000) {
    const t1 = performance.now();
    await product();
    best = Math.min(best, (performance.now() - t1) / 1000);
    runs++;
    if (best > MAX_SECONDS) break;
  }
  return { gflops: (2 * n * n * n) / best / 1e9, firstMs, maxError };
}

const tensorOf = (data: Float32Array, n: number, device: 'cpu' | 'gpu'): Tensor =>
  randn([0]).newTensor(data).reshape([n, n]).to(device);

function cpuEngine(): Engine {
  return {
    name: 'frod-ts cpu device',
    async prepare(a, b, n) {
      const [ta, tb] = [tensorOf(a, n, 'cpu'), tensorOf(b, n, 'cpu')];
      return () => matmul(ta, tb).data() as Float32Array;
    },
  };
}

function gpuEngine(mode: GpuMode): Engine {
  return {
    name: `frod-ts gpu device (${mode})`,
    async prepare(a, b, n) {
      gpu.configure({ mode });
      const [ta, tb] = [tensorOf(a, n, 'gpu'), tensorOf(b, n, 'gpu')];
      return () => matmul(ta, tb).data() as Float32Array;
    },
  };
}

/** A raw gpu.js WebGPU matmul kernel (awaited, read back), when Dawn loads and an adapter answers. */
async function webgpuEngine(): Promise<Engine | string> {
  let webgpu: { create(options: string[]): unknown; globals: object };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (err) {
    return `the webgpu package does not load here (${(err as Error).message.split('\n')[0]})`;
  }
  Object.assign(globalThis, webgpu.globals);
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
  const restore = () => {
    if (previous) Object.defineProperty(globalThis, 'navigator', previous);
    else delete (globalThis as { navigator?: unknown }).navigator;
  };
  if (!(await GPU.isWebGPUAvailable())) {
    restore();
    return 'the webgpu package loads but no adapter answers (no Vulkan/Metal/D3D12 driver?)';
  }
  const instance = new GPU({ mode: 'webgpu' });
  const kernels = new Map<number, IKernelRunShortcut>();
  return {
    name: 'gpu.js webgpu kernel (raw)',
    async dispose() {
      instance.destroy();
      const { WebGPUContext } = (await import('gpu.js')) as unknown as { WebGPUContext?: { destroy(): Promise<void> } };
      await WebGPUContext?.destroy();
      restore();
    },
    async prepare(a, b, n) {
      let kernel = kernels.get(n);
      if (!kernel) {
        kernel = instance.createKernel(`function(a, b) {
          let s = 0.0;
          for (let p = 0; p < ${n}; p++) { s += a[this.thread.y * ${n} + p] * b[p * ${n} + this.thread.x]; }
          return s;
        }`, { output: [n, n] });
        kernels.set(n, kernel);
      }
      const run = kernel;
      return async () => {
        const rows = (await (run(a, b) as unknown as Promise<Float32Array[] | Float32Array>));
        if (rows instanceof Float32Array) return rows;
        const flat = new Float32Array(n * n);
        rows.forEach((row, i) => flat.set(row, i * n));
        return flat;
      };
    },
  };
}

type Tf = typeof import('@tensorflow/tfjs-core');

async function tfjsWasmEngine(): Promise<Engine | string> {
  try {
    const tf: Tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    return {
      name: 'tfjs-backend-wasm',
      async prepare(a, b, n) {
        await tf.setBackend('wasm');
        const [ta, tb] = [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
        return async () => {
          const c = tf.matMul(ta, tb);
          const values = (await c.data()) as Float32Array;
          c.dispose();
          return values;
        };
      },
    };
  } catch (err) {
    return `tfjs-backend-wasm unavailable (${(err as Error).message})`;
  }
}

const fmt = (x: number, width: number, digits = 2): string => x.toFixed(digits).padStart(width);

export async function run(sizes: number[] = DEFAULT_SIZES): Promise<void> {
  console.log('\n## gpu: float32 n×n · n×n matmul with readback, GFLOP/s (best of repeated runs, one process)\n');
  const modes = gpu.availableBackends();
  console.log(`gpu.js backends here: ${modes.join(', ')} (the gpu device picks ${modes[0]} by default)`);
  const engines: Engine[] = [cpuEngine(), ...modes.map(gpuEngine)];
  for (const optional of [await webgpuEngine(), await tfjsWasmEngine()]) {
    if (typeof optional === 'string') console.log(`skipped: ${optional}`);
    else engines.push(optional);
  }
  const results = new Map<string, (Measured | null)[]>(engines.map((e) => [e.name, []]));
  for (const n of sizes) {
    const [a, b] = operands(n);
    const reference = matmul(tensorOf(a, n, 'cpu'), tensorOf(b, n, 'cpu')).data() as Float32Array;
    for (const engine of engines) {
      const row = results.get(engine.name) as (Measured | null)[];
      const previous = row[row.length - 1];
      const tooSlow = previous !== null && previous !== undefined && (2 * n ** 3) / (previous.gflops * 1e9) > MAX_SECONDS;
      row.push(tooSlow ? null : await measure(await engine.prepare(a, b, n), n, reference));
    }
  }
  gpu.configure({ mode: 'gpu' });
  for (const engine of engines) await engine.dispose?.();
  const width = Math.max(...engines.map((e) => e.name.length)) + 2;
  const cell = (m: Measured | null, pick: (m: Measured) => string) => (m ? pick(m) : 'skipped'.padStart(10));
  console.log('\n' + 'engine'.padEnd(width) + sizes.map((n) => String(n).padStart(10)).join('') + '   first call ms / max |error| vs cpu');
  for (const engine of engines) {
    const row = results.get(engine.name) as (Measured | null)[];
    const extra = row.map((m) => (m ? `${m.firstMs.toFixed(0)}/${m.maxError.toExponential(1)}` : '-')).join('  ');
    console.log(engine.name.padEnd(width) + row.map((m) => cell(m, (x) => fmt(x.gflops, 10))).join('') + '   ' + extra);
  }
  for (const base of [engines[0].name, 'tfjs-backend-wasm']) {
    const baseline = results.get(base);
    if (!baseline) continue;
    console.log(`\nratio to ${base} (>1: faster)`);
    for (const engine of engines) {
      if (engine.name === base) continue;
      const row = results.get(engine.name) as (Measured | null)[];
      const ratios = row.map((m, i) => (m && baseline[i] ? fmt(m.gflops / (baseline[i] as Measured).gflops, 9, 3) + '×' : 'skipped'.padStart(10)));
      console.log(engine.name.padEnd(width) + ratios.join(''));
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  run(sizes.length ? sizes : DEFAULT_SIZES).then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
