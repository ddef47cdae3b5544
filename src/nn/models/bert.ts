/**
 * A BERT encoder for sequence classification with Hugging Face's module names (BertForSequenceClassification):
 * `bert.embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm}`,
 * `bert.encoder.layer.N.attention.self.{query,key,value}`, `…attention.output.{dense,LayerNorm}`,
 * `…intermediate.dense`, `…output.{dense,LayerNorm}`, `bert.pooler.dense`, `classifier`.
 */
import { arange, zeros } from '../../tensor/create';
import { Generator } from '../../tensor/random';
import { expectTensor } from '../../tensor/expect';
import { formatShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import { Linear } from '../layers/linear';
import { LayerNorm } from '../layers/normalization';
import { Module, type LoadStateDictResult } from '../module';
import { IntermediateDense, LayerStack, SeededModel, SelfAttentionQKV, initHfWeights } from './blocks';
import { loadHfStateDict, pickConfig, type HfKeyMapping, type HfLoadOptions } from './hf';

/** BertConfig's fields in camelCase, with Hugging Face's defaults (bert-base). */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  /** Dropout before the classifier; null uses hiddenDropoutProb. */
  classifierDropout: number | null;
  numLabels: number;
  /** Seed of the model's Generator (weight init and dropout). */
  seed: number;
}

export const BERT_DEFAULTS: BertConfig = {
  vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072,
  hiddenAct: 'gelu', hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 512,
  typeVocabSize: 2, initializerRange: 0.02, layerNormEps: 1e-12, padTokenId: 0, classifierDropout: null,
  numLabels: 2, seed: 0,
};

/** A BertConfig from a Hugging Face config.json object (snake_case; num_labels from id2label when absent). */
export function bertConfigFromHf(json: Record<string, unknown>): Partial<BertConfig> {
  return pickConfig(json, BERT_DEFAULTS);
}

export interface BertInputs {
  /** 1 for tokens to attend to, 0 for padding (B, T). */
  attentionMask?: Tensor | null;
  /** Segment ids (B, T), zeros by default. */
  tokenTypeIds?: Tensor | null;
}

export class BertEmbeddings extends Module {
  declare word_embeddings: Embedding;
  declare position_embeddings: Embedding;
  declare token_type_embeddings: Embedding;
  declare LayerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(readonly config: BertConfig, generator: Generator) {
    super();
    const { vocabSize, hiddenSize, maxPositionEmbeddings, typeVocabSize, padTokenId } = config;
    this.registerModule('word_embeddings', new Embedding(vocabSize, hiddenSize, { paddingIdx: padTokenId, generator }));
    this.registerModule('position_embeddings', new Embedding(maxPositionEmbeddings, hiddenSize, { generator }));
    this.registerModule('token_type_embeddings', new Embedding(typeVocabSize, hiddenSize, { generator }));
    this.registerModule('LayerNorm', new LayerNorm(hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb, { generator }));
  }

  /** inputIds (B, T) int32 → word + position + token-type embeddings, normalised (B, T, hidden). */
  override forward(inputIds: Tensor, tokenTypeIds?: Tensor | null): Tensor {
    const length = inputIds.shape[1];
    if (length > this.config.maxPositionEmbeddings) {
      throw new Error(`BERT: sequence length ${length} exceeds max_position_embeddings ${this.config.maxPositionEmbeddings}`);
    }
    const positions = arange(length, undefined, 1, { dtype: 'int32' });
    const types = tokenTypeIds ?? zeros([...inputIds.shape], { dtype: 'int32' });
    const sum = this.word_embeddings.forward(inputIds)
      .add(this.token_type_embeddings.forward(types))
      .add(this.position_embeddings.forward(positions));
    return this.dropout.forward(this.LayerNorm.forward(sum));
  }
}

export class BertSelfAttention extends SelfAttentionQKV {}

/** dense → dropout → LayerNorm(· + residual): BertSelfOutput and BertOutput. */
class DenseAddNorm extends Module {
  declare dense: Linear;
  declare LayerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(inFeatures: number, config: BertConfig, generator: Generator) {
    super();
    this.registerModule('dense', new Linear(inFeatures, config.hiddenSize, { generator }));
    this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb, { generator }));
  }

  override forward(hidden: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dropout.forward(this.dense.forward(hidden)).add(residual));
  }
}

export class BertSelfOutput extends DenseAddNorm {}
export class BertOutput extends DenseAddNorm {}

export class BertAttention extends Module {
  declare self: BertSelfAttention;
  declare output: BertSelfOutput;

  constructor(config: BertConfig, generator: Generator) {
    super();
    this.registerModule('self', new BertSelfAttention(config.hiddenSize, config.numAttentionHeads, {
      dropout: config.attentionProbsDropoutProb, generator,
    }));
    this.registerModule('output', new BertSelfOutput(config.hiddenSize, config, generator));
  }

  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    return this.output.forward(this.self.forward(hidden, attentionMask), hidden);
  }
}

export class BertIntermediate extends IntermediateDense {}

