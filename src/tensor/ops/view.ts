/**
 * Views: ops that only change shape/strides/offset over the same storage (PyTorch's view semantics), each
 * with the gradient that undoes it. `reshape` copies only when no view is possible.
 */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { allocArray, promoteTypes } from '../dtype';
import { expectTensor } from '../expect';
import { contiguousStrides, formatShape, normalizeDim, normalizeDims, numelOf } from '../shape';
import { Tensor } from '../tensor';
import { broadcastView, fromStorage } from './util';

/** Fills in one −1 and checks the element count. */
export function inferShape(shape: readonly number[], numel: number, what: string): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free !== out.lastIndexOf(-1)) throw new Error(`${what}: only one dimension can be inferred`);
  if (free >= 0) {
    const known = numelOf(out.filter((_, i) => i !== free));
    if (known === 0 || numel % known !== 0) throw new Error(`${what}: shape '[${shape.join(', ')}]' is invalid for input of size ${numel}`);
    out[free] = numel / known;
  }
  if (numelOf(out) !== numel || out.some((d) => d < 0 || !Number.isInteger(d))) {
    throw new Error(`${what}: shape '[${shape.join(', ')}]' is invalid for input of size ${numel}`);
  }
  return out;
}

/** Strides that present `x` with `shape` without copying, or null when impossible (numpy's attempt_nocopy_reshape). */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  // An empty tensor has no elements to place, so any shape is a view (torch gives it contiguous strides).
  if (x.isContiguous() || x.numel() === 0) return contiguousStrides(shape);
  // Merge x's dims into contiguous chunks, then split each chunk over the new dims.
  const oldShape = x.shape.filter((d) => d !== 1);
  const oldStrides = x.strides.filter((_, i) => x.shape[i] !== 1);
  const newStrides = new Array<number>(shape.length).fill(0);
  let oi = 0, ni = 0;
  while (oi < oldShape.length && ni < shape.length) {
    if (shape[ni] === 1) { newStrides[ni] = 1; ni++; continue; }
    let np = shape[ni], op = oldShape[oi];
    const niStart = ni, oiStart = oi;
    while (np !== op) {
      if (np < op) np *= shape[++ni];
      else op *= oldShape[++oi];
    }
    for (let k = oiStart; k < oi; k++) if (oldStrides[k] !== oldStrides[k + 1] * oldShape[k + 1]) return null;
    newStrides[ni] = oldStrides[oi];
    for (let k = ni; k > niStart; k--) newStrides[k - 1] = newStrides[k] * shape[k];
    ni++; oi++;
  }
  for (; ni < shape.length; ni++) newStrides[ni] = 1;
  return newStrides;
}

function viewOf(x: Tensor, shape: number[], strides: number[], offset: number, name: string, back: (g: Tensor) => Tensor): Tensor {
  return record(x.viewAs(shape, strides, offset), name, [x], (g) => [back(g)]);
}

/** A view with a new shape; throws when the strides do not allow one (use reshape). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel(), 'view');
  const strides = viewStrides(x, target);
  if (strides === null) {
    throw new Error(`view: size ${formatShape(target)} is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces); use reshape instead`);
  }
  return viewOf(x, target, strides, x.offset, 'ViewBackward', (g) => g.reshape([...x.shape]));
}

/** A view when possible, else a contiguous copy with the new shape. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel(), 'reshape');
  if (viewStrides(x, target) !== null) return view(x, target);
  return view(contiguous(x), target);
}

/** A row-major copy when the layout is not already row-major; otherwise the tensor itself. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return clone(x);
}

/** A row-major copy that stays in the graph (gradient passes through). */
export function clone(x: Tensor): Tensor {
  const out = fromStorage(backendFor(x.device).copy(x, x.dtype), x.shape);
  return record(out, 'CloneBackward', [x], (g) => [g]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new Error(`permute: number of dims don't match in permute (got ${dims.length} for a ${x.ndim}-d tensor)`);
  }
  const order = dims.map((d) => normalizeDim(d, x.ndim, 'permute'));
  if (new Set(order).size !== order.length) throw new Error('permute: repeated dim in permute');
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => { inverse[d] = i; });
  return viewOf(x, order.map((d) => x.shape[d]), order.map((d) => x.strides[d]), x.offset, 'PermuteBackward', (g) => g.permute(inverse));
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2 && dim0 === dim1) return x;
  const d0 = normalizeDim(dim0, x.ndim, 'transpose');
  const d1 = normalizeDim(dim1, x.ndim, 'transpose');
  const order = x.shape.map((_, i) => i);
  order[d0] = d1;
  order[d1] = d0;
  return permute(x, order);
}

