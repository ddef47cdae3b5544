/**
 * FRoD set-up benchmark: the projection of one BERT-base-shaped category (12 layers of 768×768, the qr-eig
 * path) step by step, then U and λ of its 12 layers — what `getPeftModel` / `frod init` spend per category —
 * against PyTorch 1.13's ~1.0 s for the same math on this machine. Also the sparse pattern at in = 4096
 * (time and memory). Wall time and this process's CPU time are both shown (the CPU time is the fairer number
 * on a loaded machine). `FROD_BENCH_DIM=384 npx tsx bench/frod.ts` runs a smaller size.
 */
import { fileURLToPath } from 'node:url';
import { eigh } from '../src/linalg/kernels/eigh';
import { type Mat, mat } from '../src/linalg/kernels/mat';
import { qr } from '../src/linalg/kernels/qr';
import { decomposeWeight, prepareBasis } from '../src/frod/decompose';
import { gemm, rowBlock } from '../src/frod/gemm';
import { samplePattern, sparseNnz } from '../src/frod/pattern';
import { averagedInverseGram, canonicalizeColumnSigns, stackWeights, tallQr } from '../src/frod/projection';
import { Generator } from '../src/tensor';

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
  const stacked = timed('stack M (9216×768)', timings, () => stackWeights(weights));
  const { Q, R } = timed('QR of M (CholeskyQR2 on the engine matmul)', timings, () => tallQr(stacked));
  const t = timed(`T = mean (QᵢᵀQᵢ + αI)⁻¹ (${layers} Gram + Cholesky inverses)`, timings,
    () => averagedInverseGram(Q, weights.map((w) => w.rows), 1e-3));
  const { eigenvectors } = timed('eigh(T) (Jacobi)', timings, () => eigh(t));
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
  const grown = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
  printTable(`Sparse pattern: nnz ${sparseNnz(n, rate)}`, timings);
  console.log(`pattern arrays: ${(held / 2 ** 20).toFixed(2)} MiB; heap + array buffers grew by ${grown.toFixed(2)} MiB`
    + `${gc ? '' : ' (run node with --expose-gc for a cleaner number)'}; PEFT's candidate table: ${((n * n * 2 * 8) / 2 ** 20).toFixed(0)} MiB`);
}

export async function run(): Promise<void> {
  const n = Number(process.env.FROD_BENCH_DIM ?? 768);
  const layers = 12;
  console.log(`\nFRoD set-up: one category of ${layers} layers of ${n}×${n} (float64 math)`);
  const timings = categoryBenchmark(n, layers);
  const total = timings.reduce((s, t) => ({ step: 'total', wall: s.wall + t.wall, cpu: s.cpu + t.cpu }), { step: 'total', wall: 0, cpu: 0 });
  printTable('Steps', [...timings, total]);
  const slowest = [...timings].sort((a, b) => b.cpu - a.cpu)[0];
  console.log(`PyTorch 1.13: ~${PYTORCH_SECONDS.toFixed(1)} s → ${(total.cpu / PYTORCH_SECONDS).toFixed(1)}× by CPU time, ${(total.wall / PYTORCH_SECONDS).toFixed(1)}× by wall time (target ≤ ${TARGET_FACTOR}×)`);
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
