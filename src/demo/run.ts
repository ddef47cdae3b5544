/**
 * `frod demo`: fine-tunes the shipped ViT (pretrained on digits 0–4) on digits 5–9 with a new head, once per
 * method, under the same steps, batch size, batch order and schedule; then prints the table, writes
 * `results.json`, the loss plot and the trained FRoD adapter (PEFT layout), and reloads that adapter into a
 * fresh copy of the base model to check that it predicts exactly what the trained model predicted.
 */
import { PeftModel } from '../peft/peftModel';
import { trainableParametersLine } from '../peft/trainable';
import type { Device } from '../tensor/dtype';
import { createProgress } from '../util/progress';
import { nodeFs, nodePath, writeFileAtomic } from '../util/node';
import { cloneModule } from '../peft/clone';
import { FINETUNE_DIGITS, splitDigits, type DigitSet, type DigitSplit } from './data';
import { evaluate, type Evaluation } from './evaluate';
import { demoMethods, parameterGroups, type MethodId, type MethodSpec, type PreparedMethod } from './methods';
import { loadModel, replaceClassifier, type LoadedModel } from './model';
import { lossCurvesSvg } from './plot';
import { finalLoss, withStepsTo90, type DemoResults, type MethodResult } from './results';
import { formatTable, markdownTable } from './table';
import { adamWWithSchedule, describeSchedule, trainClassifier, type Recipe, type TrainHistory } from './train';

/** Settings of a run; {@link DEMO_PRESETS} gives the defaults. */
export interface DemoSettings {
  steps: number;
  batchSize: number;
  /** Validation accuracy is measured every this many steps. */
  evalEvery: number;
  /** Caps on the validation and test parts (null: all of it). */
  maxValidation: number | null;
  maxTest: number | null;
  weightDecay: number;
  warmupFraction: number;
}

/** The default run and the `--quick` one (for CI: under a minute on 2 cores). */
export const DEMO_PRESETS: Readonly<Record<'default' | 'quick', DemoSettings>> = {
  default: { steps: 150, batchSize: 32, evalEvery: 15, maxValidation: 250, maxTest: null, weightDecay: 0.01, warmupFraction: 0.1 },
  quick: { steps: 60, batchSize: 16, evalEvery: 10, maxValidation: 100, maxTest: 300, weightDecay: 0.01, warmupFraction: 0.1 },
};

export interface DemoOptions {
  /** The base model: path without extension of `<stem>.safetensors` + `<stem>.json`. */
  modelPath: string;
  /** Output directory (created); nothing is written when null. */
  out: string | null;
  seed: number;
  quick?: boolean;
  /** Overrides of the preset. */
  steps?: number;
  batchSize?: number;
  device?: Device;
  /** Run only these methods (default: all five, in the standard order). */
  methods?: readonly MethodId[];
  learningRates?: Partial<Record<MethodId, number>>;
  /** FRoD's S values train at this multiple of the method's learning rate (the paper: 0.1; default 1). */
  sLearningRateScale?: number;
  /** Where the report lines go (default: nowhere). */
  log?: (line: string) => void;
  /** Progress bars (through src/util/progress; the CLI draws them with cli-progress). Default true. */
  progress?: boolean;
  /** How the base model is named in results and the adapter config (default: modelPath). */
  modelName?: string;
}

/** What a run returns: the results document and the evaluations behind it. */
export interface DemoRun {
  results: DemoResults;
  /** Files written (absolute or as given), by role. */
  files: { results: string; plot: string; table: string; adapter: string } | null;
}

/** A fresh copy of the base model with a new, seeded 5-way head. */
export function freshModel(base: LoadedModel, seed: number) {
  const model = cloneModule(base.model);
  replaceClassifier(model, FINETUNE_DIGITS.length, seed);
  return model;
}

/** The evaluation of a run's trained model, kept for the adapter check. */
interface TrainedRun {
  result: MethodResult;
  test: Evaluation;
  spec: MethodSpec;
  peft: PeftModel | null;
}