/** 2-D transpose (a 0-d or 1-d tensor is returned as is), as Tensor.t(). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new Error(`t: expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Broadcast view to `shape` (−1 keeps a size); gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  if (shape.slice(0, Math.max(0, lead)).includes(-1)) {
    throw new Error(`expand: -1 is not allowed in a leading, new dimension (expanding ${formatShape(x.shape)} to ${formatShape(shape)})`);
  }
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
  const v = broadcastView(x, target, 'expand');
  return viewOf(x, target, [...v.strides], v.offset, 'ExpandBackward', (g) => {
    const dims: number[] = [];
    for (let i = 0; i < target.length; i++) if (i < lead || (x.shape[i - lead] === 1 && target[i] !== 1)) dims.push(i);
    return (dims.length ? g.sum(dims, true) : g).reshape([...x.shape]);
  });
}

/** Removes size-1 dims (all, or the given ones that have size 1). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims(dim, x.ndim, 'squeeze');
  const keep = x.shape.map((d, i) => !(dims.includes(i) && d === 1));
  return viewOf(
    x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset,
    'SqueezeBackward', (g) => g.reshape([...x.shape]),
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return viewOf(x, shape, strides, x.offset, 'UnsqueezeBackward', (g) => g.reshape([...x.shape]));
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normalizeDim(startDim, x.ndim, 'flatten');
  const e = normalizeDim(endDim, x.ndim, 'flatten');
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** The slice start:start+length of `dim` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size})`);
  }
  return slice(x, d, s, s + length, 1);
}

/** Python-style slice start:end:step of `dim` (a view; negative and out-of-range bounds clamp as in Python). */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normalizeDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const clampIndex = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? size));
  const count = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = count;
  strides[d] = x.strides[d] * step;
  return viewOf(x, shape, strides, x.offset + s * x.strides[d], 'SliceBackward', (g) => {
    if (step === 1) {
      const before = [...x.shape]; before[d] = s;
      const after = [...x.shape]; after[d] = size - e;
      return cat([g.newZeros(before), g, g.newZeros(after)], d);
    }
    const positions = Array.from({ length: count }, (_, i) => s + i * step);
    return g.newZeros([...x.shape]).indexAdd(d, g.newTensor(positions, 'int32'), g);
  });
}

