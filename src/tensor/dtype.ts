/** Element types. float32 is the default; float64 keeps exact doubles; int32 holds indices, labels and masks. */
export type DType = 'float32' | 'float64' | 'int32';

/** Where a tensor's storage lives. */
export type Device = 'cpu' | 'gpu';

/** The typed array behind each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Allocates a zero-filled typed array for `dtype`. */
export function allocArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
  }
}

/** The dtype a typed array stores. */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloating(dtype: DType): boolean {
  return dtype !== 'int32';
}

const RANK: Record<DType, number> = { int32: 0, float32: 1, float64: 2 };

/** Result dtype of a binary op between two tensors (int32 < float32 < float64), as torch.promote_types. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Result dtype of a tensor op with a plain number: the tensor's, except int32 with a fraction gives float32. */
export function promoteWithScalar(dtype: DType, value: number): DType {
  return dtype === 'int32' && !Number.isInteger(value) ? 'float32' : dtype;
}

export function checkDType(dtype: string, what: string): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32') return dtype;
  throw new Error(`${what}: unknown dtype '${dtype}' (expected 'float32', 'float64' or 'int32')`);
}
