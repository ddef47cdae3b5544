/**
 * FRoD set-up benchmark: the projection of one BERT-base-shaped category (12 layers of 768×768, the qr-eig
 * path) step by step, then U and λ of its 12 layers — what `getPeftModel` / `frod init` spend per category —
 * against PyTorch 1.13's ~1.0 s for the same math on this machine. Also the sparse pattern at in = 4096
 * (time and memory). Wall time and this process's CPU time are both shown (the CPU time is the fairer number
 * on a loaded machine), and bench/frod-torch.py — the same math in PyTorch — is timed in the same run when a
 * python3 with torch is installed. `FROD_BENCH_DIM=384 npx tsx bench/frod.ts` runs a smaller size;
 * `node --expose-gc --import tsx bench/frod.ts` also measures the pattern's heap growth.
 *
 * First, the language-model table: one category's whole set-up for BERT-base query (12 × 768²) and
 * Llama-3.2-1B q_proj (16 × 2048²) in child processes (bench/frod-category.ts; frod-ts on all threads and on
 * one, for the BERT shape) beside numpy (bench/frod-numpy.py), with wall, CPU and peak RSS. The Llama shape takes minutes;
 * FROD_BENCH_CATEGORIES=bert runs BERT only, =0 skips the table, =down_proj runs Llama-3.2-1B's down_proj
 * category alone (16 × 2048 × 8192: an 8192² eigenproblem; about half an hour, numpy's peak ~13 GB), =all all three.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { eigh } from '../src/linalg/kernels/eigh';
import { type Mat, mat } from '../src/linalg/kernels/mat';
import { qr } from '../src/linalg/kernels/qr';
import { decomposeWeight, prepareBasis } from '../src/frod/decompose';
import { gemm, rowBlock } from '../src/frod/gemm';
import { samplePattern, sparseNnz } from '../src/frod/pattern';
import { averagedInverseGram, canonicalizeColumnSigns, stackWeights, tallQr } from '../src/frod/projection';
import { Generator, getNumThreads } from '../src/tensor';

/** PyTorch 1.13's time for this set-up as the issue measured it (used when torch cannot run here). */
const PYTORCH_SECONDS = 1.0;
const TARGET_FACTOR = 20;

interface Timing { step: string; wall: number; cpu: number }

/** Runs fn once, returning its result and its wall / CPU seconds. */
function timed<T>(step: string, timings: Timing[], fn: () => T): T {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const cpu = process.cpuUsage(cpu0);
  timings.push({ step, wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 });
  return out;
}

/** L random (n, n) weights, N(0, 1/n) like a trained transformer's scale, float32-rounded. */
function bertLikeWeights(n: number, layers: number): Mat[] {
  const generator = new Generator('bench/frod');
  return Array.from({ length: layers }, () => {
    const w = mat(n, n);
    for (let i = 0; i < w.data.length; i++) w.data[i] = Math.fround(generator.normal() / Math.sqrt(n));
    return w;
  });
}

function printTable(title: string, timings: Timing[]): void {
  console.log(`\n${title}`);
  console.log(`${'step'.padEnd(44)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)}`);
  for (const t of timings) console.log(`${t.step.padEnd(44)} ${t.wall.toFixed(2).padStart(8)} ${t.cpu.toFixed(2).padStart(8)}`);
}

/** The projection and U / λ of one category, step by step. */
function categoryBenchmark(n: number, layers: number): Timing[] {
  const timings: Timing[] = [];
  const weights = bertLikeWeights(n, layers);
  const stacked = timed(`stack M (${n * layers}×${n})`, timings, () => stackWeights(weights));
  const { Q, R } = timed('QR of M (CholeskyQR2 on the engine matmul)', timings, () => tallQr(stacked));
  const t = timed(`T = mean (QᵢᵀQᵢ + αI)⁻¹ (${layers} Gram + Cholesky inverses)`, timings,
    () => averagedInverseGram(Q, weights.map((w) => w.rows), 1e-3));
  const { eigenvectors } = timed('eigh(T) (tridiagonal route above n = 128)', timings, () => eigh(t));
  const v = timed('V = RᵀE, canonical signs', timings, () => canonicalizeColumnSigns(gemm(R, eigenvectors, true, false)));
  const basis = timed('V⁻¹ (LU inverse, once per category)', timings, () => prepareBasis(v));
  timed(`U, λ of ${layers} layers (V⁻¹Wᵀ, column norms)`, timings, () => {
    for (let i = 0; i < layers; i++) decomposeWeight(basis, rowBlock(stacked, i * n, (i + 1) * n));
  });
  return timings;
}

/** Householder QR alone, for comparison with the CholeskyQR2 used above. */
function householderComparison(n: number, layers: number): Timing {
  const timings: Timing[] = [];
  const stacked = stackWeights(bertLikeWeights(n, layers));
  timed('QR of M (blocked Householder, for comparison)', timings, () => qr(stacked, 'reduced'));
  return timings[0];
}

