/**
 * The Tensor: a strided view over a storage, plus what autograd needs (requiresGrad, grad, gradFn).
 * This file holds the data model only; the ops are attached as methods in ./methods.ts so that each op sits
 * beside its derivative in ./ops. Their types are declared there too ({@link TensorMethods}) and merged into
 * the class below, so the published `.d.ts` has every method on `Tensor` itself.
 */
import type { GradFn } from '../autograd/graph';
import { backendFor } from './backend';
import type { Device, DType, TypedArray } from './dtype';
import { contiguousStrides, numelOf } from './shape';
import type { TensorMethods } from './methods';
import { isContiguousView, type Storage, type View } from './storage';

/** Nested arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/** The methods of ./methods.ts, merged into the class (declaration merging: same name, same file). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-unsafe-declaration-merging
export interface Tensor extends TensorMethods {}

export class Tensor implements View {
  /** Whether gradients flow to this tensor (a leaf accumulates them into `grad`). */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()` (or of a non-leaf after `retainGrad()`). */
  grad: Tensor | null = null;
  /** The node that made this tensor; null for leaves. */
  gradFn: GradFn | null = null;
  /** Set by `retainGrad()`: keep this non-leaf's gradient. */
  retainsGrad = false;

  constructor(
    /** Replaced (never mutated) by in-place updates such as `copy_` on a tensor that owns its storage. */
    public storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
  ) {}

  get dtype(): DType {
    return this.storage.dtype;
  }

  get device(): Device {
    return this.storage.device;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True for tensors not produced by a recorded op (parameters, inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  numel(): number {
    return numelOf(this.shape);
  }

  /** The whole shape, or the size of one (possibly negative) dimension. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new Error(`size: dimension ${dim} out of range for a ${this.ndim}-d tensor`);
    return this.shape[d];
  }

  isContiguous(): boolean {
    return isContiguousView(this.shape, this.strides);
  }

  /**
   * The values in row-major order as a typed array of the tensor's dtype (downloaded from the device if
   * needed). It may share memory with the tensor: read it, never write into it.
   */
  data(): TypedArray {
    return backendFor(this.device).toArray(this);
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.data();
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? flat[pos++] : build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new Error(`item: a Tensor with ${this.numel()} elements cannot be converted to a number`);
    }
    return this.data()[0];
  }

  /** Marks a non-leaf tensor so that `backward()` keeps its gradient in `grad`. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn !== null) this.retainsGrad = true;
    return this;
  }

  /** Sets `requiresGrad` in place (leaves only, as in PyTorch); returns this tensor. */
  requiresGrad_(requiresGrad = true): this {
    if (!requiresGrad && this.gradFn !== null) {
      throw new Error("requiresGrad_: you can only change requiresGrad flags of leaf variables");
    }
    if (requiresGrad && this.dtype === 'int32') {
      throw new Error('requiresGrad_: only tensors of floating point dtype can require gradients (got int32)');
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /** A view with another layout over the same storage (no graph; the ops record it). */
  viewAs(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    return new Tensor(this.storage, shape, strides, offset);
  }
}
