/**
 * Multi-head self-attention with separate q/k/v projections and an output projection, named as in many
 * Hugging Face models (`q_proj`, `k_proj`, `v_proj`, `out_proj`) so PEFT target_modules apply unchanged.
 */
import { Generator } from '../../tensor/random';
import type { DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { mergeHeads, scaledDotProductAttention, splitHeads } from '../functional/attention';
import { Module } from '../module';
import { Linear } from './linear';

export interface MultiheadSelfAttentionOptions {
  /** Dropout on attention probabilities (training only). Default 0. */
  dropout?: number;
  bias?: boolean;
  /** Every query attends only to earlier positions (a decoder). Default false. */
  causal?: boolean;
  dtype?: DType;
  generator?: Generator;
}

export interface SelfAttentionCall {
  /** Hugging Face attention_mask (B, T) of 1 (attend) / 0 (padding), or a keep-mask broadcastable to (B, H, T, T). */
  attentionMask?: Tensor | null;
}

export class MultiheadSelfAttention extends Module {
  declare q_proj: Linear;
  declare k_proj: Linear;
  declare v_proj: Linear;
  declare out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly causal: boolean;
  readonly generator: Generator;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadSelfAttentionOptions = {}) {
    super();
    if (embedDim % numHeads !== 0) {
      throw new Error(`MultiheadSelfAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    this.causal = options.causal ?? false;
    this.generator = options.generator ?? new Generator(0);
    const linear = { bias: options.bias, dtype: options.dtype, generator: options.generator };
    for (const name of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) this.registerModule(name, new Linear(embedDim, embedDim, linear));
  }

  /** x (B, T, E) → (B, T, E). */
  override forward(x: Tensor, call: SelfAttentionCall = {}): Tensor {
    const heads = (proj: Linear) => splitHeads(proj.forward(x), this.numHeads);
    const context = scaledDotProductAttention(heads(this.q_proj), heads(this.k_proj), heads(this.v_proj), {
      attentionMask: call.attentionMask,
      causal: this.causal,
      dropoutP: this.dropout,
      training: this.training,
      generator: this.generator,
    });
    return this.out_proj.forward(mergeHeads(context));
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, causal=${this.causal ? 'True' : 'False'}`;
  }
}