/** The pattern at in = 4096, rate 0.01: time, and bytes held (PEFT's in²×2 int64 table would be ~270 MB). */
function patternBenchmark(): void {
  const n = 4096, rate = 0.01;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const timings: Timing[] = [];
  const pattern = timed('sample pattern (in 4096, rate 0.01)', timings, () => samplePattern(n, rate, 0, 'self_query'));
  const after = process.memoryUsage();
  const held = pattern.rows.byteLength + pattern.cols.byteLength;
  const slots = n * (n - 1);
  // The sampler's set of picks: a bitset over the slots when nnz ≥ slots/128, else a hash table of 2·nnz doubles.
  const setBytes = pattern.nnz * 128 >= slots ? Math.ceil(slots / 32) * 4 : 16 * pattern.nnz;
  printTable(`Sparse pattern: nnz ${sparseNnz(n, rate)}`, timings);
  const measured = gc ? `; heap + array buffers grew by ${((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20).toFixed(2)} MiB` : '';
  console.log(`peak memory: pattern ${(held / 2 ** 20).toFixed(2)} MiB + sampler set ${(setBytes / 2 ** 20).toFixed(2)} MiB${measured}; `
    + `PEFT's in²×2 int64 candidate table: ${((n * n * 2 * 8) / 2 ** 20).toFixed(0)} MiB`);
}

