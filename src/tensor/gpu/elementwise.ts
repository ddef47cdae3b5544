/**
 * Elementwise gpu kernels over strided views: copy (with dtype conversion), unary and binary ops, where,
 * and fill. Broadcast operands arrive as views with zero strides, so broadcasting costs nothing here.
 */
import type { BinaryOp, UnaryOp } from '../backend';
import { copyView } from '../cpu/elementwise';
import type { DType } from '../dtype';
import { numelOf } from '../shape';
import { CpuStorage, type View } from '../storage';
import { binaryLines, powLines, unaryLines } from './math';
import { runtime, type DeviceValue, type KernelArg } from './runtime';
import { checkDeviceSize, checkExactInt, checkGpuDType, deviceValue, GpuStorage, type GpuDType } from './storage';
import { indexLines, layoutKey, simplifyLayout } from './source';

const NAMES = ['a', 'b', 'c'];

/**
 * Runs a kernel reading one element of each view at the same (broadcast) position and returning
 * `body(values)`; `tag` names the op in the cache key.
 */
function mapViews(what: string, tag: string, views: readonly View[], body: (values: string[]) => string[]): DeviceValue {
  const shape = views[0].shape;
  const size = numelOf(shape);
  const buffers = views.map((v) => deviceValue(v.storage, what));
  const layout = simplifyLayout(shape, views.map((v) => v.strides));
  const operands = views.map((_, i) => ({ name: NAMES[i], strides: layout.strides[i] }));
  const key = `${tag}|${layoutKey(layout)}`;
  const args: KernelArg[] = [];
  views.forEach((v, i) => args.push(buffers[i], v.offset));
  return runtime.run(key, () => {
    const argNames = operands.flatMap(({ name }) => [name, `${name}o`]);
    const lines = [
      ...indexLines(layout.shape, operands, 'this.thread.x'),
      ...operands.map(({ name }) => `const ${name}v = ${name}[${name}i];`),
      ...body(operands.map(({ name }) => `${name}v`)),
    ];
    return { params: argNames, body: lines };
  }, size, args);
}

/** Row-major copy of a view converted to `dtype` (float → int32 truncates toward zero, as a cast does). */
export function copy(view: View, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, 'to');
  const size = numelOf(view.shape);
  const truncate = out === 'int32' && view.dtype !== 'int32';
  const value = mapViews('copy', `copy${truncate ? 'Trunc' : ''}`, [view], ([v]) => [truncate ? `return Math.trunc(${v});` : `return ${v};`]);
  const source = view.storage instanceof GpuStorage ? view.storage.hostInts : null;
  // An int32 copy of a mirrored int32 view keeps a host mirror, computed on the host from the mirror.
  const hostInts = out === 'int32' && !truncate && source !== null
    ? copyView({ ...view, storage: new CpuStorage(source, 'int32'), dtype: 'int32' }, 'int32') as Int32Array
    : null;
  return new GpuStorage(value, out, size, hostInts);
}

export function unary(op: UnaryOp, x: View, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, op);
  return new GpuStorage(mapViews(op, `u:${op}`, [x], ([v]) => unaryLines(op, v)), out, numelOf(x.shape));
}

export function binary(op: BinaryOp, a: View, b: View, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, op);
  if (out === 'int32' && op === 'div') throw new Error('div: integer division is not supported; convert to float first');
  const exactInts = out === 'int32' && a.dtype === 'int32' && b.dtype === 'int32';
  // int32 arithmetic is exact in float32 below 2^24; a fraction from pow is truncated as the cpu's Int32Array does.
  const body = (values: string[]) => (exactInts && op === 'pow'
    ? powLines(values[0], values[1], (v) => `Math.trunc(${v})`)
    : binaryLines(op, values[0], values[1]));
  return new GpuStorage(mapViews(op, `b:${op}:${exactInts}`, [a, b], body), out, numelOf(a.shape));
}

export function where(cond: View, a: View, b: View, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, 'where');
  const value = mapViews('where', 'where', [cond, a, b], ([c, x, y]) => [`if (${c} !== 0.0) { return ${x}; }`, `return ${y};`]);
  return new GpuStorage(value, out, numelOf(a.shape));
}

/** `size` elements equal to `value` (truncated for int32, as Int32Array.fill does). */
export function full(size: number, value: number, dtype: DType): GpuStorage {
  const out: GpuDType = checkGpuDType(dtype, 'full');
  checkDeviceSize(size, 'full');
  const v = out === 'int32' ? Math.trunc(value) | 0 : Math.fround(value);
  if (out === 'int32') checkExactInt(v, 'full'); // else the device value and the host mirror would differ
  const hostInts = out === 'int32' ? new Int32Array(size).fill(v) : null;
  if (!runtime.usesTextures() || size === 0) return new GpuStorage(new Float32Array(size).fill(v), out, size, hostInts);
  const filled = runtime.run('full', () => ({ params: ['v'], body: ['return v;'] }), size, [v]);
  return new GpuStorage(filled, out, size, hostInts);
}
