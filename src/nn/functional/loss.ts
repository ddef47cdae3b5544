/** Losses: cross-entropy (class indices or probabilities, ignoreIndex, label smoothing, class weights) and MSE. */
import { expectTensor } from '../../tensor/expect';
import { formatShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Per-class weights (C). */
  weight?: Tensor | null;
  /** Targets equal to this index contribute nothing (class-index targets; with probability targets it must be negative). Default −100. */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1 − ε)·onehot + ε/C. Default 0. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

function reduce(loss: Tensor, reduction: Reduction, what: string): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.mean();
  throw new Error(`${what}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
}

/** Moves the class dim (1) last and flattens: (N, C, d1, …) → (N·d1·…, C). */
function classesLast(input: Tensor): Tensor {
  if (input.ndim === 1) return input.unsqueeze(0);
  if (input.ndim === 2) return input;
  const order = [0, ...input.shape.slice(2).map((_, i) => i + 2), 1];
  return input.permute(order).reshape(-1, input.shape[1]);
}

/** The shape of the per-element loss: the input's without the class dim. */
function lossShape(input: Tensor): number[] {
  return input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
}

/**
 * F.cross_entropy: logits (N, C) or (N, C, d1, …) or (C); target int32 class indices (N, d1, …) or
 * class probabilities with the input's shape. With indices, for each element with target y ≠ ignoreIndex:
 *   loss = −(1 − ε)·w_y·log p_y − (ε/C)·Σ_c w_c·log p_c
 * and 'mean' divides the sum by Σ w_y over the non-ignored elements (their count without weights), as PyTorch.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { weight = null, ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean' } = options;
  expectTensor(input, 'crossEntropy');
  expectTensor(target, 'crossEntropy', 'target');
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`crossEntropy: labelSmoothing must be between 0.0 and 1.0, got ${labelSmoothing}`);
  }
  const classes = input.ndim === 1 ? input.shape[0] : input.shape[1];
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== classes)) {
    throw new Error(`crossEntropy: weight of shape ${formatShape(weight.shape)} does not match ${classes} classes`);
  }
  if (target.dtype !== 'int32') checkProbabilityTarget(input, target);
  if (target.dtype !== 'int32' && ignoreIndex >= 0) {
    // As PyTorch: an ignored class cannot be honoured with probability targets, so say so rather than drop it.
    throw new Error(`crossEntropy: ignoreIndex ${ignoreIndex} is not supported for probability (floating point) targets`);
  }
  const logp = classesLast(input).logSoftmax(-1);
  if (target.dtype !== 'int32') return softTargetLoss(input, target, logp, weight, labelSmoothing, reduction);
  return indexTargetLoss(logp, lossShape(input), input.shape, target, { weight, ignoreIndex, labelSmoothing, reduction });
}

/**
 * The loss for int32 class-index targets, given log-probabilities (M, C) with the classes last and the
 * per-element loss shape.
 */
function indexTargetLoss(
  logp: Tensor, expected: number[], inputShape: readonly number[], target: Tensor, options: Required<CrossEntropyOptions>,
): Tensor {
  const { weight, ignoreIndex, labelSmoothing, reduction } = options;
  const classes = logp.shape[1];
  if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`crossEntropy: target of shape ${formatShape(target.shape)} does not match input ${formatShape(inputShape)} (expected ${formatShape(expected)})`);
  }
  const flatTarget = target.reshape(-1);
  for (const y of flatTarget.data()) {
    if (y !== ignoreIndex && (y < 0 || y >= classes)) throw new Error(`crossEntropy: target ${y} is out of bounds for ${classes} classes`);
  }
  const valid = flatTarget.ne(ignoreIndex);
  const safeTarget = flatTarget.mul(valid);
  const validWeight = weight ? weight.indexSelect(0, safeTarget).mul(valid) : valid.to(logp.dtype);
  const picked = logp.gather(1, safeTarget.unsqueeze(1)).squeeze(1);
  let loss = picked.mul(validWeight).neg();
  if (labelSmoothing > 0) {
    const weighted = weight ? logp.mul(weight) : logp;
    const smooth = weighted.sum(-1).mul(valid).neg();
    loss = loss.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing / classes));
  }
  if (reduction === 'mean') return loss.sum().div(validWeight.sum());
  return reduce(loss.reshape(expected), reduction, 'crossEntropy');
}

/**
 * A floating target must hold class probabilities shaped like the input. One shaped like the class indices
 * (the usual mistake: `tensor([0, 2, 1])` is float32 here, where PyTorch's is int64) gets a message that
 * says to make it int32.
 */
function checkProbabilityTarget(input: Tensor, target: Tensor): void {
  if (target.ndim === input.ndim && target.shape.every((d, i) => d === input.shape[i])) return;
  const indexShape = lossShape(input);
  const looksLikeIndices = target.ndim === indexShape.length && target.shape.every((d, i) => d === indexShape[i]);
  const fix = looksLikeIndices
    ? `class indices must be int32: tensor([…], { dtype: 'int32' }) or target.int() (tensor() of plain numbers is float32); `
    : '';
  throw new Error(`crossEntropy: target of shape ${formatShape(target.shape)} is ${target.dtype}: ${fix}`
    + `int32 class indices of shape ${formatShape(indexShape)} or ${target.dtype} class probabilities of the input's shape ${formatShape(input.shape)} expected`);
}

/** Cross-entropy against class probabilities (same shape as the input), with optional smoothing and weights. */
function softTargetLoss(
  input: Tensor, target: Tensor, logp: Tensor, weight: Tensor | null, labelSmoothing: number, reduction: Reduction,
): Tensor {
  if (target.ndim !== input.ndim || target.shape.some((d, i) => d !== input.shape[i])) {
    throw new Error(`crossEntropy: probability target of shape ${formatShape(target.shape)} must match input ${formatShape(input.shape)}`);
  }
  const classes = logp.shape[1];
  let probs = classesLast(target);
  if (labelSmoothing > 0) probs = probs.mul(1 - labelSmoothing).add(labelSmoothing / classes);
  const weighted = weight ? logp.mul(weight) : logp;
  const loss = weighted.mul(probs).sum(-1).neg().reshape(lossShape(input));
  return reduce(loss, reduction, 'crossEntropy');
}

/** F.nll_loss on log-probabilities (N, C, …) with int32 targets; same options as crossEntropy. */
export function nllLoss(logProbs: Tensor, target: Tensor, options: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  const { weight = null, ignoreIndex = -100, reduction = 'mean' } = options;
  expectTensor(logProbs, 'nllLoss');
  expectTensor(target, 'nllLoss', 'target');
  if (target.dtype !== 'int32') {
    throw new Error(`nllLoss: target must hold int32 class indices, got ${target.dtype}: tensor([…], { dtype: 'int32' }) or target.int()`);
  }
  return indexTargetLoss(classesLast(logProbs), lossShape(logProbs), logProbs.shape, target, { weight, ignoreIndex, labelSmoothing: 0, reduction });
}

/** F.mse_loss: mean (or sum, or none) of (input − target)², with target broadcast to the input. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  expectTensor(input, 'mseLoss');
  expectTensor(target, 'mseLoss', 'target');
  return reduce(input.sub(target).square(), options.reduction ?? 'mean', 'mseLoss');
}
