/**
 * The Tensor's methods: a rich front end over the ops in ./ops (tinygrad's tensor.py style). Each method is
 * one line that calls the op; the math and the gradients live with the ops.
 */
import { runBackward } from '../autograd/backward';
import { isGradEnabled } from '../autograd/graph';
import type { Device, DType, TypedArray } from './dtype';
import { conversionTarget } from './expect';
import { formatTensor } from './format';
import { full, tensor } from './create';
import * as act from './ops/activation';
import { copyInPlace, toDevice, toDType } from './ops/convert';
import * as ew from './ops/elementwise';
import * as ix from './ops/indexing';
import { matmul } from './ops/matmul';
import * as rd from './ops/reduce';
import type { Dims, VarOptions } from './ops/reduce';
import type { TensorLike } from './ops/util';
import * as vw from './ops/view';
import { shapeArgs } from './shape';
import { Tensor, type NestedArray } from './tensor';

type ShapeArgs = (number | readonly number[])[];

/**
 * Every method a Tensor has beyond its data model. `Tensor` (./tensor.ts) extends this interface, so the
 * methods are part of the class's published type; the bodies are attached to `Tensor.prototype` below.
 */
export interface TensorMethods {
  // arithmetic (broadcasting)
  add(other: TensorLike): Tensor;
  sub(other: TensorLike): Tensor;
  mul(other: TensorLike): Tensor;
  div(other: TensorLike): Tensor;
  pow(exponent: TensorLike): Tensor;
  maximum(other: TensorLike): Tensor;
  minimum(other: TensorLike): Tensor;
  /** Comparisons return int32 masks of 0/1. */
  eq(other: TensorLike): Tensor;
  ne(other: TensorLike): Tensor;
  lt(other: TensorLike): Tensor;
  le(other: TensorLike): Tensor;
  gt(other: TensorLike): Tensor;
  ge(other: TensorLike): Tensor;
  /** torch's x.where(cond, other): x where cond is nonzero, else other. */
  where(condition: Tensor, other: TensorLike): Tensor;
  clamp(min?: number | null, max?: number | null): Tensor;
  maskedFill(mask: Tensor, value: number): Tensor;
  // unary
  neg(): Tensor; abs(): Tensor; sign(): Tensor; exp(): Tensor; log(): Tensor; sqrt(): Tensor; rsqrt(): Tensor;
  sin(): Tensor; cos(): Tensor; tanh(): Tensor; sigmoid(): Tensor; relu(): Tensor; erf(): Tensor;
  square(): Tensor; reciprocal(): Tensor; log1p(): Tensor; expm1(): Tensor; floor(): Tensor; ceil(): Tensor; round(): Tensor;
  gelu(approximate?: 'none' | 'tanh'): Tensor;
  // reductions
  sum(dim?: Dims, keepdim?: boolean): Tensor;
  mean(dim?: Dims, keepdim?: boolean): Tensor;
  amax(dim?: Dims, keepdim?: boolean): Tensor;
  amin(dim?: Dims, keepdim?: boolean): Tensor;
  /** max of all elements, or {values, indices} over one dim (as torch.max). */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  argmax(dim?: number, keepdim?: boolean): Tensor;
  argmin(dim?: number, keepdim?: boolean): Tensor;
  var(dim?: Dims, options?: VarOptions): Tensor;
  std(dim?: Dims, options?: VarOptions): Tensor;
  norm(p?: number, dim?: Dims, keepdim?: boolean): Tensor;
  logsumexp(dim: Dims, keepdim?: boolean): Tensor;
  // linear algebra
  matmul(other: Tensor): Tensor;
  // shape
  reshape(...shape: ShapeArgs): Tensor;
  view(...shape: ShapeArgs): Tensor;
  transpose(dim0: number, dim1: number): Tensor;
  t(): Tensor;
  /** All dims reversed (for a matrix, its transpose), as torch's Tensor.T. */
  readonly T: Tensor;
  /** The last two dims swapped (a batch of transposed matrices), as torch's Tensor.mT. */
  readonly mT: Tensor;
  permute(...dims: ShapeArgs): Tensor;
  expand(...shape: ShapeArgs): Tensor;
  expandAs(other: Tensor): Tensor;
  squeeze(dim?: number | readonly number[]): Tensor;
  unsqueeze(dim: number): Tensor;
  flatten(startDim?: number, endDim?: number): Tensor;
  narrow(dim: number, start: number, length: number): Tensor;
  slice(dim: number, start?: number, end?: number, step?: number): Tensor;
  select(dim: number, index: number): Tensor;
  flip(dims: number | readonly number[]): Tensor;
  /** Concatenates this tensor and `others` along dim. */
  cat(others: readonly Tensor[], dim?: number): Tensor;
  split(sizeOrSections: number | readonly number[], dim?: number): Tensor[];
  chunk(chunks: number, dim?: number): Tensor[];
  contiguous(): Tensor;
  clone(): Tensor;
  diag(offset?: number): Tensor;
  diagEmbed(): Tensor;
  tril(diagonal?: number): Tensor;
  triu(diagonal?: number): Tensor;
  // indexing
  indexSelect(dim: number, index: Tensor): Tensor;
  indexAdd(dim: number, index: Tensor, source: Tensor): Tensor;
  gather(dim: number, index: Tensor): Tensor;
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
  // activations
  softmax(dim?: number): Tensor;
  logSoftmax(dim?: number): Tensor;
  // conversion & creation alike
  to(target: DType | Device): Tensor;
  float(): Tensor;
  double(): Tensor;
  /** A float16 copy (torch's half()). */
  half(): Tensor;
  /** A bfloat16 copy. */
  bfloat16(): Tensor;
  int(): Tensor;
  cpu(): Tensor;
  /** A tensor of this one's dtype and device from data (a new leaf). */
  newTensor(data: NestedArray | TypedArray, dtype?: DType): Tensor;
  /** Zeros of this tensor's dtype and device: `x.newZeros(2, 3)` or `x.newZeros([2, 3])`, as torch's new_zeros. */
  newZeros(...shape: ShapeArgs): Tensor;
  newOnes(...shape: ShapeArgs): Tensor;
  newFull(shape: readonly number[], value: number): Tensor;
  zerosLike(): Tensor;
  onesLike(): Tensor;
  // in-place updates (outside the graph: optimizers, loadStateDict, initialisation)
  /**
   * Overwrites this tensor's values with `src` (broadcast, cast to this dtype), as torch's copy_. Not
   * recorded by autograd: call it on leaves or under noGrad. A tensor that owns all of its storage gets a
   * fresh storage (other views of the old values keep them); a view writes through on the cpu device.
   */
  copy_(src: Tensor | number): Tensor;
  zero_(): Tensor;
  fill_(value: number): Tensor;
  // autograd
  backward(gradient?: Tensor): void;
  toString(): string;
}

