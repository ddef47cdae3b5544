/**
 * Indexing ops on int32 index tensors: indexSelect / indexAdd along a dim, gather / scatterAdd along a dim.
 * Each pair is the other's gradient.
 */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { formatShape, normalizeDim, numelOf } from '../shape';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';
import { checkSameDevice, denseStorage, fromStorage } from './util';

function checkIndexTensor(index: Tensor, what: string): void {
  if (index.dtype !== 'int32') throw new Error(`${what}: index must be an int32 tensor, got ${index.dtype}`);
}


/** Rows of `x` along `dim` picked by the 1-D `index` (as torch.index_select); gradient adds them back. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor(index, 'indexSelect');
  checkSameDevice('indexSelect', x, index);
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  const d = normalizeDim(dim, Math.max(1, x.ndim), 'indexSelect');
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const count = index.numel();
  const outer = numelOf(shape.slice(0, d));
  const inner = numelOf(shape.slice(d + 1));
  const storage = backendFor(x.device).indexSelect(denseStorage(x), denseStorage(index), outer, shape[d], inner, count);
  const outShape = [...shape];
  outShape[d] = count;
  const out = fromStorage(storage, x.ndim === 0 ? [] : outShape);
  return record(out, 'IndexSelectBackward', [x], (g) => [x.newZeros([...x.shape]).indexAdd(d, index, g)]);
}

/** x with `source` rows added at `index` along `dim` (out-of-place torch.index_add). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  checkIndexTensor(index, 'indexAdd');
  checkSameDevice('indexAdd', x, index, source);
  const d = normalizeDim(dim, Math.max(1, x.ndim), 'indexAdd');
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const count = index.numel();
  const expected = [...shape];
  expected[d] = count;
  if (numelOf(expected) !== source.numel()) {
    throw new Error(`indexAdd: source of shape ${formatShape(source.shape)} does not match ${formatShape(expected)}`);
  }
  const outer = numelOf(shape.slice(0, d));
  const inner = numelOf(shape.slice(d + 1));
  const src = source.to(x.dtype);
  const added = fromStorage(
    backendFor(x.device).indexAdd(denseStorage(src), denseStorage(index), outer, shape[d], inner, count),
    x.shape,
  );
  const out = x.detach().add(added);
  return record(out, 'IndexAddBackward', [x, source], (g) => [g, g.indexSelect(d, index).reshape([...source.shape])]);
}

/** Moves `dim` last and returns (contiguous storage, outer size) for the row kernels. */
function lastAxis(x: Tensor, d: number): { storage: Storage; moved: Tensor } {
  const order = x.shape.map((_, i) => i).filter((i) => i !== d).concat([d]);
  const moved = x.detach().permute(order);
  return { storage: denseStorage(moved), moved };
}

/** Inverse of the permutation that moved `d` last. */
function restoreAxis(y: Tensor, d: number): Tensor {
  const nd = y.ndim;
  const order: number[] = [];
  for (let i = 0; i < nd; i++) order.push(i < d ? i : i === d ? nd - 1 : i - 1);
  return y.permute(order);
}

/** out[..., j, ...] = x[..., index[..., j, ...], ...] along `dim` (torch.gather); index may be smaller than x. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor(index, 'gather');
  checkSameDevice('gather', x, index);
  const d = normalizeDim(dim, x.ndim, 'gather');
  if (index.ndim !== x.ndim) throw new Error(`gather: index ${formatShape(index.shape)} and input ${formatShape(x.shape)} must have the same number of dimensions`);
  // Cut x to index's extent on the other dims.
  let source = x.detach();
  for (let i = 0; i < x.ndim; i++) {
    if (i === d) continue;
    if (index.shape[i] > x.shape[i]) throw new Error(`gather: size of index ${formatShape(index.shape)} exceeds input ${formatShape(x.shape)} at dimension ${i}`);
    if (index.shape[i] < x.shape[i]) source = source.narrow(i, 0, index.shape[i]);
  }
  const xs = lastAxis(source, d);
  const is = lastAxis(index, d);
  const inner = x.shape[d];
  const count = index.shape[d];
  const outer = numelOf(is.moved.shape.slice(0, -1));
  const storage = backendFor(x.device).gatherRows(xs.storage, is.storage, outer, inner, count);
  const out = restoreAxis(fromStorage(storage, is.moved.shape), d).contiguous().detach();
  return record(out, 'GatherBackward', [x], (g) => [x.newZeros([...x.shape]).scatterAdd(d, index, g)]);
}

/** x plus `src` scattered-and-added at `index` along `dim` (out-of-place torch.scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor(index, 'scatterAdd');
  checkSameDevice('scatterAdd', x, index, src);
  const d = normalizeDim(dim, x.ndim, 'scatterAdd');
  if (index.ndim !== x.ndim) throw new Error(`scatterAdd: index ${formatShape(index.shape)} and input ${formatShape(x.shape)} must have the same number of dimensions`);
  // As torch: index may be smaller than the input (outside `dim`) and than src (everywhere).
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) {
      throw new Error(`scatterAdd: size of index ${formatShape(index.shape)} exceeds input ${formatShape(x.shape)} at dimension ${i}`);
    }
    if (index.shape[i] > (src.shape[i] ?? 0)) {
      throw new Error(`scatterAdd: size of index ${formatShape(index.shape)} exceeds src ${formatShape(src.shape)} at dimension ${i}`);
    }
  }
  let source = src.detach().to(x.dtype);
  for (let i = 0; i < x.ndim; i++) if (source.shape[i] > index.shape[i]) source = source.narrow(i, 0, index.shape[i]);
  const ss = lastAxis(source, d);
  const is = lastAxis(index, d);
  const inner = x.shape[d];
  const count = index.shape[d];
  const outer = numelOf(is.moved.shape.slice(0, -1));
  const storage = backendFor(x.device).scatterAddRows(ss.storage, is.storage, outer, inner, count);
  const movedShape = [...is.moved.shape.slice(0, -1), inner];
  const added = padTo(restoreAxis(fromStorage(storage, movedShape), d), x.shape);
  const out = x.detach().add(added);
  return record(out, 'ScatterAddBackward', [x, src], (g) => {
    const gs = g.gather(d, index);
    return [g, src.shape.every((s, i) => s === index.shape[i]) ? gs : src.newZeros([...src.shape]).add(padTo(gs, src.shape))];
  });
}

/** Zero-pads `g` at the end of each dim up to `shape`. */
function padTo(g: Tensor, shape: readonly number[]): Tensor {
  let out = g;
  for (let i = 0; i < shape.length; i++) {
    if (out.shape[i] < shape[i]) {
      const padShape = [...out.shape];
      padShape[i] = shape[i] - out.shape[i];
      out = out.cat([out.newZeros(padShape)], i);
    }
  }
  return out;
}