/** Post-norm block: h = LN(h + attn(h)); h = LN(h + ffn(h)). */
export class BertLayer extends Module {
  declare attention: BertAttention;
  declare intermediate: BertIntermediate;
  declare output: BertOutput;

  constructor(config: BertConfig, generator: Generator) {
    super();
    this.registerModule('attention', new BertAttention(config, generator));
    this.registerModule('intermediate', new BertIntermediate(config, generator));
    this.registerModule('output', new BertOutput(config.intermediateSize, config, generator));
  }

  override forward(hidden: Tensor, attentionMask?: Tensor | null): Tensor {
    const attended = this.attention.forward(hidden, attentionMask);
    return this.output.forward(this.intermediate.forward(attended), attended);
  }
}

export class BertEncoder extends LayerStack<BertLayer> {
  constructor(config: BertConfig, generator: Generator) {
    super(config.numHiddenLayers, () => new BertLayer(config, generator));
  }
}

/** tanh(dense(h[:, 0])): the [CLS] summary. */
export class BertPooler extends Module {
  declare dense: Linear;

  constructor(config: BertConfig, generator: Generator) {
    super();
    this.registerModule('dense', new Linear(config.hiddenSize, config.hiddenSize, { generator }));
  }

  override forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

/** Hugging Face BERT checkpoints' keys: with or without `bert.`; buffers we compute are dropped. */
const BERT_HF_KEYS: HfKeyMapping = { basePrefix: 'bert.', ignore: [/(^|\.)position_ids$/, /(^|\.)token_type_ids$/] };

export class BertModel extends Module {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'bert';
  declare embeddings: BertEmbeddings;
  declare encoder: BertEncoder;
  declare pooler: BertPooler;
  readonly config: BertConfig;

  /**
   * @param config a partial config: Hugging Face's defaults (bert-base) fill the rest
   * @param generator the random stream of an enclosing model, which then initialises the weights; without
   *   it the model stands alone, seeded by `config.seed` and initialised as Hugging Face's BertModel
   */
  constructor(config: Partial<BertConfig> = {}, generator?: Generator) {
    super();
    this.config = { ...BERT_DEFAULTS, ...config };
    const stream = generator ?? new Generator(this.config.seed);
    this.registerModule('embeddings', new BertEmbeddings(this.config, stream));
    this.registerModule('encoder', new BertEncoder(this.config, stream));
    this.registerModule('pooler', new BertPooler(this.config, stream));
    if (!generator) initHfWeights(this, this.config.initializerRange, stream);
  }

  /** Loads a Hugging Face BERT state dict, as BertForSequenceClassification.loadHf (keys with or without `bert.`). */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, BERT_HF_KEYS, options);
  }

  /** inputIds (B, T) int32 → { lastHiddenState (B, T, hidden), poolerOutput (B, hidden) }. */
  override forward(inputIds: Tensor, inputs: BertInputs = {}): { lastHiddenState: Tensor; poolerOutput: Tensor } {
    expectTensor(inputIds, 'BERT', 'input ids (batch, seq) int32');
    if (inputIds.ndim !== 2 || inputIds.dtype !== 'int32') {
      throw new Error(`BERT: expected int32 input ids (batch, seq), got ${inputIds.dtype} ${formatShape(inputIds.shape)}`);
    }
    const hidden = this.encoder.forward(this.embeddings.forward(inputIds, inputs.tokenTypeIds), inputs.attentionMask);
    return { lastHiddenState: hidden, poolerOutput: this.pooler.forward(hidden) };
  }
}

export class BertForSequenceClassification extends SeededModel<BertConfig> {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'bert';
  declare bert: BertModel;
  declare dropout: Dropout;
  declare classifier: Linear;

  constructor(config: Partial<BertConfig> = {}) {
    super({ ...BERT_DEFAULTS, ...config });
    const { hiddenSize, numLabels, classifierDropout, hiddenDropoutProb } = this.config;
    this.registerModule('bert', new BertModel(this.config, this.generator));
    this.registerModule('dropout', new Dropout(classifierDropout ?? hiddenDropoutProb, { generator: this.generator }));
    this.registerModule('classifier', new Linear(hiddenSize, numLabels, { generator: this.generator }));
    initHfWeights(this, this.config.initializerRange, this.generator);
  }

  /** inputIds (B, T) int32, with optional attention mask and token types → logits (B, numLabels). */
  override forward(inputIds: Tensor, inputs: BertInputs = {}): Tensor {
    return this.classifier.forward(this.dropout.forward(this.bert.forward(inputIds, inputs).poolerOutput));
  }

  /**
   * Loads a Hugging Face BERT state dict: BertForSequenceClassification keys, or BertModel keys without
   * `bert.`; `position_ids` / `token_type_ids` buffers are ignored; gamma/beta LayerNorm names are accepted.
   * A pre-training checkpoint's `cls.*` heads are unexpected here: load it with strict false.
   */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, BERT_HF_KEYS, options);
  }
}