type Methods = { [K in keyof Tensor]?: Tensor[K] };
const P = Tensor.prototype as unknown as Methods & { [key: string]: unknown };

const methods: Partial<Record<keyof Tensor, unknown>> & ThisType<Tensor> = {
  add(other: TensorLike) { return ew.add(this, other); },
  sub(other: TensorLike) { return ew.sub(this, other); },
  mul(other: TensorLike) { return ew.mul(this, other); },
  div(other: TensorLike) { return ew.div(this, other); },
  pow(exponent: TensorLike) { return ew.pow(this, exponent); },
  maximum(other: TensorLike) { return ew.maximum(this, other); },
  minimum(other: TensorLike) { return ew.minimum(this, other); },
  eq(other: TensorLike) { return ew.compare('eq', this, other); },
  ne(other: TensorLike) { return ew.compare('ne', this, other); },
  lt(other: TensorLike) { return ew.compare('lt', this, other); },
  le(other: TensorLike) { return ew.compare('le', this, other); },
  gt(other: TensorLike) { return ew.compare('gt', this, other); },
  ge(other: TensorLike) { return ew.compare('ge', this, other); },
  where(condition: Tensor, other: TensorLike) { return ew.where(condition, this, other); },
  clamp(min?: number | null, max?: number | null) { return ew.clamp(this, min, max); },
  maskedFill(mask: Tensor, value: number) { return ew.maskedFill(this, mask, value); },
  neg() { return ew.neg(this); },
  abs() { return ew.abs(this); },
  sign() { return ew.sign(this); },
  exp() { return ew.exp(this); },
  log() { return ew.log(this); },
  sqrt() { return ew.sqrt(this); },
  rsqrt() { return ew.rsqrt(this); },
  sin() { return ew.sin(this); },
  cos() { return ew.cos(this); },
  tanh() { return ew.tanh(this); },
  sigmoid() { return ew.sigmoid(this); },
  relu() { return ew.relu(this); },
  erf() { return ew.erf(this); },
  square() { return ew.square(this); },
  reciprocal() { return ew.reciprocal(this); },
  log1p() { return ew.log1p(this); },
  expm1() { return ew.expm1(this); },
  floor() { return ew.floor(this); },
  ceil() { return ew.ceil(this); },
  round() { return ew.round(this); },
  gelu(approximate: 'none' | 'tanh' = 'none') { return ew.gelu(this, approximate); },
  sum(dim?: Dims, keepdim = false) { return rd.sum(this, dim, keepdim); },
  mean(dim?: Dims, keepdim = false) { return rd.mean(this, dim, keepdim); },
  amax(dim?: Dims, keepdim = false) { return rd.amax(this, dim, keepdim); },
  amin(dim?: Dims, keepdim = false) { return rd.amin(this, dim, keepdim); },
  max(dim?: number, keepdim = false) { return dim === undefined ? rd.amax(this) : rd.maxDim(this, dim, keepdim); },
  min(dim?: number, keepdim = false) { return dim === undefined ? rd.amin(this) : rd.minDim(this, dim, keepdim); },
  argmax(dim?: number, keepdim = false) { return rd.argmax(this, dim, keepdim); },
  argmin(dim?: number, keepdim = false) { return rd.argmin(this, dim, keepdim); },
  var(dim?: Dims, options?: VarOptions) { return rd.variance(this, dim, options); },
  std(dim?: Dims, options?: VarOptions) { return rd.std(this, dim, options); },
  norm(p = 2, dim?: Dims, keepdim = false) { return rd.norm(this, p, dim, keepdim); },
  logsumexp(dim: Dims, keepdim = false) { return rd.logsumexp(this, dim, keepdim); },
  matmul(other: Tensor) { return matmul(this, other); },
  reshape(...shape: ShapeArgs) { return vw.reshape(this, shapeArgs(shape)); },
  view(...shape: ShapeArgs) { return vw.view(this, shapeArgs(shape)); },
  transpose(dim0: number, dim1: number) { return vw.transpose(this, dim0, dim1); },
  t() { return vw.t(this); },
  permute(...dims: ShapeArgs) { return vw.permute(this, shapeArgs(dims)); },
  expand(...shape: ShapeArgs) { return vw.expand(this, shapeArgs(shape)); },
  expandAs(other: Tensor) { return vw.expand(this, other.shape); },
  squeeze(dim?: number | readonly number[]) { return vw.squeeze(this, dim); },
  unsqueeze(dim: number) { return vw.unsqueeze(this, dim); },
  flatten(startDim = 0, endDim = -1) { return vw.flatten(this, startDim, endDim); },
  narrow(dim: number, start: number, length: number) { return vw.narrow(this, dim, start, length); },
  slice(dim: number, start?: number, end?: number, step?: number) { return vw.slice(this, dim, start, end, step); },
  select(dim: number, index: number) { return vw.select(this, dim, index); },
  flip(dims: number | readonly number[]) { return vw.flip(this, dims); },
  cat(others: readonly Tensor[], dim = 0) { return vw.cat([this, ...others], dim); },
  split(sizeOrSections: number | readonly number[], dim = 0) { return vw.split(this, sizeOrSections, dim); },
  chunk(chunks: number, dim = 0) { return vw.chunk(this, chunks, dim); },
  contiguous() { return vw.contiguous(this); },
  clone() { return vw.clone(this); },
  diag(offset = 0) { return vw.diag(this, offset); },
  diagEmbed() { return vw.diagEmbed(this); },
  tril(diagonal = 0) { return vw.tril(this, diagonal); },
  triu(diagonal = 0) { return vw.triu(this, diagonal); },
  indexSelect(dim: number, index: Tensor) { return ix.indexSelect(this, dim, index); },
  indexAdd(dim: number, index: Tensor, source: Tensor) { return ix.indexAdd(this, dim, index, source); },
  gather(dim: number, index: Tensor) { return ix.gather(this, dim, index); },
  scatterAdd(dim: number, index: Tensor, src: Tensor) { return ix.scatterAdd(this, dim, index, src); },
  softmax(dim = -1) { return act.softmax(this, dim); },
  logSoftmax(dim = -1) { return act.logSoftmax(this, dim); },
  to(target: DType | Device) {
    const to = conversionTarget(target, 'to');
    return 'device' in to ? toDevice(this, to.device) : toDType(this, to.dtype);
  },
  float() { return toDType(this, 'float32'); },
  double() { return toDType(this, 'float64'); },
  half() { return toDType(this, 'float16'); },
  bfloat16() { return toDType(this, 'bfloat16'); },
  int() { return toDType(this, 'int32'); },
  cpu() { return toDevice(this, 'cpu'); },
  newTensor(data: NestedArray | TypedArray, dtype?: DType) { return tensor(data, { dtype: dtype ?? this.dtype, device: this.device }); },
  newZeros(...shape: ShapeArgs) { return full(shapeArgs(shape), 0, { dtype: this.dtype, device: this.device }); },
  newOnes(...shape: ShapeArgs) { return full(shapeArgs(shape), 1, { dtype: this.dtype, device: this.device }); },
  newFull(shape: readonly number[], value: number) { return full(shape, value, { dtype: this.dtype, device: this.device }); },
  zerosLike() { return full(this.shape, 0, { dtype: this.dtype, device: this.device }); },
  onesLike() { return full(this.shape, 1, { dtype: this.dtype, device: this.device }); },
  copy_(src: Tensor | number) { return copyInPlace(this, src); },
  zero_() { return copyInPlace(this, 0); },
  fill_(value: number) { return copyInPlace(this, value); },
  backward(gradient?: Tensor) { runBackward(this, gradient); },
  toString() { return formatTensor(this); },
};

for (const [name, fn] of Object.entries(methods)) P[name] = fn;
Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return vw.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); } });
Object.defineProperty(Tensor.prototype, 'mT', { get(this: Tensor) { return vw.transpose(this, -2, -1); } });
// console.log / util.inspect in Node print the tensor as toString does (a plain symbol: no Node import).
Object.defineProperty(Tensor.prototype, Symbol.for('nodejs.util.inspect.custom'), { value(this: Tensor) { return formatTensor(this); } });

/** Whether ops record the graph now (exported for modules that branch on it). */
export { isGradEnabled };
