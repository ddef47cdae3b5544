/**
 * Householder QR at language-model scale (float64 32768 × 2048: the stack of Llama-3.2-1B's q_proj category),
 * frod-ts beside numpy.linalg.qr (LAPACK dgeqrf + dorgqr on OpenBLAS, both cores) in the same run, as a ratio.
 * Part of `npm run bench -- linalg`; FROD_BENCH_QR=ROWSxCOLS picks another size (FROD_BENCH_QR=0 skips it).
 * One run each (minutes on a loaded 2-core machine); wall and CPU seconds, and the load, are printed.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mat } from '../src/linalg/kernels/mat';
import { qr } from '../src/linalg/kernels/qr';
import { Generator, getNumThreads } from '../src/tensor';

/** numpy's reduced QR of a rows×cols standard-normal matrix: wall and CPU seconds, or null without numpy. */
function numpyQr(rows: number, cols: number): { wall: number; cpu: number } | null {
  const script = [
    'import json, sys, time, numpy as np',
    'rows, cols = int(sys.argv[1]), int(sys.argv[2])',
    'np.linalg.qr(np.random.default_rng(1).standard_normal((256, 64)))',
    'a = np.random.default_rng(0).standard_normal((rows, cols))',
    'wall, cpu = time.perf_counter(), time.process_time()',
    'np.linalg.qr(a)',
    'print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))',
  ].join('\n');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the machine's OpenBLAS settings are left out for numpy's command only
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync('python3', ['-c', script, String(rows), String(cols)], { encoding: 'utf8', env, timeout: 1_800_000 });
  if (result.status !== 0) return null;
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as { wall: number; cpu: number };
  } catch {
    return null;
  }
}

/** Times our reduced QR and numpy's on the size FROD_BENCH_QR names (default 32768x2048) and prints the ratio. */
export function runLargeQrBench(): void {
  const size = process.env.FROD_BENCH_QR ?? '32768x2048';
  if (size === '0') return;
  const [rows, cols] = size.split('x').map(Number);
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`\nqr ${rows}×${cols} (float64, reduced Q and R) beside numpy.linalg.qr; one run each; load before: ${load()}`);
  const generator = new Generator(`bench/linalg-qr/${rows}`);
  const a = mat(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = generator.normal();
  qr(mat(256, 64, a.data.slice(0, 256 * 64)), 'reduced'); // warm-up: compile the kernels
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  qr(a, 'reduced');
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  const numpy = numpyQr(rows, cols);
  console.log(`frod-ts (${getNumThreads()} threads): wall ${wall.toFixed(1)} s, cpu ${cpu.toFixed(1)} s`);
  if (numpy) {
    console.log(`numpy:              wall ${numpy.wall.toFixed(1)} s, cpu ${numpy.cpu.toFixed(1)} s`);
    console.log(`frod-ts / numpy = ${(wall / numpy.wall).toFixed(2)}× by wall (target ≤ 2×), ${(cpu / numpy.cpu).toFixed(2)}× by CPU time`);
  } else {
    console.log('(no python3 with numpy: numpy not timed)');
  }
  console.log(`load after: ${load()}`);
}
