/**
 * Checking that a value is a Tensor where an op or a module's forward starts, so that a nested array, a
 * typed array or a number passed where a Tensor belongs fails with a message that says what to write
 * ("Linear: expected a Tensor as input, got Array: wrap it with tensor(…)") instead of a TypeError from
 * deep inside the engine.
 */
import { checkDType, type Device, type DType } from './dtype';
import { Tensor } from './tensor';

/** A value's kind as messages name it: Array, Float32Array, number, undefined, null, or its class. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'Object';
  return typeof value;
}

/** What to write instead of a non-tensor `value`, when there is an obvious fix. */
function remedy(value: unknown): string {
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'number') return ': wrap it with tensor(…)';
  return '';
}

/**
 * Throws a TypeError unless `value` is a Tensor. `what` names the op or module (`'Linear'`, `'add'`) and
 * `role` the argument (`'input'`, `'target'`, `'the other operand'`).
 */
export function expectTensor(value: unknown, what: string, role = 'input'): asserts value is Tensor {
  if (value instanceof Tensor) return;
  throw new TypeError(`${what}: expected a Tensor as ${role}, got ${kindOf(value)}${remedy(value)}`);
}

/** Device names of other frameworks (torch's cuda, mps, xpu, …), which frod-ts does not have. */
const FOREIGN_DEVICE = /^(cuda|mps|xpu|hip|xla|meta|vulkan|opengl|opencl|ipu|hpu|npu|mtia)(:\d+)?$/i;

/**
 * What `.to(target)` converts to: a device ('cpu', 'gpu') or a dtype. Another framework's device name
 * ('cuda', 'mps', …) says which devices there are; anything else gets checkDType's message, which lists the
 * dtypes, with the devices added.
 */
export function conversionTarget(target: unknown, what: string): { device: Device } | { dtype: DType } {
  if (target === 'cpu' || target === 'gpu') return { device: target };
  if (typeof target === 'string' && FOREIGN_DEVICE.test(target)) {
    throw new Error(`${what}: there is no device '${target}' in frod-ts: its devices are 'cpu' and 'gpu' (through gpu.js; there is no CUDA); write .to('gpu')`);
  }
  try {
    return { dtype: checkDType(String(target), what) };
  } catch (err) {
    throw new Error(`${(err as Error).message}, or a device ('cpu' or 'gpu')`);
  }
}