/** A method's model after training, with its curves. */
export interface TrainedMethod {
  prepared: PreparedMethod;
  history: TrainHistory;
  /** Seconds for preparing the model (e.g. FRoD's decomposition) and training (with the periodic validation). */
  seconds: number;
}

/** Prepares `spec` on a fresh copy of the base model and trains it with the shared recipe. */
export function trainMethod(spec: MethodSpec, base: LoadedModel, data: { train: DigitSet; validation: DigitSet | null }, settings: DemoSettings,
  options: Pick<DemoOptions, 'seed' | 'device' | 'progress' | 'sLearningRateScale'> & { onPrepared?: (prepared: PreparedMethod) => void }): TrainedMethod {
  const device = options.device ?? 'cpu';
  const started = performance.now();
  const prepared = spec.prepare(freshModel(base, options.seed));
  options.onPrepared?.(prepared);
  if (device !== 'cpu') prepared.module.to(device);
  const recipe: Recipe = { learningRate: spec.learningRate, weightDecay: settings.weightDecay, warmupFraction: settings.warmupFraction, steps: settings.steps };
  const groups = parameterGroups(prepared, spec.learningRate, options.sLearningRateScale ?? 1);
  const { optimizer, scheduler } = adamWWithSchedule(groups, recipe);
  const bar = createProgress({ enabled: options.progress !== false }).start(spec.name, settings.steps);
  try {
    const history = trainClassifier({ module: prepared.module, logits: prepared.logits, optimizer, scheduler, parameters: prepared.trainable, maxGradNorm: 1 },
      data.train, {
        steps: settings.steps, batchSize: settings.batchSize, seed: options.seed, device, validation: data.validation, evalEvery: settings.evalEvery,
        onStep: (step, loss) => bar.update(step, `loss ${loss.toFixed(4)}`),
      });
    return { prepared, history, seconds: (performance.now() - started) / 1000 };
  } finally {
    bar.stop();
  }
}

