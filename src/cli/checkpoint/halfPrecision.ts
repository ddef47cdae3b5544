/**
 * Half-precision (F16 / BF16) bases in the `frod` command, as PyTorch + PEFT handle them:
 *
 * - The math runs in float64 (projections, U, λ, W') as for any base.
 * - A value goes to half precision the way PyTorch's `tensor.to(torch.bfloat16)` / `.to(torch.float16)`
 *   takes a float64 tensor there: to float32 first, then to the 16-bit format, each step rounding to nearest,
 *   ties to even (measured against PyTorch in test/cli/halfPrecision.test.ts: a direct float64 → bfloat16
 *   rounding differs from PyTorch's in the rare values that lie just past a float32 tie).
 * - An adapter for a half-precision base is saved with PEFT's dtypes: V in the base dtype (PEFT casts the
 *   category's V to the weight's dtype), λ and the S values as float32 holding values already rounded to
 *   the base dtype (PEFT creates them in the base dtype, then `autocast_adapter_dtype=True` — the default of
 *   `get_peft_model` — upcasts them to float32), or in the base dtype itself when autocast is turned off.
 * - Merged weights are written in the base dtype; every other tensor keeps its bytes.
 */
import { roundToDType } from '../../frod/weights';
import type { SafeDType } from '../../nn/io/format';

/** The 16-bit float dtypes of safetensors. */
export type HalfDType = 'F16' | 'BF16';

export function isHalf(dtype: SafeDType): dtype is HalfDType {
  return dtype === 'F16' || dtype === 'BF16';
}

/**
 * `values` rounded to `dtype` as PyTorch rounds a float64 tensor to it (float32 first, then the 16-bit
 * format; both round to nearest even), returned as float64 numbers (exact: every half value is a double).
 * The engine's rounding (src/frod/weights.ts roundToDType over src/tensor/half.ts) does the work.
 */
export function roundLikeTorch(values: ArrayLike<number>, dtype: HalfDType): Float64Array {
  return roundToDType(Float64Array.from(values), dtype === 'BF16' ? 'bfloat16' : 'float16');
}
