/**
 * Does training S at a tenth of λ's rate (the paper's recipes) change the demo's ranking? Runs the demo's two
 * FRoD methods with `--s-lr-scale 0.1` on seeds 0–4 (everything else as `frod demo`) and prints test accuracy
 * per seed and the mean, to set beside docs/demo.md's five-seed table (run at scale 1).
 *
 *   npx tsx scripts/s-lr-scale.ts [scale] [seeds]     (defaults 0.1 and 0,1,2,3,4)
 */
import { runDemo } from '../src/demo/run';

const scale = Number(process.argv[2] ?? 0.1);
const seeds = (process.argv[3] ?? '0,1,2,3,4').split(',').map(Number);
const accuracy = new Map<string, number[]>();
for (const seed of seeds) {
  const { results } = runDemo({ modelPath: 'models/vit-mnist-0to4', out: null, seed, methods: ['frod', 'frod-all-linear'], sLearningRateScale: scale, progress: false });
  for (const m of results.methods) {
    accuracy.set(m.name, [...(accuracy.get(m.name) ?? []), m.accuracy]);
    console.log(`seed ${seed}  ${m.name.padEnd(22)} ${(100 * m.accuracy).toFixed(2)}%`);
  }
}
for (const [name, values] of accuracy) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  console.log(`S at ${scale} × λ's rate  ${name.padEnd(22)} ${(100 * mean).toFixed(2)} ± ${(100 * sd).toFixed(2)}%  (${values.map((v) => (100 * v).toFixed(2)).join(', ')})`);
}
