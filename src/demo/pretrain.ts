/**
 * `frod pretrain`: trains the demo's base model — the small ViT of {@link DEMO_VIT_CONFIG} — from scratch on
 * the digits 0–4, reproducibly from a seed (weights, split and batch order all derive from it), and stores it
 * with its config and a record of the settings.
 */
import { ViTForImageClassification } from '../nn/models/vit';
import type { Device } from '../tensor/dtype';
import { countParameters } from '../peft/trainable';
import { PRETRAIN_DIGITS, splitDigits } from './data';
import { evaluate } from './evaluate';
import { DEMO_VIT_CONFIG, saveModel, type PretrainRecord } from './model';
import { adamWWithSchedule, describeSchedule, trainClassifier, type Recipe } from './train';

export interface PretrainOptions {
  /** Where to write `<out>.safetensors` and `<out>.json`; nothing is written when null. */
  out: string | null;
  seed?: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  device?: Device;
  /** Called after every step (for a progress bar). */
  onStep?: (step: number, loss: number) => void;
  /** The command line recorded in the config. */
  command?: string;
}

/** The settings the shipped model was made with (`frod pretrain` with no options). */
export const PRETRAIN_DEFAULTS = { seed: 0, steps: 400, batchSize: 64, learningRate: 3e-3, weightDecay: 0.05 } as const;

export interface PretrainResult {
  model: ViTForImageClassification;
  record: PretrainRecord;
  files: { weights: string; config: string } | null;
  parameters: number;
}

/** Trains the base model on digits 0–4 and measures it on their held-out test part. */
export function pretrain(options: PretrainOptions): PretrainResult {
  const { seed, steps, batchSize, learningRate, weightDecay } = { ...PRETRAIN_DEFAULTS, ...definedOnly(options) };
  const device = options.device ?? 'cpu';
  const data = splitDigits(PRETRAIN_DIGITS, { seed });
  const model = new ViTForImageClassification({ ...DEMO_VIT_CONFIG, seed });
  if (device !== 'cpu') model.to(device);
  const recipe: Recipe = { learningRate, weightDecay, warmupFraction: 0.1, steps };
  const parameters = model.parameters();
  const { optimizer, scheduler } = adamWWithSchedule(parameters, recipe);
  const logits = (pixels: Parameters<typeof model.forward>[0]) => model.forward(pixels);
  const history = trainClassifier({ module: model, logits, optimizer, scheduler, parameters, maxGradNorm: 1 }, data.train, {
    steps, batchSize, seed, device, onStep: options.onStep,
  });
  const test = evaluate(model, logits, data.test, { device });
  const record: PretrainRecord = {
    command: options.command ?? 'frod pretrain',
    digits: [...PRETRAIN_DIGITS],
    seed, steps, batchSize, learningRate, weightDecay,
    schedule: describeSchedule(recipe),
    trainSamples: data.train.count,
    testSamples: data.test.count,
    testAccuracy: test.accuracy,
    seconds: Math.round(history.seconds * 10) / 10,
  };
  if (device !== 'cpu') model.to('cpu');
  const files = options.out === null ? null : saveModel(model, options.out, PRETRAIN_DIGITS, record);
  return { model, record, files, parameters: countParameters(model)[1] };
}

/** The options that are set (so `undefined` does not override a default). */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
