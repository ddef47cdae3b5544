/** optim, as torch.optim: SGD, Adam, AdamW, learning-rate schedules and gradient clipping. */
export { Optimizer, type ParamGroup, type Params, type ParamState, type OptimizerStateDict } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export {
  LambdaLR, getLinearScheduleWithWarmup, getCosineScheduleWithWarmup, getConstantScheduleWithWarmup,
  linearWarmupLambda, cosineWarmupLambda, type LRSchedulerStateDict,
} from './lrScheduler';
export { clipGradNorm, clipGradValue } from './clipGrad';
