/**
 * PEFT's autocast_adapter_dtype (on by default in get_peft_model and from_pretrained): the trainable tensors
 * of an adapter over a float16/bfloat16 base are kept in float32, so small updates are not lost to the
 * format's 8 (bfloat16) or 11 (float16) significant bits. Frozen adapter tensors stay in the base dtype.
 */
import type { DType } from '../tensor/dtype';
import { isHalf } from '../tensor/half';

/** The dtype of an adapter's trainable tensors over a base weight of `baseDType`. */
export function trainableDType(baseDType: DType, autocast: boolean): DType {
  return autocast && isHalf(baseDType) ? 'float32' : baseDType;
}