/** Times bench/frod-torch.py (the same math in PyTorch) in this run, when a python3 with torch is around. */
function pytorchTiming(n: number, layers: number): { wall: number; cpu: number; threads: number; torch: string } | null {
  const script = fileURLToPath(new URL('./frod-torch.py', import.meta.url));
  for (const python of [process.env.FROD_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    const result = spawnSync(python, [script, String(n), String(layers)], { encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) continue;
    try {
      return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as { wall: number; cpu: number; threads: number; torch: string };
    } catch {
      return null;
    }
  }
  return null;
}

/** A category shape of the language-model table: L layers of out × n (out = n when not given). */
interface CategoryShape { label: string; n: number; layers: number; out?: number }

const BERT: CategoryShape = { label: 'BERT-base query (12 × 768²)', n: 768, layers: 12 };
const CATEGORIES: CategoryShape[] = [BERT, { label: 'Llama-3.2-1B q_proj (16 × 2048²)', n: 2048, layers: 16 }];
const DOWN_PROJ: CategoryShape = { label: 'Llama-3.2-1B down_proj (16 × 2048 × 8192)', n: 8192, layers: 16, out: 2048 };

/** The shapes FROD_BENCH_CATEGORIES asks for (see the file comment). */
function categoryShapes(): CategoryShape[] {
  switch (process.env.FROD_BENCH_CATEGORIES) {
    case 'bert': return [BERT];
    case 'down_proj': return [DOWN_PROJ];
    case 'all': return [...CATEGORIES, DOWN_PROJ];
    default: return CATEGORIES;
  }
}

/** What one child process reports (bench/frod-category.ts, bench/frod-numpy.py). */
interface CategoryRun { wall: number; cpu: number; peakMiB: number; weightsMiB: number }

/** Runs a child that prints one JSON line; null when it fails. */
function child(command: string, args: readonly string[], env: NodeJS.ProcessEnv): CategoryRun | null {
  const result = spawnSync(command, args, { encoding: 'utf8', env, timeout: 3_600_000, maxBuffer: 1 << 24 });
  if (result.status !== 0) return null;
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as CategoryRun;
  } catch {
    return null;
  }
}

function loadAverage(): string {
  return loadavg().map((x) => x.toFixed(1)).join(' ');
}

/**
 * One category's whole set-up (projection, V⁻¹, λ of every layer) per shape, each run in its own process so
 * that its peak RSS is its own: frod-ts on all threads and on one, and numpy (float64, OpenBLAS on every core)
 * in the same run, as ratios. The memory target is the issue's: peak ≤ 2.5× the category's float64 stack.
 * The target for down_proj is ≤ 2.5× numpy (≤ 2× for the others).
 */
function categoryTable(): void {
  const shapes = categoryShapes();
  const ours = fileURLToPath(new URL('./frod-category.ts', import.meta.url));
  const numpyScript = fileURLToPath(new URL('./frod-numpy.py', import.meta.url));
  const numpyEnv = { ...process.env };
  delete numpyEnv.OPENBLAS_CORETYPE; // the machine's OpenBLAS settings are left out for numpy's command only
  delete numpyEnv.OPENBLAS_L2_SIZE;
  console.log(`\nFRoD set-up of one category (projection, V⁻¹, λ of every layer), each in its own process; load before: ${loadAverage()}`);
  console.log(`${'category'.padEnd(34)} ${'run'.padEnd(22)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)} ${'peak MiB'.padStart(9)} ${'÷ stack'.padStart(8)}`);
  for (const shape of shapes) {
    const out = shape.out ?? shape.n;
    const stackMiB = (shape.layers * out * shape.n * 8) / 2 ** 20;
    const args = [String(shape.n), String(shape.layers), String(out)];
    // One thread as well on the BERT shape (the larger ones would take as long again).
    const oneThread = shape === BERT
      ? child(process.execPath, ['--import', 'tsx', ours, ...args], { ...process.env, FROD_NUM_THREADS: '1' })
      : null;
    const runs: [string, CategoryRun | null][] = [
      [`frod-ts, ${getNumThreads()} threads`, child(process.execPath, ['--import', 'tsx', ours, ...args], process.env)],
      ['frod-ts, 1 thread', oneThread],
      ['numpy (OpenBLAS)', child('python3', [numpyScript, ...args], numpyEnv)],
      // On a shared machine OpenBLAS's spinning threads suffer most from the contention: one thread for reference.
      ['numpy, 1 thread', shape === BERT ? child('python3', [numpyScript, ...args], { ...numpyEnv, OPENBLAS_NUM_THREADS: '1' }) : null],
    ];
    for (const [name, r] of runs) {
      const cells = r
        ? `${r.wall.toFixed(1).padStart(8)} ${r.cpu.toFixed(1).padStart(8)} ${r.peakMiB.toFixed(0).padStart(9)} ${(r.peakMiB / stackMiB).toFixed(2).padStart(8)}`
        : '  (not run, failed, or not available)';
      console.log(`${shape.label.padEnd(34)} ${name.padEnd(22)} ${cells}`);
    }
    const [multi, single, numpy, numpySingle] = runs.map(([, r]) => r);
    const parts: string[] = [];
    const target = shape === DOWN_PROJ ? 2.5 : 2;
    if (multi && numpy) parts.push(`frod-ts / numpy = ${(multi.wall / numpy.wall).toFixed(2)}× by wall (target ≤ ${target}×)`);
    if (single && numpySingle) parts.push(`one thread each: ${(single.wall / numpySingle.wall).toFixed(2)}×`);
    if (multi && single) parts.push(`${getNumThreads()}-thread speed-up ${(single.wall / multi.wall).toFixed(2)}×`);
    if (multi) parts.push(`peak ${(multi.peakMiB / stackMiB).toFixed(2)}× the ${stackMiB.toFixed(0)} MiB stack (target ≤ 2.5×)`);
    console.log(`  ${parts.join('; ')}`);
  }
  console.log(`load after: ${loadAverage()}`);
}

export async function run(): Promise<void> {
  if (process.env.FROD_BENCH_CATEGORIES !== '0') categoryTable();
  const n = Number(process.env.FROD_BENCH_DIM ?? 768);
  const layers = 12;
  console.log(`\nFRoD set-up: one category of ${layers} layers of ${n}×${n} (float64 math)`);
  categoryBenchmark(Math.min(n, 64), 2); // warm-up: compile the kernels first, as PyTorch's run is warmed up too
  const timings = categoryBenchmark(n, layers);
  const total = timings.reduce((s, t) => ({ step: 'total', wall: s.wall + t.wall, cpu: s.cpu + t.cpu }), { step: 'total', wall: 0, cpu: 0 });
  printTable('Steps', [...timings, total]);
  const slowest = [...timings].sort((a, b) => b.cpu - a.cpu)[0];
  console.log(`PyTorch 1.13 as measured for the issue: ~${PYTORCH_SECONDS.toFixed(1)} s → ours is ${(total.cpu / PYTORCH_SECONDS).toFixed(1)}× by CPU time, ${(total.wall / PYTORCH_SECONDS).toFixed(1)}× by wall time (target ≤ ${TARGET_FACTOR}×)`);
  const torch = process.env.FROD_BENCH_TORCH === '0' ? null : pytorchTiming(n, layers);
  if (torch) {
    console.log(`PyTorch ${torch.torch} in this run (${torch.threads} thread${torch.threads === 1 ? '' : 's'}): wall ${torch.wall.toFixed(2)} s, cpu ${torch.cpu.toFixed(2)} s`
      + ` → ours / PyTorch = ${(total.wall / torch.wall).toFixed(2)} by wall, ${(total.cpu / torch.cpu).toFixed(2)} by CPU time`);
  } else {
    console.log('(no python3 with torch here: bench/frod-torch.py not timed; FROD_BENCH_PYTHON names another interpreter)');
  }
  console.log(`dominant step: ${slowest.step} (${((100 * slowest.cpu) / total.cpu).toFixed(0)}% of CPU time)`);
  if (process.env.FROD_BENCH_HOUSEHOLDER === '1') printTable('Comparison', [householderComparison(n, layers)]);
  patternBenchmark();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
