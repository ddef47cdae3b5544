/**
 * Learning-rate schedules, as torch.optim.lr_scheduler.LambdaLR, and Hugging Face transformers' warm-up
 * schedules built on it (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup,
 * get_constant_schedule_with_warmup).
 */
import type { Optimizer } from './optimizer';

type LrGroup = { lr: number; initialLr?: number };

export interface LRSchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
}

/**
 * Sets each group's lr to initialLr · lrLambda(lastEpoch). Construction performs the first step
 * (lastEpoch −1 → 0), so the optimizer starts at lrLambda(0); call step() after each optimizer.step().
 */
export class LambdaLR {
  readonly baseLrs: number[];
  lastEpoch: number;
  private readonly lambdas: ((step: number) => number)[];
  private lastLr: number[] = [];

  constructor(
    readonly optimizer: Optimizer<object>,
    lrLambda: ((step: number) => number) | ((step: number) => number)[],
    lastEpoch = -1,
  ) {
    const groups = optimizer.paramGroups as unknown as LrGroup[];
    if (lastEpoch === -1) for (const g of groups) g.initialLr = g.lr;
    else if (groups.some((g) => g.initialLr === undefined)) {
      throw new Error("param 'initial_lr' is not specified in param_groups when resuming an optimizer");
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lambdas = Array.isArray(lrLambda) ? lrLambda : groups.map(() => lrLambda);
    if (this.lambdas.length !== groups.length) {
      throw new Error(`Expected ${groups.length} lr_lambdas, but got ${this.lambdas.length}`);
    }
    this.lastEpoch = lastEpoch;
    this.step();
  }

  /** The learning rates for the current lastEpoch. */
  getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lambdas[i](this.lastEpoch));
  }

  /** Advances one step and writes the new learning rates into the optimizer's groups. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.getLr();
    (this.optimizer.paramGroups as unknown as LrGroup[]).forEach((g, i) => { g.lr = lrs[i]; });
    this.lastLr = lrs;
  }

  /** The learning rates set by the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): LRSchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(state: LRSchedulerStateDict): void {
    this.lastEpoch = state.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.lastLr = [...state.lastLr];
  }
}

/** Linear warm-up from 0 to 1 over numWarmupSteps, then linear decay to 0 at numTrainingSteps. */
export function linearWarmupLambda(numWarmupSteps: number, numTrainingSteps: number): (step: number) => number {
  return (step) => {
    if (step < numWarmupSteps) return step / Math.max(1, numWarmupSteps);
    return Math.max(0, (numTrainingSteps - step) / Math.max(1, numTrainingSteps - numWarmupSteps));
  };
}

/** Linear warm-up, then a cosine from 1 down to 0 over numCycles half-waves (0.5: one half cosine). */
export function cosineWarmupLambda(numWarmupSteps: number, numTrainingSteps: number, numCycles = 0.5): (step: number) => number {
  return (step) => {
    if (step < numWarmupSteps) return step / Math.max(1, numWarmupSteps);
    const progress = (step - numWarmupSteps) / Math.max(1, numTrainingSteps - numWarmupSteps);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
  };
}

/** transformers.get_linear_schedule_with_warmup. */
export function getLinearScheduleWithWarmup(
  optimizer: Optimizer<object>, numWarmupSteps: number, numTrainingSteps: number, lastEpoch = -1,
): LambdaLR {
  return new LambdaLR(optimizer, linearWarmupLambda(numWarmupSteps, numTrainingSteps), lastEpoch);
}

/** transformers.get_cosine_schedule_with_warmup. */
export function getCosineScheduleWithWarmup(
  optimizer: Optimizer<object>, numWarmupSteps: number, numTrainingSteps: number, numCycles = 0.5, lastEpoch = -1,
): LambdaLR {
  return new LambdaLR(optimizer, cosineWarmupLambda(numWarmupSteps, numTrainingSteps, numCycles), lastEpoch);
}

/** transformers.get_constant_schedule_with_warmup: linear warm-up, then constant. */
export function getConstantScheduleWithWarmup(optimizer: Optimizer<object>, numWarmupSteps: number, lastEpoch = -1): LambdaLR {
  return new LambdaLR(optimizer, (step) => (step < numWarmupSteps ? step / Math.max(1, numWarmupSteps) : 1), lastEpoch);
}
