/** Creating tensors: from data, filled, ranges, identity, and seeded random draws. */
import { backendFor } from './backend';
import { allocArray, checkDType, dtypeOfArray, type Device, type DType, type TypedArray } from './dtype';
import { defaultGenerator, type Generator } from './random';
import { checkShape, contiguousStrides, formatShape, numelOf } from './shape';
import { Tensor, type NestedArray } from './tensor';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface CreateOptions extends TensorOptions {
  /** The shape to give a flat TypedArray (default: 1-D). */
  shape?: readonly number[];
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/** Wraps a typed array of the right dtype as a tensor (the array is copied onto the device). */
export function fromTypedArray(data: TypedArray, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? dtypeOfArray(data);
  const device = options.device ?? 'cpu';
  if (numelOf(shape) !== data.length) {
    throw new Error(`tensor: shape ${formatShape(shape)} needs ${numelOf(shape)} values, got ${data.length}`);
  }
  const storage = backendFor(device).fromArray(data, checkDType(dtype, 'tensor'));
  const t = new Tensor(storage, [...shape], contiguousStrides(shape), 0);
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Shape of nested arrays, checking that they are rectangular. */
function nestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: readonly number[], out: number[], dim = 0): void {
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new Error('tensor: nested data is not rectangular (found an array where a number was expected)');
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`tensor: nested data is not rectangular (expected ${shape[dim]} entries at depth ${dim})`);
  }
  for (const item of data) flattenNested(item, shape, out, dim + 1);
}

/**
 * A tensor from a number, nested arrays, or a typed array (with `shape`), as torch.tensor. The dtype defaults
 * to float32 (float64 for a Float64Array, int32 for an Int32Array).
 */
export function tensor(data: NestedArray | TypedArray, options: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    const shape = options.shape ?? [typed.length];
    const dtype = options.dtype ?? dtypeOfArray(typed);
    const converted = dtype === dtypeOfArray(typed) ? typed : allocArray(dtype, typed.length);
    if (converted !== typed) converted.set(typed);
    return fromTypedArray(converted, shape, { ...options, dtype });
  }
  const shape = nestedShape(data);
  const flat: number[] = [];
  flattenNested(data, shape, flat);
  const dtype = options.dtype ?? 'float32';
  const typed = allocArray(dtype, flat.length);
  typed.set(flat);
  return fromTypedArray(typed, options.shape ?? shape, { ...options, dtype });
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const dims = checkShape(shape, 'full');
  const dtype = options.dtype ?? 'float32';
  const storage = backendFor(options.device ?? 'cpu').full(numelOf(dims), value, dtype);
  const t = new Tensor(storage, dims, contiguousStrides(dims), 0);
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

/**
 * A shape as PyTorch's creation functions take it: the sizes as arguments (`zeros(2, 3)`) or one array
 * (`zeros([2, 3])`), either followed by options (`zeros(2, 3, { dtype: 'float64' })`).
 */
export type SizeArgs<O> = [shape: readonly number[], options?: O] | [...sizes: number[]] | [...sizes: number[], options: O];

/** Splits {@link SizeArgs} into the shape (checked) and the options. */
export function sizeArgs<O extends object>(args: readonly unknown[], what: string): { shape: number[]; options: O } {
  let rest = args.length > 0 && args[args.length - 1] === undefined ? args.slice(0, -1) : args;
  let options = {} as O;
  const last = rest[rest.length - 1];
  if (typeof last === 'object' && last !== null && !Array.isArray(last)) {
    options = last as O;
    rest = rest.slice(0, -1);
  }
  const sizes = rest.length === 1 && Array.isArray(rest[0]) ? (rest[0] as unknown[]) : rest;
  if (!sizes.every((d) => typeof d === 'number')) {
    const got = rest.map((a) => (Array.isArray(a) ? 'Array' : typeof a)).join(', ');
    throw new TypeError(`${what}: expected the sizes as numbers, ${what}(2, 3), or one array of them, ${what}([2, 3]), with options last; got (${got})`);
  }
  return { shape: checkShape(sizes as number[], what), options };
}

/** Zeros (float32 unless told): `zeros(2, 3)` or `zeros([2, 3], options)`, as torch.zeros. */
export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = sizeArgs<TensorOptions>(args, 'zeros');
  return full(shape, 0, options);
}

