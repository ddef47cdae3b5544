/**
 * One FRoD category set-up in its own process, for bench/frod.ts: L random (out, n) layers held as `frod init`
 * holds them (one float64 stack, each layer a view of it), then the projection V (src/frod/projection.ts),
 * V rounded to float32, V⁻¹ and λ of every layer (V⁻¹Wᵀ, row norms) — the same math as bench/frod-numpy.py.
 * As `frod init`, the projection may overwrite the stack with Q and each layer is produced again for U and λ
 * (that time is left out). Prints one JSON line: wall and CPU seconds of the set-up, the process's peak RSS
 * (VmHWM) and its RSS with the weights alone, in MiB. usage: frod-category.ts n layers [out = n]
 */
import * as fs from 'node:fs';
import { decomposeWeight, prepareBasis } from '../src/frod/decompose';
import { categoryProjection } from '../src/frod/projection';
import type { Mat } from '../src/linalg/kernels/mat';
import { Generator, getNumThreads } from '../src/tensor';
import { warmUpThreads } from '../src/tensor/cpu/matmul';
import { warmUpTridiagonalThreads } from '../src/linalg/kernels/tridiagonalKernels';

function statusMiB(field: 'VmHWM' | 'VmRSS'): number {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`)) ?? '';
  return Number(line.replace(/\D+/g, '')) / 1024;
}

/** Layer i (in_features n): N(0, 1/n) entries, float32-rounded, written into `data` (the same values every time). */
function fillLayer(data: Float64Array, n: number, i: number): void {
  const generator = new Generator(`bench/frod-category/${n}/${i}`);
  for (let k = 0; k < data.length; k++) data[k] = Math.fround(generator.normal() / Math.sqrt(n));
}

/** L layers of (out, n) as views of one float64 stack, as `frod init` reads a category. */
function weights(n: number, layers: number, out = n): Mat[] {
  const size = out * n;
  const stack = new Float64Array(layers * size);
  return Array.from({ length: layers }, (_, i) => {
    const data = stack.subarray(i * size, (i + 1) * size);
    fillLayer(data, n, i);
    return { rows: out, cols: n, data };
  });
}

/**
 * The set-up as `frod init` runs it: the projection may overwrite the stack (it becomes Q), then each layer is
 * produced again for U and λ (init reads it again from the file). Returns the seconds spent producing layers,
 * which the caller leaves out of the timing (numpy's script holds its weights).
 */
function setUp(ws: Mat[]): number {
  const n = ws[0].cols, out = ws[0].rows, layers = ws.length;
  const { v } = categoryProjection(ws, 1e-3, { overwriteWeights: true });
  ws.length = 0;
  const basis = prepareBasis({ rows: v.rows, cols: v.cols, data: v.data.map(Math.fround) });
  let producing = 0;
  for (let i = 0; i < layers; i++) {
    const t0 = performance.now();
    const w = { rows: out, cols: n, data: new Float64Array(out * n) };
    fillLayer(w.data, n, i);
    producing += (performance.now() - t0) / 1000;
    decomposeWeight(basis, w);
  }
  return producing;
}

const [n, layers, out = n] = process.argv.slice(2).map(Number);
warmUpThreads();
warmUpTridiagonalThreads();
setUp(weights(64, 2)); // compile the kernels first, as numpy's run is warmed up too
const ws = weights(n, layers, out);
const rssWeights = statusMiB('VmRSS');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const producing = setUp(ws);
const wall = (performance.now() - t0) / 1000 - producing;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1e6 - producing, peakMiB: statusMiB('VmHWM'), weightsMiB: rssWeights, threads: getNumThreads() }));
