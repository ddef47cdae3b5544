/**
 * Peak memory and CPU time per phase of eigh's tridiagonal route on one seeded random symmetric matrix:
 * reduction (tridiagonalize), divide and conquer, back-transformation, and the peak resident set size of
 * the process (process.resourceUsage().maxRSS) — run it in a fresh process per size.
 *
 *   npx tsx bench/eighMemory.ts [n = 2048] [whole]
 *
 * With `whole`, one call of `eigh(A, { overwriteA: true })` instead (A's buffer handed over, as the FRoD
 * projection does with T): the peak of the whole route, scratch and result included.
 *
 * CPU time (user + system of this process) rather than wall time, so other load on the machine counts
 * less; gemm may use more than one thread, in which case CPU time exceeds wall time.
 */
import seedrandom from 'seedrandom';
import { tridiagonalize } from '../src/linalg/kernels/tridiagonal';
import { divideAndConquer } from '../src/linalg/kernels/divideConquer';
import { applyTridiagonalQ } from '../src/linalg/kernels/tridiagonalQ';
import { eigh } from '../src/linalg/kernels/eigh';
import { mat } from '../src/linalg/kernels/mat';

const n = Number(process.argv[2] ?? 2048);
const random = seedrandom('eigh-memory');
const a = new Float64Array(n * n);
for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = random() - 0.5;
const before = process.resourceUsage().maxRSS;

function phase<T>(name: string, fn: () => T): T {
  const start = process.cpuUsage(), wall = performance.now();
  const result = fn();
  const cpu = process.cpuUsage(start);
  console.log(`${name.padEnd(20)} cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s   wall ${((performance.now() - wall) / 1e3).toFixed(2)} s`);
  return result;
}

if (process.argv[3] === 'whole') {
  phase('eigh (overwriteA)', () => eigh(mat(n, n, a), { overwriteA: true }));
} else {
  const tri = phase('tridiagonalisation', () => tridiagonalize(a, n));
  const { vectors } = phase('divide and conquer', () => divideAndConquer(tri.d, tri.e));
  phase('back-transformation', () => applyTridiagonalQ(tri, vectors, n));
}
const mib = (kib: number) => (kib / 1024).toFixed(0);
console.log(`n = ${n}: peak RSS ${mib(process.resourceUsage().maxRSS)} MiB (${mib(before)} MiB after building the input; one n×n float64 matrix is ${(8 * n * n / 2 ** 20).toFixed(0)} MiB)`);