function runMethod(spec: MethodSpec, base: LoadedModel, data: DigitSplit, settings: DemoSettings, options: DemoOptions): TrainedRun {
  const log = options.log ?? (() => undefined);
  const device = options.device ?? 'cpu';
  log(`\n${spec.name}  (learning rate ${spec.learningRate})`);
  const { prepared, history, seconds } = trainMethod(spec, base, data, settings, {
    ...options,
    onPrepared: (p) => log(trainableParametersLine(p.trainableParams, p.totalParams)),
  });
  const test = evaluate(prepared.module, prepared.logits, data.test, { device });
  const result: MethodResult = {
    name: spec.name, id: spec.id,
    trainableParams: prepared.trainableParams, totalParams: prepared.totalParams,
    trainablePercent: (100 * prepared.trainableParams) / prepared.totalParams,
    accuracy: test.accuracy, testLoss: test.loss, finalLoss: finalLoss(history.lossCurve), seconds,
    lossCurve: history.lossCurve, validationCurve: history.validationCurve, stepsTo90: null,
    learningRate: spec.learningRate, details: spec.details,
  };
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}%, final loss ${result.finalLoss.toFixed(4)}, ${seconds.toFixed(1)} s`);
  if (device !== 'cpu') prepared.module.to('cpu');
  return { result, test, spec, peft: prepared.peft };
}

/** Saves the FRoD adapter, reloads it into a fresh base model and compares the test predictions. */
function checkAdapterRoundTrip(run: TrainedRun, base: LoadedModel, data: DigitSplit, dir: string, options: DemoOptions): NonNullable<DemoResults['adapter']> {
  const peft = run.peft as PeftModel;
  peft.savePretrained(dir);
  const device = options.device ?? 'cpu';
  const reloaded = PeftModel.fromPretrained(loadModel(base.files.weights).model, dir);
  if (device !== 'cpu') reloaded.to(device);
  const again = evaluate(reloaded, (pixels) => reloaded.forward(pixels as never) as never, data.test, { device });
  const samePredictions = again.predictions.every((p, i) => p === run.test.predictions[i]);
  return { dir, accuracy: run.test.accuracy, reloadedAccuracy: again.accuracy, samePredictions };
}

/** Runs the demo; see the module comment. */
export function runDemo(options: DemoOptions): DemoRun {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const preset = DEMO_PRESETS[options.quick ? 'quick' : 'default'];
  const settings: DemoSettings = { ...preset, steps: options.steps ?? preset.steps, batchSize: options.batchSize ?? preset.batchSize };
  const data = splitDigits(FINETUNE_DIGITS, { seed: options.seed, maxTest: settings.maxTest ?? undefined, maxValidation: settings.maxValidation ?? undefined });
  const base = loadModel(options.modelPath);
  const modelName = options.modelName ?? options.modelPath;
  const specs = demoMethods(options.learningRates, modelName).filter((m) => !options.methods || options.methods.includes(m.id));
  log(`base model ${modelName}: ViT pretrained on digits 0–4${base.record ? ` (test accuracy ${(100 * base.record.testAccuracy).toFixed(2)}%)` : ''}`);
  log(`task: digits 5–9 as 5 new classes; ${data.train.count} training, ${data.validation.count} validation, ${data.test.count} test images (seed ${options.seed})`);
  log(`every method: ${settings.steps} steps of ${settings.batchSize} images, the same batches, ${describeSchedule({ ...settings, steps: settings.steps })}`);
  const sScale = options.sLearningRateScale ?? 1;
  if (sScale !== 1) log(`FRoD's S values train at ${sScale} × the method's learning rate (λ and the head at 1 ×)`);
  const runs = specs.map((spec) => runMethod(spec, base, data, settings, options));
  const methods = withStepsTo90(runs.map((r) => r.result));
  const fs = options.out === null ? null : nodeFs('frod demo');
  const path = options.out === null ? null : nodePath('frod demo');
  let adapter: DemoResults['adapter'] = null;
  const frodRun = runs.find((r) => r.spec.id === 'frod');
  if (fs && path && options.out !== null && frodRun) {
    fs.mkdirSync(options.out, { recursive: true });
    adapter = checkAdapterRoundTrip(frodRun, base, data, path.join(options.out, 'frod-adapter'), options);
    log(`\nFRoD adapter saved to ${adapter.dir} and reloaded into a fresh base model: test accuracy ${(100 * adapter.reloadedAccuracy).toFixed(2)}% `
      + `(trained ${(100 * adapter.accuracy).toFixed(2)}%), ${adapter.samePredictions ? 'identical predictions' : 'PREDICTIONS DIFFER'}`);
  }
  log(`\n${formatTable(methods)}`);
  const results: DemoResults = {
    format: 1, seed: options.seed, steps: settings.steps, batchSize: settings.batchSize,
    schedule: describeSchedule(settings), sLearningRateScale: sScale, device: options.device ?? 'cpu', quick: options.quick ?? false,
    data: { train: data.train.count, validation: data.validation.count, test: data.test.count, digits: [...FINETUNE_DIGITS] },
    baseModel: { path: modelName, config: base.files.config, pretrainAccuracy: base.record?.testAccuracy ?? null, baseParams: base.model.parameters().reduce((n, p) => n + p.numel(), 0) },
    methods, adapter, totalSeconds: (performance.now() - started) / 1000,
  };
  if (!fs || !path || options.out === null) return { results, files: null };
  const files = {
    results: path.join(options.out, 'results.json'),
    plot: path.join(options.out, 'loss-curves.svg'),
    table: path.join(options.out, 'results.md'),
    adapter: adapter?.dir ?? '',
  };
  writeFileAtomic(files.results, `${JSON.stringify(results, null, 2)}\n`, 'frod demo');
  const title = `Fine-tuning on digits 5–9: ${settings.steps} steps × ${settings.batchSize} images`;
  writeFileAtomic(files.plot, lossCurvesSvg(methods.map((m) => ({ name: m.name, losses: m.lossCurve })), { title }), 'frod demo');
  writeFileAtomic(files.table, `${markdownTable(methods)}\n`, 'frod demo');
  log(`\nwrote ${files.results}, ${files.plot}, ${files.table}`);
  if (adapter && !adapter.samePredictions) throw new Error(`the reloaded FRoD adapter in ${adapter.dir} predicts differently from the trained model`);
  return { results, files };
}