/** Concatenates along `dim`; gradient slices it back. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: expected a non-empty list of Tensors');
  tensors.forEach((x, i) => expectTensor(x, 'cat', `tensors[${i}]`));
  const nonEmpty = tensors.filter((x) => !(x.ndim === 1 && x.shape[0] === 0));
  const first = nonEmpty[0] ?? tensors[0];
  const d = normalizeDim(dim, first.ndim, 'cat');
  for (const x of nonEmpty) {
    if (x.ndim !== first.ndim || x.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`cat: sizes of tensors must match except in dimension ${d}; got ${formatShape(first.shape)} and ${formatShape(x.shape)}`);
    }
    if (x.device !== first.device) {
      throw new Error(`cat: expected all tensors to be on the same device, but found at least two devices, ${first.device} and ${x.device}`);
    }
  }
  const dtype = nonEmpty.reduce((acc, x) => promoteTypes(acc, x.dtype), first.dtype);
  const shape = [...first.shape];
  shape[d] = nonEmpty.reduce((acc, x) => acc + x.shape[d], 0);
  // Copy each part into its slab: move `dim` first, so every part is one contiguous block of the output.
  const outer = numelOf(shape.slice(0, d));
  const inner = numelOf(shape.slice(d + 1));
  const parts = nonEmpty.map((x) => x.detach().to(dtype).contiguous().data());
  const backend = backendFor(first.device);
  const data = allocArray(dtype, numelOf(shape));
  let col = 0;
  nonEmpty.forEach((x, p) => {
    const width = x.shape[d] * inner;
    const src = parts[p];
    for (let o = 0; o < outer; o++) data.set(src.subarray(o * width, (o + 1) * width), o * shape[d] * inner + col);
    col += width;
  });
  const out = fromStorage(backend.fromArray(data, dtype), shape);
  return record(out, 'CatBackward', nonEmpty, (g) => {
    let at = 0;
    return nonEmpty.map((x) => {
      const part = g.narrow(d, at, x.shape[d]);
      at += x.shape[d];
      return part;
    });
  });
}

/** Stacks equal-shaped tensors along a new `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: expected a non-empty list of Tensors');
  const d = normalizeDim(dim, tensors[0].ndim + 1, 'stack');
  for (const x of tensors) {
    if (x.ndim !== tensors[0].ndim || x.shape.some((s, i) => s !== tensors[0].shape[i])) {
      throw new Error(`stack: expects each tensor to be equal size, but got ${formatShape(tensors[0].shape)} and ${formatShape(x.shape)}`);
    }
  }
  return cat(tensors.map((x) => unsqueeze(x, d)), d);
}

/** Splits into pieces of `sizeOrSections` (a size, or a list of sizes) along `dim` (views). */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, 'split');
  const size = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new Error(`split: split_size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let at = 0; at < size; at += sizeOrSections) sizes.push(Math.min(sizeOrSections, size - at));
  } else {
    sizes = [...sizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) throw new Error(`split: split_with_sizes expects split_sizes to sum exactly to ${size} (got ${total})`);
  }
  let at = 0;
  return sizes.map((s) => {
    const part = narrow(x, d, at, s);
    at += s;
    return part;
  });
}

/** Splits into `chunks` nearly equal pieces (the last may be smaller), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, 'chunk');
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** A 0-stride-free strided view helper for diag: elements x[i, i + offset]. */
export function diagonalView(x: Tensor, offset = 0): Tensor {
  if (x.ndim !== 2) throw new Error(`diagonal: expected a 2-D tensor, got ${formatShape(x.shape)}`);
  const [rows, cols] = x.shape;
  const start = offset >= 0 ? offset * x.strides[1] : -offset * x.strides[0];
  const count = Math.max(0, offset >= 0 ? Math.min(rows, cols - offset) : Math.min(rows + offset, cols));
  return viewOf(x, [count], [x.strides[0] + x.strides[1]], x.offset + start, 'DiagonalBackward', (g) => diagEmbedTo(g, offset, rows, cols));
}

/** A (rows×cols) matrix of zeros with `v` on diagonal `offset`. */
export function diagEmbedTo(v: Tensor, offset: number, rows: number, cols: number): Tensor {
  const n = v.shape[0];
  const rowIdx = Array.from({ length: n }, (_, i) => (offset >= 0 ? i : i - offset));
  const colIdx = Array.from({ length: n }, (_, i) => (offset >= 0 ? i + offset : i));
  const flat = rowIdx.map((r, i) => r * cols + colIdx[i]);
  return v.newZeros([rows * cols]).indexAdd(0, v.newTensor(flat, 'int32'), v).reshape([rows, cols]);
}

/** torch.diag: a 1-D input becomes a diagonal matrix, a 2-D input gives its diagonal. */
export function diag(x: Tensor, offset = 0): Tensor {
  if (x.ndim === 1) {
    const size = x.shape[0] + Math.abs(offset);
    return diagEmbedTo(x, offset, size, size);
  }
  if (x.ndim === 2) return clone(diagonalView(x, offset));
  throw new Error(`diag: expected a 1-D or 2-D tensor, got ${formatShape(x.shape)}`);
}

/** torch.diag_embed: the last dim (n) becomes the diagonal of new (n×n) trailing matrices. */
export function diagEmbed(x: Tensor): Tensor {
  if (x.ndim === 0) throw new Error('diagEmbed: expected a tensor with at least 1 dimension');
  const n = x.shape[x.ndim - 1];
  return x.unsqueeze(-1).where(triangleMask(x, n, n, 0, 'diagonal'), 0);
}

/** Lower (tril) / upper (triu) triangle over the last two dims, zeros elsewhere (inf and NaN included). */
export function tril(x: Tensor, diagonal = 0): Tensor {
  if (x.ndim < 2) throw new Error('tril: input tensor must have at least 2 dimensions');
  return x.where(triangleMask(x, x.shape[x.ndim - 2], x.shape[x.ndim - 1], diagonal, 'lower'), 0);
}

export function triu(x: Tensor, diagonal = 0): Tensor {
  if (x.ndim < 2) throw new Error('triu: input tensor must have at least 2 dimensions');
  return x.where(triangleMask(x, x.shape[x.ndim - 2], x.shape[x.ndim - 1], diagonal, 'upper'), 0);
}

/** A (rows×cols) int32 mask, on x's device, of j − i ≤ d (lower), ≥ d (upper) or = d (diagonal). */
function triangleMask(x: Tensor, rows: number, cols: number, d: number, part: 'lower' | 'upper' | 'diagonal'): Tensor {
  const mask = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = j - i;
      mask[i * cols + j] = (part === 'lower' ? k <= d : part === 'upper' ? k >= d : k === d) ? 1 : 0;
    }
  }
  return fromStorage(backendFor(x.device).fromArray(mask, 'int32'), [rows, cols]);
}

export { Tensor };

/** The slice at `index` of `dim`, with that dim removed (a view), as torch.select / x[i]. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, x.ndim, 'select');
  const size = x.shape[d];
  const i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) throw new Error(`select: index ${index} out of range for dimension ${d} with size ${size}`);
  return squeeze(slice(x, d, i, i + 1), d);
}

/** Reverses the order along the given dims (a copy, as torch.flip). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  let out = x;
  for (const d of normalizeDims(dims, x.ndim, 'flip')) {
    const size = x.shape[d];
    out = out.indexSelect(d, x.newTensor(Array.from({ length: size }, (_, i) => size - 1 - i), 'int32'));
  }
  return out;
}
