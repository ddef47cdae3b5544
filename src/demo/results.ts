/**
 * What a demo run reports: one record per fine-tuning method, the summary numbers derived from the curves
 * (final loss, steps to reach 90% of the best accuracy), and the `results.json` document.
 */

/** Validation accuracy measured at a training step. */
export interface AccuracyPoint {
  step: number;
  accuracy: number;
}

/** One method's run. */
export interface MethodResult {
  /** Display name, e.g. `FRoD (query, value)`. */
  name: string;
  /** Stable identifier, e.g. `frod`, `lora`, `full`, `linear-probe`. */
  id: string;
  trainableParams: number;
  totalParams: number;
  /** 100 · trainable / total. */
  trainablePercent: number;
  /** Test accuracy after the last step, a fraction in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy on the test set after the last step. */
  testLoss: number;
  /** Mean training loss over the last steps (see {@link finalLoss}). */
  finalLoss: number;
  /** Wall-clock seconds of the run (setup, training and the periodic validation). */
  seconds: number;
  /** Training loss of every step, in order. */
  lossCurve: number[];
  /** Validation accuracy every few steps (and after the last). */
  validationCurve: AccuracyPoint[];
  /** First step whose validation accuracy reached 90% of the best validation accuracy of any method; null if never. */
  stepsTo90: number | null;
  learningRate: number;
  /** Anything method-specific (rank, sparse rate, target modules, …). */
  details: Record<string, string | number | boolean | string[]>;
}

/** The whole `results.json`. */
export interface DemoResults {
  /** Version of this document's layout. */
  format: 1;
  seed: number;
  steps: number;
  batchSize: number;
  schedule: string;
  /** FRoD's S values trained at this multiple of each method's learning rate. */
  sLearningRateScale: number;
  device: string;
  quick: boolean;
  data: { train: number; validation: number; test: number; digits: number[] };
  baseModel: { path: string; config: string; pretrainAccuracy: number | null; baseParams: number };
  methods: MethodResult[];
  /** The saved FRoD adapter: where it went and whether the reloaded copy gives the same test accuracy. */
  adapter: { dir: string; accuracy: number; reloadedAccuracy: number; samePredictions: boolean } | null;
  totalSeconds: number;
}

/** Mean of the last `window` values (all of them if fewer); NaN for an empty list. */
export function finalLoss(losses: readonly number[], window = 10): number {
  const tail = losses.slice(-window);
  return tail.length === 0 ? NaN : tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** The first step at which `curve` reaches `threshold`, or null. */
export function firstStepReaching(curve: readonly AccuracyPoint[], threshold: number): number | null {
  const hit = curve.find((p) => p.accuracy >= threshold);
  return hit ? hit.step : null;
}

/**
 * Fills in `stepsTo90` for every method: the threshold is 90% of the best validation accuracy any method
 * reached, so the column compares how fast each method gets to a common bar.
 */
export function withStepsTo90(methods: readonly MethodResult[]): MethodResult[] {
  const best = Math.max(0, ...methods.flatMap((m) => m.validationCurve.map((p) => p.accuracy)));
  return methods.map((m) => ({ ...m, stepsTo90: firstStepReaching(m.validationCurve, 0.9 * best) }));
}
