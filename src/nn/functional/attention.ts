/** Scaled dot-product attention with padding and causal masks, and the head split/merge reshapes. */
import { ones } from '../../tensor/create';
import type { DType } from '../../tensor/dtype';
import type { Generator } from '../../tensor/random';
import { formatShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { dropout } from './activation';

const FINFO_MIN: Partial<Record<DType, number>> = {
  float64: -Number.MAX_VALUE, float32: -3.4028234663852886e38, bfloat16: -3.3895313892515355e38, float16: -65504,
};

/** The most negative finite value of a float dtype (torch.finfo(dtype).min), used to mask scores. */
export function finfoMin(dtype: DType): number {
  return FINFO_MIN[dtype] ?? -3.4028234663852886e38;
}

/** (B, T, H·D) → (B, H, T, D). */
export function splitHeads(x: Tensor, numHeads: number): Tensor {
  const [batch, length, width] = x.shape;
  if (x.ndim !== 3 || width % numHeads !== 0) {
    throw new Error(`splitHeads: expected (batch, seq, ${numHeads}·headDim), got ${formatShape(x.shape)}`);
  }
  return x.reshape(batch, length, numHeads, width / numHeads).permute(0, 2, 1, 3);
}

/** (B, H, T, D) → (B, T, H·D). */
export function mergeHeads(x: Tensor): Tensor {
  const [batch, heads, length, headDim] = x.shape;
  return x.permute(0, 2, 1, 3).reshape(batch, length, heads * headDim);
}

export interface AttentionOptions {
  /**
   * Which keys each query may attend to (nonzero = attend): a Hugging Face `attention_mask` (B, Tk) of 1/0,
   * or any keep-mask broadcastable to the scores (B, H, Tq, Tk).
   */
  attentionMask?: Tensor | null;
  /** Query i attends only to keys j ≤ i (decoders). */
  causal?: boolean;
  /** Dropout on the attention probabilities (training only). */
  dropoutP?: number;
  training?: boolean;
  generator?: Generator;
  /** Score scale; default 1/√headDim. */
  scale?: number;
}

/** The masked-out positions (int32 1 = masked) broadcastable to (B, H, Tq, Tk), or null when none. */
export function attentionBlockMask(scores: Tensor, options: AttentionOptions): Tensor | null {
  const [tq, tk] = scores.shape.slice(-2);
  let blocked: Tensor | null = null;
  if (options.attentionMask) {
    const mask = options.attentionMask;
    const keep = mask.ndim === 2 ? mask.reshape(mask.shape[0], 1, 1, mask.shape[1]) : mask;
    if (keep.shape[keep.ndim - 1] !== tk) {
      throw new Error(`attention: attention mask of shape ${formatShape(mask.shape)} does not match ${tk} keys`);
    }
    blocked = keep.eq(0);
  }
  if (options.causal) {
    // Key j is hidden from query i when j > i + (tk − tq) (queries are the last tq positions).
    const future = ones([tq, tk], { dtype: 'int32', device: scores.device }).triu(tk - tq + 1);
    blocked = blocked ? blocked.maximum(future) : future;
  }
  return blocked;
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q (..., Tq, D), k (..., Tk, D), v (..., Tk, Dv) → (..., Tq, Dv). Masked
 * scores are set to the dtype's most negative value, as Hugging Face models do, so a fully masked row
 * averages uniformly instead of producing NaN.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]);
  let scores = q.matmul(k.transpose(-1, -2)).mul(scale);
  const blocked = attentionBlockMask(scores, options);
  if (blocked) scores = scores.maskedFill(blocked, finfoMin(scores.dtype));
  let probs = scores.softmax(-1);
  if (options.dropoutP) {
    probs = dropout(probs, options.dropoutP, { training: options.training ?? true, generator: options.generator });
  }
  return probs.matmul(v);
}
