/**
 * Worker threads of the cpu kernels: a threaded product gives the same bits as the calling thread alone,
 * workers really take part, the thread count is set by setNumThreads / FROD_NUM_THREADS, and threads never
 * keep a process alive. Also the gemm options the linear algebra builds on (accumulate, subtract, lower
 * triangle only, triangular operands), against the naive k-ordered loop.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { getNumThreads, setNumThreads } from '../../src/tensor';
import { type GemmOptions, gemm, itemsRunByWorkers, useWasmMatmul, warmUpThreads } from '../../src/tensor/cpu/matmul';
import { threadsSupported } from '../../src/tensor/cpu/threads';
import { check, randomValues, throwsMatching } from './helpers';

const rowMajor = (data: Float64Array | Float32Array, cols: number) => ({ data, offset: 0, rowStride: cols, colStride: 1 });

/** out = A·B (m×k · k×n) on `threads` threads. */
function product(a: Float64Array | Float32Array, b: Float64Array | Float32Array, m: number, k: number, n: number, threads: number) {
  const float32 = a instanceof Float32Array;
  const out = float32 ? new Float32Array(m * n) : new Float64Array(m * n);
  setNumThreads(threads);
  gemm(rowMajor(a, k), rowMajor(b, n), m, k, n, out, 0, float32 ? 'float32' : 'float64');
  return out;
}

function sameBits(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

const threaded = threadsSupported();

test('threads are supported under Node, and setNumThreads / getNumThreads round-trip', () => {
  assert.ok(threaded, 'Node has SharedArrayBuffer, worker_threads and a blocking main thread');
  const before = getNumThreads();
  setNumThreads(3);
  assert.is(getNumThreads(), 3);
  setNumThreads(before);
  throwsMatching(() => setNumThreads(0), /^setNumThreads: expected a positive integer, got 0$/);
  throwsMatching(() => setNumThreads(1.5), /positive integer, got 1.5/);
});

for (const dtype of ['float32', 'float64'] as const) {
  test(`${dtype} products on 1, 2 and 3 threads are bit-identical, and the workers run items`, () => {
    setNumThreads(3);
    assert.ok(warmUpThreads() >= 1, 'at least one worker starts');
    const [m, k, n] = [301, 517, 290];
    const Alloc = dtype === 'float32' ? Float32Array : Float64Array;
    const a = Alloc.from(randomValues(m * k, 1)), b = Alloc.from(randomValues(k * n, 2));
    const one = product(a, b, m, k, n, 1);
    const before = itemsRunByWorkers();
    for (let attempt = 0; attempt < 20 && itemsRunByWorkers() === before; attempt++) {
      assert.ok(sameBits(product(a, b, m, k, n, 2), one), '2 threads');
      assert.ok(sameBits(product(a, b, m, k, n, 3), one), '3 threads');
    }
    assert.ok(itemsRunByWorkers() > before, 'worker threads took part');
    setNumThreads(2);
  });
}

/** The naive result of an options-driven product, element by element in k order. */
function naive(a: Float64Array, b: Float64Array, c0: Float64Array, m: number, k: number, n: number, o: GemmOptions): Float64Array {
  const out = c0.slice();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (o.lowerOnly && j > i) continue;
      let s = o.accumulate ? c0[i * n + j] : 0;
      for (let t = 0; t < k; t++) s += (o.subtract ? -a[i * k + t] : a[i * k + t]) * b[t * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Zeroes the structural zeros of a triangular (rows×cols) operand in place. */
function triangular(x: Float64Array, rows: number, cols: number, kind: 'lower' | 'upper' | undefined): Float64Array {
  if (!kind) return x;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (kind === 'lower' ? j > i : j < i) x[i * cols + j] = 0;
  return x;
}

const optionCases = fc.record({
  m: fc.integer({ min: 1, max: 90 }),
  k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 600 })),
  n: fc.integer({ min: 1, max: 90 }),
  accumulate: fc.boolean(),
  subtract: fc.boolean(),
  lowerOnly: fc.boolean(),
  aTriangle: fc.constantFrom(undefined, 'lower' as const, 'upper' as const),
  bTriangle: fc.constantFrom(undefined, 'lower' as const, 'upper' as const),
  seed: fc.nat(),
});

