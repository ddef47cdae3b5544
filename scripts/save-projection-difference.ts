/**
 * How far an adapter saved with `save_projection: false` moves when another implementation regenerates it.
 * Without V and the pattern in the file, the loader recomputes both: a different RNG draws a different
 * pattern (PEFT uses torch.randperm, frod-ts its own seeded sampler), and a different eigensolver may return
 * V's columns with other signs (LAPACK's choice vs our canonical one). λ and the trained S values are then
 * applied in the wrong places. This script measures the relative change of the adapter's update
 * ΔW = W' − W and of the layer outputs for BERT-base-sized query layers (768, 12 layers) with S values of
 * a typical trained size. docs/frod-math.md §10 quotes its output.
 *
 *   npx tsx scripts/save-projection-difference.ts
 */
import { mat, matmul, transpose, type Mat } from '../src/linalg/kernels/mat';
import { decomposeWeight, adaptedWeight, prepareBasis } from '../src/frod/decompose';
import { samplePattern } from '../src/frod/pattern';
import { categoryProjection } from '../src/frod/projection';
import { Generator } from '../src/tensor';

const n = Number(process.env.FROD_N ?? 768);
const layers = Number(process.env.FROD_LAYERS ?? 12);
const sparseRate = 0.01;
const g = new Generator(0);
const random = (rows: number, cols: number, scale: number): Mat => {
  const m = mat(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = scale * g.normal();
  return m;
};
const frob = (a: Float64Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const minus = (a: Mat, b: Mat) => a.data.map((x, i) => x - b.data[i]);

const weights = Array.from({ length: layers }, () => random(n, n, 1 / Math.sqrt(n)));
const { v } = categoryProjection(weights, 1e-3);
const ours = samplePattern(n, sparseRate, 0, 'query');
const theirs = samplePattern(n, sparseRate, 1, 'query'); // stands for another RNG's draw with the same key
const flipped = mat(n, n);
const signs = Array.from({ length: n }, () => (g.random() < 0.5 ? -1 : 1));
for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flipped.data[i * n + j] = v.data[i * n + j] * signs[j];

interface Case { label: string; v: Mat; pattern: typeof ours }
const cases: Case[] = [
  { label: 'another pattern (RNG)', v, pattern: theirs },
  { label: "other signs of V's columns (eigensolver)", v: flipped, pattern: ours },
  { label: 'both', v: flipped, pattern: theirs },
];
const worst = cases.map(() => ({ update: 0, output: 0 }));
for (const w of weights) {
  const a = decomposeWeight(prepareBasis(v), w);
  const lambda = a.lambda.map((x) => x * (1 + 0.05 * g.normal())); // trained λ: a few % from the start
  const sValues = Array.from({ length: ours.nnz }, () => 0.05 * g.normal()); // trained S
  const saved = adaptedWeight(a.u, v, lambda, ours, sValues);
  const x = random(64, n, 1);
  const ySaved = matmul(x, transpose(saved));
  cases.forEach((c, k) => {
    const b = decomposeWeight(prepareBasis(c.v), w);
    const regenerated = adaptedWeight(b.u, c.v, lambda, c.pattern, sValues);
    const yRegen = matmul(x, transpose(regenerated));
    worst[k].update = Math.max(worst[k].update, frob(minus(saved, regenerated)) / frob(minus(saved, w)));
    worst[k].output = Math.max(worst[k].output, frob(minus(ySaved, yRegen)) / frob(ySaved.data));
  });
}
console.log(`n = ${n}, ${layers} layers, sparse_rate ${sparseRate}, trained λ ±5%, S values ~0.05 (worst layer):`);
console.log('| regenerated with | update ‖ΔW′ − ΔW′_regen‖ / ‖ΔW′‖ | outputs ‖y − y_regen‖ / ‖y‖ |');
console.log('|---|---|---|');
cases.forEach((c, k) => console.log(`| ${c.label} | ${(100 * worst[k].update).toFixed(0)}% | ${(100 * worst[k].output).toFixed(1)}% |`));
