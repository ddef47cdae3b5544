/**
 * Reductions over any set of dims: the reduced dims are moved last, made contiguous, and reduced row by row
 * by the device's single `reduceRows` primitive. Everything else (mean, var, norm, logsumexp) composes.
 */
import { noGrad, record } from '../../autograd/graph';
import { backendFor, type ReduceOp } from '../backend';
import { expectTensor } from '../expect';
import { numelOf, normalizeDims } from '../shape';
import type { Tensor } from '../tensor';
import { denseStorage, fromStorage } from './util';

export type Dims = number | readonly number[];

/** Shape of a reduction's result. */
function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!dims.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Reduces `x` over `dims` with a raw kernel (no graph). */
export function reduceRaw(op: ReduceOp, x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const order = [...kept, ...dims];
  const moved = order.every((d, i) => d === i) ? x : x.detach().permute(order);
  const inner = numelOf(dims.map((d) => x.shape[d]));
  const outer = numelOf(kept.map((d) => x.shape[d]));
  const backend = backendFor(x.device);
  const storage = backend.reduceView
    ? backend.reduceView(op, moved, dims.length)
    : backend.reduceRows(op, denseStorage(moved), outer, inner);
  return fromStorage(storage, reducedShape(x.shape, dims, keepdim));
}

/** The gradient of a reduction, reshaped with the reduced dims kept, then broadcast to the input. */
function expandBack(g: Tensor, x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  const kept = keepdim ? g : g.reshape(reducedShape(x.shape, dims, true));
  return kept.expand([...x.shape]);
}

/** Sum over `dim` (all dims when omitted). */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  expectTensor(x, 'sum');
  const dims = normalizeDims(dim, x.ndim, 'sum');
  const out = reduceRaw('sum', x, dims, keepdim);
  return record(out, 'SumBackward', [x], (g) => [expandBack(g, x, dims, keepdim)]);
}

/** Mean over `dim` (all dims when omitted). */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, 'mean');
  const count = numelOf(dims.map((d) => x.shape[d]));
  const source = x.dtype === 'int32' ? x.to('float32') : x;
  return sum(source, dims, keepdim).div(count);
}

/**
 * amax/amin: the extreme value over `dim`; the gradient is shared evenly among the elements that attain it
 * (PyTorch's rule for amax/amin and for max() over all elements).
 */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('max', x, dim, keepdim);
}

export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('min', x, dim, keepdim);
}

function extreme(op: 'max' | 'min', x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  const dims = normalizeDims(dim, x.ndim, op === 'max' ? 'amax' : 'amin');
  const out = reduceRaw(op, x, dims, keepdim);
  return record(out, op === 'max' ? 'AmaxBackward' : 'AminBackward', [x], (g) => {
    const full = expandBack(out, x, dims, keepdim);
    const hits = x.eq(full).to(g.dtype);
    const count = hits.sum(dims, true);
    return [expandBack(g, x, dims, keepdim).mul(hits).div(count)];
  });
}

/** Index of the largest value over `dim` (of the flattened tensor when omitted); int32, first on ties. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  return noGrad(() => {
    if (dim === undefined) return reduceRaw(op, x.reshape([-1]), [0], false);
    const dims = normalizeDims(dim, x.ndim, op);
    return reduceRaw(op, x, dims, keepdim);
  });
}

/** max over one dim, as torch.max(x, dim): the values (gradient to the chosen index) and their indices. */
export function maxDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  const indices = argmax(x, dim, true);
  const values = x.gather(dim, indices);
  return keepdim ? { values, indices } : { values: values.squeeze(dim), indices: indices.squeeze(dim) };
}

export function minDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  const indices = argmin(x, dim, true);
  const values = x.gather(dim, indices);
  return keepdim ? { values, indices } : { values: values.squeeze(dim), indices: indices.squeeze(dim) };
}

export interface VarOptions {
  /** Bessel's correction: divide by N − correction (default 1, as torch.var). */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over `dim` (all dims when omitted). */
export function variance(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  const { correction = 1, keepdim = false } = options;
  const dims = normalizeDims(dim, x.ndim, 'var');
  const count = numelOf(dims.map((d) => x.shape[d]));
  const centered = x.sub(mean(x, dims, true));
  return sum(centered.mul(centered), dims, keepdim).div(Math.max(0, count - correction));
}

export function std(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  return variance(x, dim, options).sqrt();
}

/** p-norm over `dim` (Frobenius / 2-norm of everything by default); p may be Infinity. */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  if (p === Infinity) return amax(x.abs(), dim, keepdim);
  if (p === 1) return sum(x.abs(), dim, keepdim);
  if (p === 2) return sum(x.mul(x), dim, keepdim).sqrt();
  return sum(x.abs().pow(p), dim, keepdim).pow(1 / p);
}

/** log Σ exp(x) over `dim`, computed stably by subtracting the max first. */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, 'logsumexp');
  const shift = noGrad(() => reduceRaw('max', x, dims, true));
  const safeShift = noGrad(() => shift.where(shift.abs().lt(Infinity), 0));
  const out = sum(x.sub(safeShift).exp(), dims, true).log().add(safeShift);
  return keepdim ? out : out.squeeze(dims);
}
