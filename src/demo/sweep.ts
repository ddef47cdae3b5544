/**
 * How the demo's learning rates were chosen: every method trains once per candidate rate with the default
 * settings, and the rate with the best validation accuracy at the end wins (ties: the lower validation
 * loss). The test set is never looked at. `frod demo --sweep-lr` runs it and prints the grid.
 */
import { FINETUNE_DIGITS, splitDigits } from './data';
import { evaluate } from './evaluate';
import { demoMethods, type MethodId } from './methods';
import { loadModel } from './model';
import { DEMO_PRESETS, trainMethod, type DemoSettings } from './run';

/**
 * The candidate rates per method (full fine-tuning's grid sits lower: it moves every weight). The grids
 * were widened until each method's best rate sat inside its grid, not at an edge.
 */
export const LR_GRID: Readonly<Record<MethodId, readonly number[]>> = {
  'frod': [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1],
  'frod-all-linear': [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1],
  'lora': [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1],
  'full': [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
  'linear-probe': [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1, 3],
};

/** One cell of the grid. */
export interface SweepPoint {
  method: MethodId;
  learningRate: number;
  validationAccuracy: number;
  validationLoss: number;
}

export interface SweepOptions {
  modelPath: string;
  seed: number;
  methods?: readonly MethodId[];
  settings?: DemoSettings;
  log?: (line: string) => void;
  progress?: boolean;
}

/** Runs the grid on the whole validation part; returns every point and the chosen rate per method. */
export function learningRateSweep(options: SweepOptions): { points: SweepPoint[]; chosen: Partial<Record<MethodId, number>> } {
  const log = options.log ?? (() => undefined);
  const settings = options.settings ?? DEMO_PRESETS.default;
  const data = splitDigits(FINETUNE_DIGITS, { seed: options.seed });
  const base = loadModel(options.modelPath);
  const points: SweepPoint[] = [];
  const chosen: Partial<Record<MethodId, number>> = {};
  for (const id of options.methods ?? (Object.keys(LR_GRID) as MethodId[])) {
    let best: SweepPoint | null = null;
    for (const learningRate of LR_GRID[id]) {
      const spec = demoMethods({ [id]: learningRate }).find((m) => m.id === id)!;
      const { prepared } = trainMethod(spec, base, { train: data.train, validation: null }, settings, options);
      const measured = evaluate(prepared.module, prepared.logits, data.validation);
      const point = { method: id, learningRate, validationAccuracy: measured.accuracy, validationLoss: measured.loss };
      points.push(point);
      log(`${spec.name.padEnd(28)} lr ${String(learningRate).padEnd(7)} validation accuracy ${(100 * measured.accuracy).toFixed(2)}%  loss ${measured.loss.toFixed(4)}`);
      const better = best === null || point.validationAccuracy > best.validationAccuracy
        || (point.validationAccuracy === best.validationAccuracy && point.validationLoss < best.validationLoss);
      if (better) best = point;
    }
    chosen[id] = (best as SweepPoint).learningRate;
    log(`  → ${id}: ${chosen[id]}`);
  }
  return { points, chosen };
}
