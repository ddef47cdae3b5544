/**
 * Pieces shared by the models: the q/k/v self-attention, the intermediate dense + activation and the encoder's
 * stack of layers (BERT, ViT), the seeded top-level model and Hugging Face-style weight init.
 */
import { noGrad } from '../../autograd/graph';
import { Generator } from '../../tensor/random';
import type { Tensor } from '../../tensor/tensor';
import { activationByName } from '../functional/activation';
import { mergeHeads, scaledDotProductAttention, splitHeads } from '../functional/attention';
import { normal_, ones_, truncNormal_, zeros_ } from '../init';
import { ModuleList } from '../layers/containers';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import { Conv1D, Linear } from '../layers/linear';
import { LayerNorm } from '../layers/normalization';
import { Module } from '../module';

/** BertSelfAttention / ViTSelfAttention: `query`, `key`, `value` Linears and a dropout on the probabilities. */
export class SelfAttentionQKV extends Module {
  declare query: Linear;
  declare key: Linear;
  declare value: Linear;
  declare dropout: Dropout;

  constructor(
    readonly hiddenSize: number, readonly numAttentionHeads: number,
    options: { bias?: boolean; dropout: number; generator: Generator },
  ) {
    super();
    if (hiddenSize % numAttentionHeads !== 0) {
      throw new Error(`self-attention: hidden size (${hiddenSize}) is not a multiple of the number of attention heads (${numAttentionHeads})`);
    }
    const linear = { bias: options.bias, generator: options.generator };
    this.registerModule('query', new Linear(hiddenSize, hiddenSize, linear));
    this.registerModule('key', new Linear(hiddenSize, hiddenSize, linear));
    this.registerModule('value', new Linear(hiddenSize, hiddenSize, linear));
    this.registerModule('dropout', new Dropout(options.dropout, { generator: options.generator }));
  }

  /** hidden (B, T, H) → context (B, T, H); attentionMask (B, T) of 1/0 hides padding keys. */
  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    const heads = (proj: Linear) => splitHeads(proj.forward(hidden), this.numAttentionHeads);
    const context = scaledDotProductAttention(heads(this.query), heads(this.key), heads(this.value), {
      attentionMask,
      dropoutP: this.dropout.p,
      training: this.training,
      generator: this.dropout.generator,
    });
    return mergeHeads(context);
  }
}

/** BertIntermediate / ViTIntermediate: `dense` (hidden → intermediate) followed by the hidden activation. */
export class IntermediateDense extends Module {
  declare dense: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: { hiddenSize: number; intermediateSize: number; hiddenAct: string }, generator: Generator) {
    super();
    this.act = activationByName(config.hiddenAct);
    this.registerModule('dense', new Linear(config.hiddenSize, config.intermediateSize, { generator }));
  }

  /** hidden (…, hiddenSize) → (…, intermediateSize). */
  override forward(hidden: Tensor): Tensor {
    return this.act(this.dense.forward(hidden));
  }
}

/** A block of an encoder stack: hidden (B, T, H) and an optional padding mask → hidden (B, T, H). */
export interface EncoderBlock extends Module {
  forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor;
}

/** BertEncoder / ViTEncoder: `layer`, a ModuleList of numHiddenLayers blocks applied one after another. */
export class LayerStack<L extends EncoderBlock> extends Module {
  declare layer: ModuleList<L>;

  /** makeLayer is called numHiddenLayers times, in order (so the layers draw their weights in order). */
  constructor(numHiddenLayers: number, makeLayer: () => L) {
    super();
    this.registerModule('layer', new ModuleList(Array.from({ length: numHiddenLayers }, makeLayer)));
  }

  /** hidden (B, T, H) → (B, T, H); attentionMask (B, T) of 1/0 is passed to every layer. */
  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    let h = hidden;
    for (const layer of this.layer) h = layer.forward(h, attentionMask);
    return h;
  }
}

/** A top-level model built from a config: it keeps the config and a Generator seeded with `config.seed`. */
export abstract class SeededModel<C extends { seed: number }> extends Module {
  readonly config: C;
  /** The model's random stream: weight init, then dropout. */
  readonly generator: Generator;

  /** @param config the full config (the model's defaults overridden by the caller's fields) */
  protected constructor(config: C) {
    super();
    this.config = config;
    this.generator = new Generator(config.seed);
  }
}

/**
 * Hugging Face's `_init_weights` for BERT/ViT/GPT-2: Linear, Conv1D and Embedding weights N(0, std²)
 * (truncated to ±2 for ViT, as it uses trunc_normal_), biases zero, LayerNorm weight 1 and bias 0.
 */
export function initHfWeights(model: Module, std: number, generator: Generator, truncated = false): void {
  const draw = (t: Tensor) => (truncated ? truncNormal_(t, 0, std, -2, 2, generator) : normal_(t, 0, std, generator));
  model.apply((m) => {
    if (m instanceof Linear || m instanceof Conv1D) {
      draw(m.weight);
      if (m.bias) zeros_(m.bias);
    } else if (m instanceof Embedding) {
      draw(m.weight);
      const pad = m.paddingIdx;
      if (pad !== null) noGrad(() => m.weight.select(0, pad).zero_());
    } else if (m instanceof LayerNorm) {
      if (m.weight) ones_(m.weight);
      if (m.bias) zeros_(m.bias);
    }
  });
}