/** Ones (float32 unless told): `ones(2, 3)` or `ones([2, 3], options)`, as torch.ones. */
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = sizeArgs<TensorOptions>(args, 'ones');
  return full(shape, 1, options);
}

/** Values start, start+step, … below end (torch.arange); arange(n) counts 0..n−1. int32 when all integral. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must be nonzero');
  const count = Math.max(0, Math.ceil((hi - lo) / step));
  const integral = [lo, hi, step].every(Number.isInteger);
  const dtype = options.dtype ?? (integral ? 'int32' : 'float32');
  const data = allocArray(dtype, count);
  for (let i = 0; i < count; i++) data[i] = lo + i * step;
  return fromTypedArray(data, [count], { ...options, dtype });
}

/** count evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, count: number, options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? 'float32';
  const data = allocArray(dtype, count);
  for (let i = 0; i < count; i++) data[i] = count === 1 ? start : start + ((end - start) * i) / (count - 1);
  return fromTypedArray(data, [count], { ...options, dtype });
}

/** The n×m identity (m defaults to n); `eye(n, options)` works too. */
export function eye(n: number, m: number | TensorOptions = n, options: TensorOptions = {}): Tensor {
  if (typeof m !== 'number') return eye(n, n, m);
  const dtype = options.dtype ?? 'float32';
  const data = allocArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromTypedArray(data, checkShape([n, m], 'eye'), { ...options, dtype });
}

function randomTensor(shape: readonly number[], options: RandomOptions, draw: (g: Generator) => number, what: string): Tensor {
  const dims = checkShape(shape, what);
  const dtype = options.dtype ?? 'float32';
  const generator = options.generator ?? defaultGenerator;
  const data = allocArray(dtype, numelOf(dims));
  for (let i = 0; i < data.length; i++) data[i] = draw(generator);
  return fromTypedArray(data, dims, { ...options, dtype });
}

/** The largest value below 1 of each float dtype (a draw that would round up to 1 is kept there). */
const BELOW_ONE: Partial<Record<DType, number>> = { float32: 1 - 2 ** -24, float16: 1 - 2 ** -11, bfloat16: 1 - 2 ** -8 };

/** Uniform on [0, 1): `rand(2, 3)` or `rand([2, 3], options)` (draws that would round up to 1 in the dtype are kept just below it). */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const { shape, options } = sizeArgs<RandomOptions>(args, 'rand');
  const below = BELOW_ONE[options.dtype ?? 'float32'] ?? 1;
  return randomTensor(shape, options, (g) => Math.min(g.random(), below), 'rand');
}

/** Standard normal: `randn(2, 3)` or `randn([2, 3], options)`, as torch.randn. */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const { shape, options } = sizeArgs<RandomOptions>(args, 'randn');
  return randomTensor(shape, options, (g) => g.normal(), 'randn');
}

/** Uniform integers in [low, high) (int32 by default). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new Error(`randint: expected low < high, got low=${low}, high=${high}`);
  return randomTensor(shape, { dtype: 'int32', ...options }, (g) => g.randint(low, high), 'randint');
}

/** A random permutation of 0..n−1 (int32), as torch.randperm. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const data = (options.generator ?? defaultGenerator).permutation(n);
  return fromTypedArray(data, [n], { ...options, dtype: options.dtype ?? 'int32' });
}

const like = (t: Tensor, options: TensorOptions): TensorOptions => ({ dtype: t.dtype, device: t.device, ...options });
export const zerosLike = (t: Tensor, options: TensorOptions = {}) => zeros(t.shape, like(t, options));
export const onesLike = (t: Tensor, options: TensorOptions = {}) => ones(t.shape, like(t, options));
export const fullLike = (t: Tensor, value: number, options: TensorOptions = {}) => full(t.shape, value, like(t, options));
export const randLike = (t: Tensor, options: RandomOptions = {}) => rand(t.shape, { ...like(t, options), ...options });
export const randnLike = (t: Tensor, options: RandomOptions = {}) => randn(t.shape, { ...like(t, options), ...options });
/** Uniform integers in [low, high) with t's shape (and dtype, unless given), as torch.randint_like. */
export const randintLike = (t: Tensor, low: number, high: number, options: RandomOptions = {}) =>
  randint(low, high, t.shape, { ...like(t, options), ...options });
