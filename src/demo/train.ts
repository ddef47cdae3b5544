/**
 * The training loop every method shares: same batches (a seeded sampler), same number of steps, the
 * method's optimizer and schedule, the training loss of every step, and validation accuracy every few steps.
 */
import { crossEntropy } from '../nn/functional/loss';
import type { Module } from '../nn/module';
import { AdamW, clipGradNorm, getCosineScheduleWithWarmup, type AdamOptions, type ParamGroup } from '../nn/optim';
import type { Tensor } from '../tensor/tensor';
import type { Device } from '../tensor/dtype';
import { BatchSampler, makeBatch } from './batches';
import type { DigitSet } from './data';
import { evaluate, type LogitsFn } from './evaluate';
import type { AccuracyPoint } from './results';

/** The optimizer calls the loop makes (torch.optim's). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
}

/** A learning-rate schedule stepped once per optimizer step. */
export interface SchedulerLike {
  step(): void;
}

/** What is trained: the module (for train/eval mode), its logits and the optimizer over its trainable tensors. */
export interface TrainSetup {
  module: Module;
  logits: LogitsFn;
  optimizer: OptimizerLike;
  scheduler?: SchedulerLike | null;
  /** The trained tensors, for gradient clipping. */
  parameters?: readonly Tensor[];
  /** Clip the gradients' global 2-norm to this before each step (as transformers' Trainer, 1.0); none when absent. */
  maxGradNorm?: number;
}

/** The optimisation recipe every method shares; only the learning rate differs between methods. */
export interface Recipe {
  learningRate: number;
  weightDecay: number;
  /** Fraction of the steps spent warming the learning rate up linearly from 0. */
  warmupFraction: number;
  steps: number;
}

/** A one-line description of the schedule for reports. */
export function describeSchedule(recipe: Omit<Recipe, 'learningRate'>): string {
  return `AdamW (betas 0.9/0.999, weight decay ${recipe.weightDecay}), linear warm-up over ${Math.round(100 * recipe.warmupFraction)}% of the steps then cosine decay to 0, gradient norm clipped at 1`;
}

/**
 * AdamW over `parameters` (tensors, or parameter groups with their own `lr`) with linear warm-up and cosine
 * decay (transformers' get_cosine_schedule_with_warmup), which scales every group's rate alike.
 */
export function adamWWithSchedule(parameters: readonly Tensor[] | readonly ParamGroup<AdamOptions>[], recipe: Recipe): { optimizer: AdamW; scheduler: SchedulerLike } {
  const optimizer = new AdamW([...parameters] as Tensor[] | ParamGroup<AdamOptions>[], { lr: recipe.learningRate, weightDecay: recipe.weightDecay });
  const warmup = Math.round(recipe.warmupFraction * recipe.steps);
  return { optimizer, scheduler: getCosineScheduleWithWarmup(optimizer, warmup, recipe.steps) };
}

export interface TrainOptions {
  steps: number;
  batchSize: number;
  /** Seed of the batch order (the same for every method, so all see the same batches). */
  seed: number;
  device?: Device;
  /** Validation set measured every `evalEvery` steps and after the last; none when null. */
  validation?: DigitSet | null;
  evalEvery?: number;
  /** Called after every step with the step number (1-based) and its loss. */
  onStep?: (step: number, loss: number) => void;
  /** Called after every validation with its accuracy. */
  onValidation?: (point: AccuracyPoint) => void;
}

/** The curves of one run. */
export interface TrainHistory {
  lossCurve: number[];
  validationCurve: AccuracyPoint[];
  seconds: number;
}

/** Trains with cross-entropy for `options.steps` steps and returns the loss and validation curves. */
export function trainClassifier(setup: TrainSetup, train: DigitSet, options: TrainOptions): TrainHistory {
  const { steps, batchSize, seed, device = 'cpu', validation = null, evalEvery = Math.max(1, Math.round(steps / 10)) } = options;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`trainClassifier: steps must be a positive integer, got ${steps}`);
  const started = performance.now();
  const sampler = new BatchSampler(train.count, batchSize, seed);
  const lossCurve: number[] = [];
  const validationCurve: AccuracyPoint[] = [];
  setup.module.train();
  for (let step = 1; step <= steps; step++) {
    const batch = makeBatch(train, sampler.next(), device);
    setup.optimizer.zeroGrad();
    const loss = crossEntropy(setup.logits(batch.pixels), batch.labels);
    const value = loss.item();
    if (!Number.isFinite(value)) throw new Error(`trainClassifier: the loss became ${value} at step ${step}; lower the learning rate`);
    loss.backward();
    if (setup.maxGradNorm !== undefined && setup.parameters) clipGradNorm(setup.parameters, setup.maxGradNorm);
    setup.optimizer.step();
    setup.scheduler?.step();
    lossCurve.push(value);
    options.onStep?.(step, value);
    if (validation && (step % evalEvery === 0 || step === steps)) {
      const point = { step, accuracy: evaluate(setup.module, setup.logits, validation, { device }).accuracy };
      validationCurve.push(point);
      options.onValidation?.(point);
    }
  }
  setup.module.eval();
  return { lossCurve, validationCurve, seconds: (performance.now() - started) / 1000 };
}
