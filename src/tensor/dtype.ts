/**
 * Element types. float32 is the default; float64 keeps exact doubles; int32 holds indices, labels and masks;
 * float16 and bfloat16 are the half-precision formats of real checkpoints (stored as float32 values of the
 * format, see half.ts).
 */
export type DType = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int32';

/** Every dtype, in promotion order. */
export const DTYPES: readonly DType[] = ['int32', 'float16', 'bfloat16', 'float32', 'float64'];

/** Where a tensor's storage lives. */
export type Device = 'cpu' | 'gpu';

/** The typed array behind each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Allocates a zero-filled typed array for `dtype`. */
export function allocArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float16':
    case 'bfloat16':
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
  }
}

/** The dtype a typed array stores (a Float32Array is float32: half tensors always name their dtype). */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloating(dtype: DType): boolean {
  return dtype !== 'int32';
}

const RANK: Record<DType, number> = { int32: 0, float16: 1, bfloat16: 1, float32: 2, float64: 3 };

/**
 * Result dtype of a binary op between two tensors, as torch.promote_types: int32 < float16, bfloat16 <
 * float32 < float64, and float16 with bfloat16 gives float32 (neither holds the other).
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (RANK[a] === RANK[b] && a !== b) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}

/** Result dtype of a tensor op with a plain number: the tensor's, except int32 with a fraction gives float32. */
export function promoteWithScalar(dtype: DType, value: number): DType {
  return dtype === 'int32' && !Number.isInteger(value) ? 'float32' : dtype;
}

export function checkDType(dtype: string, what: string): DType {
  if ((DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new Error(`${what}: unknown dtype '${dtype}' (expected 'float32', 'float64', 'float16', 'bfloat16' or 'int32')`);
}