for (const wasm of [true, false]) {
  test(`gemm options give the naive loop's values (${wasm ? 'wasm' : 'js'} path): accumulate, subtract, lowerOnly, triangular operands`, () => {
    useWasmMatmul(wasm);
    try {
      check(fc.property(optionCases, ({ m, k, n, seed, ...rest }) => {
        const o: GemmOptions = { ...rest };
        if (o.lowerOnly) n = m;
        const a = triangular(Float64Array.from(randomValues(m * k, seed)), m, k, o.aTriangle);
        const b = triangular(Float64Array.from(randomValues(k * n, seed + 1)), k, n, o.bTriangle);
        const c0 = Float64Array.from(randomValues(m * n, seed + 2));
        const out = c0.slice();
        gemm(rowMajor(a, k), rowMajor(b, n), m, k, n, out, 0, 'float64', o);
        const expected = naive(a, b, c0, m, k, n, o);
        // Skipped blocks only leave out additions of exact zeros: values agree (=== also takes −0 for +0).
        for (let i = 0; i < out.length; i++) assert.ok(out[i] === expected[i], `entry ${i}: ${out[i]} vs ${expected[i]}`);
      }), 30);
    } finally {
      useWasmMatmul(true);
    }
  });
}

test('a strided output (ldc) leaves the entries between rows alone', () => {
  const [m, k, n, ldc] = [5, 7, 3, 6];
  const a = Float64Array.from(randomValues(m * k, 1)), b = Float64Array.from(randomValues(k * n, 2));
  const out = new Float64Array(m * ldc).fill(42);
  gemm(rowMajor(a, k), rowMajor(b, n), m, k, n, out, 0, 'float64', { ldc });
  const plain = new Float64Array(m * n);
  gemm(rowMajor(a, k), rowMajor(b, n), m, k, n, plain, 0, 'float64');
  for (let i = 0; i < m; i++) {
    assert.equal([...out.subarray(i * ldc, i * ldc + n)], [...plain.subarray(i * n, (i + 1) * n)]);
    assert.equal([...out.subarray(i * ldc + n, (i + 1) * ldc)], [42, 42, 42]);
  }
});

/** Runs a script in a fresh Node process (through tsx) and returns its status, output and time. */
function runNode(code: string, env: Record<string, string> = {}) {
  const t0 = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8', env: { ...process.env, ...env }, cwd: process.cwd(), timeout: 60_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}`.trim(), ms: Date.now() - t0 };
}

const src = new URL('../../src/tensor/cpu/matmul.ts', import.meta.url).href;
const root = new URL('../../src/tensor/index.ts', import.meta.url).href;

test('a process that used threads exits on its own (workers are unref\'d)', () => {
  const code = `import { gemm, warmUpThreads, itemsRunByWorkers } from '${src}';
    import { setNumThreads } from '${root}';
    setNumThreads(2); warmUpThreads();
    const n = 400, a = new Float64Array(n * n).fill(1), c = new Float64Array(n * n);
    for (let r = 0; r < 5; r++) gemm({ data: a, offset: 0, rowStride: n, colStride: 1 }, { data: a, offset: 0, rowStride: n, colStride: 1 }, n, n, n, c, 0, 'float64');
    process.stdout.write(c[0] + ' ' + (itemsRunByWorkers() > 0));`;
  const run = runNode(code);
  assert.is(run.status, 0, run.out);
  assert.match(run.out, /^400 (true|false)$/);
});

test('FROD_NUM_THREADS sets the default thread count; a bad value is a one-line error', () => {
  const code = `import { getNumThreads } from '${root}'; process.stdout.write(String(getNumThreads()));`;
  assert.is(runNode(code, { FROD_NUM_THREADS: '3' }).out, '3');
  const bad = runNode(code, { FROD_NUM_THREADS: 'many' });
  assert.match(bad.out, /FROD_NUM_THREADS must be a positive integer, got 'many'/);
});


test('without SharedArrayBuffer (a page that is not cross-origin isolated) the engine loads and multiplies on one thread, same bits', () => {
  // A dynamic import, so that the engine loads after the deletion (static imports would run first).
  const code = `const { gemm } = await import('${src}');
    const n = 70, a = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), c = new Float64Array(n * n);
    gemm({ data: a, offset: 0, rowStride: n, colStride: 1 }, { data: a, offset: 0, rowStride: n, colStride: 1 }, n, n, n, c, 0, 'float64');
    process.stdout.write(Array.from(c.subarray(0, 5)).join(' '));`;
  const withShared = runNode(code);
  const without = runNode(`delete globalThis.SharedArrayBuffer; ${code}`);
  assert.is(without.status, 0, without.out);
  assert.is(without.out, withShared.out);
});

test.run();
