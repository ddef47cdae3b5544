/**
 * A GPT-2 decoder with Hugging Face's module names (GPT2LMHeadModel): `transformer.{wte, wpe,
 * h.N.{ln_1, attn.{c_attn, c_proj}, ln_2, mlp.{c_fc, c_proj}}, ln_f}` and `lm_head`, whose weight is the
 * same tensor as `transformer.wte.weight`. Attention is causal; the projections are GPT-2's Conv1D
 * (weight (in, out)); the MLP uses gelu_new (tanh GELU) by default.
 */
import { arange } from '../../tensor/create';
import { Generator } from '../../tensor/random';
import { expectTensor } from '../../tensor/expect';
import { formatShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { activationByName } from '../functional/activation';
import { mergeHeads, scaledDotProductAttention, splitHeads } from '../functional/attention';
import { crossEntropy } from '../functional/loss';
import { normal_ } from '../init';
import { ModuleList } from '../layers/containers';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import { Conv1D, Linear } from '../layers/linear';
import { LayerNorm } from '../layers/normalization';
import { Module, type LoadStateDictResult } from '../module';
import { SeededModel, initHfWeights } from './blocks';
import { loadHfStateDict, pickConfig, type HfKeyMapping, type HfLoadOptions } from './hf';

/** GPT2Config's fields in camelCase (n_embd → nEmbd, …), with Hugging Face's defaults (gpt2 small). */
export interface GPT2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** MLP width; null means 4·nEmbd. */
  nInner: number | null;
  activationFunction: string;
  residPdrop: number;
  embdPdrop: number;
  attnPdrop: number;
  layerNormEpsilon: number;
  initializerRange: number;
  /** Seed of the model's Generator (weight init and dropout). */
  seed: number;
}

export const GPT2_DEFAULTS: GPT2Config = {
  vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12, nInner: null,
  activationFunction: 'gelu_new', residPdrop: 0.1, embdPdrop: 0.1, attnPdrop: 0.1, layerNormEpsilon: 1e-5,
  initializerRange: 0.02, seed: 0,
};

/** A GPT2Config from a Hugging Face config.json object (snake_case). */
export function gpt2ConfigFromHf(json: Record<string, unknown>): Partial<GPT2Config> {
  return pickConfig(json, GPT2_DEFAULTS);
}

export interface GPT2Inputs {
  /** 1 for tokens to attend to, 0 for padding (B, T); combined with the causal mask. */
  attentionMask?: Tensor | null;
}

/** Causal self-attention with a fused q/k/v projection `c_attn` (nEmbd → 3·nEmbd) and `c_proj`. */
export class GPT2Attention extends Module {
  declare c_attn: Conv1D;
  declare c_proj: Conv1D;
  declare attn_dropout: Dropout;
  declare resid_dropout: Dropout;

  constructor(readonly config: GPT2Config, generator: Generator) {
    super();
    const { nEmbd, nHead } = config;
    if (nEmbd % nHead !== 0) throw new Error(`GPT-2: n_embd (${nEmbd}) must be divisible by n_head (${nHead})`);
    this.registerModule('c_attn', new Conv1D(3 * nEmbd, nEmbd, { generator }));
    this.registerModule('c_proj', new Conv1D(nEmbd, nEmbd, { generator }));
    this.registerModule('attn_dropout', new Dropout(config.attnPdrop, { generator }));
    this.registerModule('resid_dropout', new Dropout(config.residPdrop, { generator }));
  }

  /** hidden (B, T, nEmbd) → (B, T, nEmbd). */
  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    const [q, k, v] = this.c_attn.forward(hidden).split(this.config.nEmbd, 2).map((t) => splitHeads(t, this.config.nHead));
    const context = scaledDotProductAttention(q, k, v, {
      attentionMask, causal: true, dropoutP: this.attn_dropout.p, training: this.training, generator: this.attn_dropout.generator,
    });
    return this.resid_dropout.forward(this.c_proj.forward(mergeHeads(context)));
  }
}

export class GPT2MLP extends Module {
  declare c_fc: Conv1D;
  declare c_proj: Conv1D;
  declare dropout: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: GPT2Config, generator: Generator) {
    super();
    const inner = config.nInner ?? 4 * config.nEmbd;
    this.act = activationByName(config.activationFunction);
    this.registerModule('c_fc', new Conv1D(inner, config.nEmbd, { generator }));
    this.registerModule('c_proj', new Conv1D(config.nEmbd, inner, { generator }));
    this.registerModule('dropout', new Dropout(config.residPdrop, { generator }));
  }

  override forward(hidden: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.act(this.c_fc.forward(hidden))));
  }
}

/** Pre-norm block: h = h + attn(ln_1(h)); h = h + mlp(ln_2(h)). */
export class GPT2Block extends Module {
  declare ln_1: LayerNorm;
  declare attn: GPT2Attention;
  declare ln_2: LayerNorm;
  declare mlp: GPT2MLP;

  constructor(config: GPT2Config, generator: Generator) {
    super();
    this.registerModule('ln_1', new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon }));
    this.registerModule('attn', new GPT2Attention(config, generator));
    this.registerModule('ln_2', new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon }));
    this.registerModule('mlp', new GPT2MLP(config, generator));
  }

  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    const attended = hidden.add(this.attn.forward(this.ln_1.forward(hidden), attentionMask));
    return attended.add(this.mlp.forward(this.ln_2.forward(attended)));
  }
}

/** Hugging Face GPT-2 checkpoints' keys: with or without `transformer.`; the causal-mask buffers are dropped. */
const GPT2_HF_KEYS: HfKeyMapping = { basePrefix: 'transformer.', ignore: [/(^|\.)attn\.(bias|masked_bias)$/] };

/**
 * Hugging Face's GPT-2 init: N(0, initializerRange²) weights, then the scaled init of the residual
 * projections, N(0, (initializerRange / √(2·nLayer))²).
 */
function initGpt2Weights(transformer: GPT2Model, generator: Generator): void {
  const { initializerRange, nLayer } = transformer.config;
  initHfWeights(transformer, initializerRange, generator);
  for (const [name, p] of transformer.namedParameters()) {
    if (name.endsWith('c_proj.weight')) normal_(p, 0, initializerRange / Math.sqrt(2 * nLayer), generator);
  }
}

export class GPT2Model extends Module {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'gpt2';
  declare wte: Embedding;
  declare wpe: Embedding;
  declare drop: Dropout;
  declare h: ModuleList<GPT2Block>;
  declare ln_f: LayerNorm;
  readonly config: GPT2Config;

  /**
   * @param config a partial config: Hugging Face's defaults (gpt2 small) fill the rest
   * @param generator the random stream of an enclosing model, which then initialises the weights; without
   *   it the model stands alone, seeded by `config.seed` and initialised as Hugging Face's GPT2Model
   */
  constructor(config: Partial<GPT2Config> = {}, generator?: Generator) {
    super();
    const full = (this.config = { ...GPT2_DEFAULTS, ...config });
    const stream = generator ?? new Generator(full.seed);
    this.registerModule('wte', new Embedding(full.vocabSize, full.nEmbd, { generator: stream }));
    this.registerModule('wpe', new Embedding(full.nPositions, full.nEmbd, { generator: stream }));
    this.registerModule('drop', new Dropout(full.embdPdrop, { generator: stream }));
    this.registerModule('h', new ModuleList(Array.from({ length: full.nLayer }, () => new GPT2Block(full, stream))));
    this.registerModule('ln_f', new LayerNorm(full.nEmbd, { eps: full.layerNormEpsilon }));
    if (!generator) initGpt2Weights(this, stream);
  }

  /**
   * Loads a Hugging Face GPT-2 state dict (GPT2Model keys, or GPT2LMHeadModel keys with `transformer.`);
   * an `lm_head.weight` is dropped: it is the tied `wte.weight`.
   */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, { ...GPT2_HF_KEYS, ignore: [...(GPT2_HF_KEYS.ignore ?? []), /^lm_head\.weight$/] }, options);
  }

  /** inputIds (B, T) int32 → hidden states (B, T, nEmbd). */
  override forward(inputIds: Tensor, inputs: GPT2Inputs = {}): Tensor {
    expectTensor(inputIds, 'GPT-2', 'input ids (batch, seq) int32');
    if (inputIds.ndim !== 2 || inputIds.dtype !== 'int32') {
      throw new Error(`GPT-2: expected int32 input ids (batch, seq), got ${inputIds.dtype} ${formatShape(inputIds.shape)}`);
    }
    const length = inputIds.shape[1];
    if (length > this.config.nPositions) throw new Error(`GPT-2: sequence length ${length} exceeds n_positions ${this.config.nPositions}`);
    const positions = arange(length, undefined, 1, { dtype: 'int32' });
    let h = this.drop.forward(this.wte.forward(inputIds).add(this.wpe.forward(positions)));
    for (const block of this.h) h = block.forward(h, inputs.attentionMask);
    return this.ln_f.forward(h);
  }
}

export class GPT2LMHeadModel extends SeededModel<GPT2Config> {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'gpt2';
  declare transformer: GPT2Model;
  declare lm_head: Linear;

  constructor(config: Partial<GPT2Config> = {}) {
    super({ ...GPT2_DEFAULTS, ...config });
    const { nEmbd, vocabSize } = this.config;
    this.registerModule('transformer', new GPT2Model(this.config, this.generator));
    this.registerModule('lm_head', new Linear(nEmbd, vocabSize, { bias: false, generator: this.generator }));
    initGpt2Weights(this.transformer, this.generator);
    this.tieWeights();
  }

  /** Makes lm_head.weight the very tensor transformer.wte.weight (as tie_word_embeddings). */
  tieWeights(): void {
    this.lm_head.registerParameter('weight', this.transformer.wte.weight);
  }

  /** inputIds (B, T) int32 → next-token logits (B, T, vocabSize). */
  override forward(inputIds: Tensor, inputs: GPT2Inputs = {}): Tensor {
    return this.lm_head.forward(this.transformer.forward(inputIds, inputs));
  }

  /**
   * Loads a Hugging Face GPT-2 state dict: GPT2LMHeadModel keys, or GPT2Model keys without `transformer.`
   * (as the Hub's gpt2 checkpoint); the `attn.bias` / `attn.masked_bias` mask buffers are ignored; a missing
   * `lm_head.weight` is filled from the tied `wte.weight`.
   */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, { ...GPT2_HF_KEYS, tied: [['transformer.wte.weight', 'lm_head.weight']] }, options);
  }
}

/**
 * The causal language-modelling loss of Hugging Face: logits (B, T, V) at position t predict labels at t + 1;
 * labels equal to −100 (e.g. padding) are ignored.
 */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  const [batch, length, vocab] = logits.shape;
  if (labels.ndim !== 2 || labels.shape[0] !== batch || labels.shape[1] !== length) {
    throw new Error(`causalLmLoss: labels of shape ${formatShape(labels.shape)} do not match logits ${formatShape(logits.shape)}`);
  }
  const shiftedLogits = logits.narrow(1, 0, length - 1).reshape(-1, vocab);
  const shiftedLabels = labels.narrow(1, 1, length - 1).reshape(-1);
  return crossEntropy(shiftedLogits, shiftedLabels, { ignoreIndex: -100 });
}
