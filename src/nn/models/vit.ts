/**
 * A Vision Transformer for image classification with Hugging Face's ViT module names
 * (ViTForImageClassification): `vit.embeddings.{cls_token, position_embeddings, patch_embeddings.projection}`,
 * `vit.encoder.layer.N.{layernorm_before, attention.attention.{query,key,value}, attention.output.dense,
 * layernorm_after, intermediate.dense, output.dense}`, `vit.layernorm`, `classifier`.
 *
 * One difference from Hugging Face: the patch projection is a Linear over flattened (C, p, p) patches
 * (weight (hidden, C·p·p)) instead of a Conv2d with kernel = stride = p (weight (hidden, C, p, p)). The two
 * compute the same thing; loadHf reshapes a Conv2d weight and hfStateDict reshapes it back.
 */
import { zeros } from '../../tensor/create';
import { Generator } from '../../tensor/random';
import { expectTensor } from '../../tensor/expect';
import { formatShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { truncNormal_ } from '../init';
import { Dropout } from '../layers/dropout';
import { Linear } from '../layers/linear';
import { LayerNorm } from '../layers/normalization';
import { Module, parameter, type LoadStateDictResult } from '../module';
import { IntermediateDense, LayerStack, SeededModel, SelfAttentionQKV, initHfWeights } from './blocks';
import { loadHfStateDict, pickConfig, type HfKeyMapping, type HfLoadOptions } from './hf';

/** ViTConfig's fields in camelCase, with Hugging Face's defaults (ViT-Base/16 at 224 pixels). */
export interface ViTConfig {
  imageSize: number;
  patchSize: number;
  numChannels: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  initializerRange: number;
  layerNormEps: number;
  qkvBias: boolean;
  numLabels: number;
  /** Seed of the model's Generator (weight init and dropout). */
  seed: number;
}

export const VIT_DEFAULTS: ViTConfig = {
  imageSize: 224, patchSize: 16, numChannels: 3, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
  intermediateSize: 3072, hiddenAct: 'gelu', hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
  initializerRange: 0.02, layerNormEps: 1e-12, qkvBias: true, numLabels: 2, seed: 0,
};

/** A ViTConfig from a Hugging Face config.json object (snake_case; num_labels from id2label when absent). */
export function vitConfigFromHf(json: Record<string, unknown>): Partial<ViTConfig> {
  return pickConfig(json, VIT_DEFAULTS);
}

/** Cuts images (B, C, H, W) into flattened patches (B, (H/p)·(W/p), C·p·p), row by row. */
export function patchify(pixels: Tensor, patchSize: number): Tensor {
  const [batch, channels, height, width] = pixels.shape;
  const p = patchSize;
  if (pixels.ndim !== 4 || height % p !== 0 || width % p !== 0) {
    throw new Error(`patchify: expected images (B, C, H, W) with H and W multiples of ${p}, got ${formatShape(pixels.shape)}`);
  }
  return pixels
    .reshape(batch, channels, height / p, p, width / p, p)
    .permute(0, 2, 4, 1, 3, 5)
    .reshape(batch, (height / p) * (width / p), channels * p * p);
}

export class ViTPatchEmbeddings extends Module {
  declare projection: Linear;
  readonly numPatches: number;

  constructor(readonly config: ViTConfig, generator: Generator) {
    super();
    const { imageSize, patchSize, numChannels, hiddenSize } = config;
    if (imageSize % patchSize !== 0) throw new Error(`ViT: image size ${imageSize} is not a multiple of patch size ${patchSize}`);
    this.numPatches = (imageSize / patchSize) ** 2;
    this.registerModule('projection', new Linear(numChannels * patchSize * patchSize, hiddenSize, { generator }));
  }

  /** pixels (B, C, H, W) → (B, numPatches, hidden). */
  override forward(pixels: Tensor): Tensor {
    const { numChannels, imageSize } = this.config;
    if (pixels.shape[1] !== numChannels || pixels.shape[2] !== imageSize || pixels.shape[3] !== imageSize) {
      throw new Error(`ViT: expected images (B, ${numChannels}, ${imageSize}, ${imageSize}), got ${formatShape(pixels.shape)}`);
    }
    return this.projection.forward(patchify(pixels, this.config.patchSize));
  }
}

export class ViTEmbeddings extends Module {
  declare cls_token: Tensor;
  declare position_embeddings: Tensor;
  declare patch_embeddings: ViTPatchEmbeddings;
  declare dropout: Dropout;

  constructor(config: ViTConfig, generator: Generator) {
    super();
    const patches = new ViTPatchEmbeddings(config, generator);
    this.registerParameter('cls_token', parameter(zeros([1, 1, config.hiddenSize])));
    this.registerParameter('position_embeddings', parameter(zeros([1, patches.numPatches + 1, config.hiddenSize])));
    this.registerModule('patch_embeddings', patches);
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb, { generator }));
  }

  /** pixels (B, C, H, W) → [CLS; patches] + positions, (B, 1 + numPatches, hidden). */
  override forward(pixels: Tensor): Tensor {
    const patches = this.patch_embeddings.forward(pixels);
    const cls = this.cls_token.expand(patches.shape[0], 1, patches.shape[2]);
    return this.dropout.forward(cls.cat([patches], 1).add(this.position_embeddings));
  }
}

/** dense then dropout (the residual is added by ViTLayer). */
class DenseDropout extends Module {
  declare dense: Linear;
  declare dropout: Dropout;

  constructor(inFeatures: number, outFeatures: number, p: number, generator: Generator) {
    super();
    this.registerModule('dense', new Linear(inFeatures, outFeatures, { generator }));
    this.registerModule('dropout', new Dropout(p, { generator }));
  }

  override forward(x: Tensor): Tensor {
    return this.dropout.forward(this.dense.forward(x));
  }
}

export class ViTSelfAttention extends SelfAttentionQKV {}
export class ViTSelfOutput extends DenseDropout {}
export class ViTOutput extends DenseDropout {}

export class ViTAttention extends Module {
  declare attention: ViTSelfAttention;
  declare output: ViTSelfOutput;

  constructor(config: ViTConfig, generator: Generator) {
    super();
    this.registerModule('attention', new ViTSelfAttention(config.hiddenSize, config.numAttentionHeads, {
      bias: config.qkvBias, dropout: config.attentionProbsDropoutProb, generator,
    }));
    this.registerModule('output', new ViTSelfOutput(config.hiddenSize, config.hiddenSize, config.hiddenDropoutProb, generator));
  }

  override forward(hidden: Tensor): Tensor {
    return this.output.forward(this.attention.forward(hidden));
  }
}

export class ViTIntermediate extends IntermediateDense {}

/** Pre-norm block: h = h + attn(LN(h)); h = h + mlp(LN(h)). */
export class ViTLayer extends Module {
  declare attention: ViTAttention;
  declare intermediate: ViTIntermediate;
  declare output: ViTOutput;
  declare layernorm_before: LayerNorm;
  declare layernorm_after: LayerNorm;

  constructor(config: ViTConfig, generator: Generator) {
    super();
    this.registerModule('attention', new ViTAttention(config, generator));
    this.registerModule('intermediate', new ViTIntermediate(config, generator));
    this.registerModule('output', new ViTOutput(config.intermediateSize, config.hiddenSize, config.hiddenDropoutProb, generator));
    this.registerModule('layernorm_before', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('layernorm_after', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
  }

  override forward(hidden: Tensor): Tensor {
    const attended = hidden.add(this.attention.forward(this.layernorm_before.forward(hidden)));
    return attended.add(this.output.forward(this.intermediate.forward(this.layernorm_after.forward(attended))));
  }
}

/** The ViT layers take no mask: a mask given to forward is passed on and ignored. */
export class ViTEncoder extends LayerStack<ViTLayer> {
  constructor(config: ViTConfig, generator: Generator) {
    super(config.numHiddenLayers, () => new ViTLayer(config, generator));
  }
}

/** ViTModel without the pooler (as inside ViTForImageClassification). */
/** Hugging Face ViT checkpoints' keys: with or without `vit.`; a Conv2d patch projection (hidden, C, p, p) is flattened. */
const VIT_HF_KEYS: HfKeyMapping = {
  basePrefix: 'vit.',
  adapt: (key, value, shape) => (key.endsWith('projection.weight') && value.ndim === 4 ? value.reshape([...shape]) : value),
};

/** Hugging Face's ViT init: trunc-normal(0, initializerRange) weights, cls token and positions; zero biases. */
function initVitWeights(model: Module, vit: ViTModel, std: number, generator: Generator): void {
  initHfWeights(model, std, generator, true);
  truncNormal_(vit.embeddings.cls_token, 0, std, -2, 2, generator);
  truncNormal_(vit.embeddings.position_embeddings, 0, std, -2, 2, generator);
}

export class ViTModel extends Module {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'vit';
  declare embeddings: ViTEmbeddings;
  declare encoder: ViTEncoder;
  declare layernorm: LayerNorm;
  readonly config: ViTConfig;

  /**
   * @param config a partial config: Hugging Face's defaults (ViT-Base/16 at 224 pixels) fill the rest
   * @param generator the random stream of an enclosing model, which then initialises the weights; without
   *   it the model stands alone, seeded by `config.seed` and initialised as Hugging Face's ViTModel
   */
  constructor(config: Partial<ViTConfig> = {}, generator?: Generator) {
    super();
    this.config = { ...VIT_DEFAULTS, ...config };
    const stream = generator ?? new Generator(this.config.seed);
    this.registerModule('embeddings', new ViTEmbeddings(this.config, stream));
    this.registerModule('encoder', new ViTEncoder(this.config, stream));
    this.registerModule('layernorm', new LayerNorm(this.config.hiddenSize, { eps: this.config.layerNormEps }));
    if (!generator) initVitWeights(this, this, this.config.initializerRange, stream);
  }

  /**
   * Loads a Hugging Face ViT state dict (keys with or without `vit.`). Hugging Face's ViTModel has a pooler,
   * which this one has not: its `pooler.*` keys are unexpected (load with strict false).
   */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, VIT_HF_KEYS, options);
  }

  /** pixels (B, C, H, W), or (B, H, W) with one channel → hidden states (B, 1 + numPatches, hidden). */
  override forward(pixels: Tensor): Tensor {
    expectTensor(pixels, 'ViT', 'pixels (batch, channels, height, width)');
    const images = pixels.ndim === 3 && this.config.numChannels === 1 ? pixels.unsqueeze(1) : pixels;
    return this.layernorm.forward(this.encoder.forward(this.embeddings.forward(images)));
  }
}

export class ViTForImageClassification extends SeededModel<ViTConfig> {
  /** Hugging Face's `model_type`: PEFT picks the default target modules by it. */
  readonly modelType = 'vit';
  declare vit: ViTModel;
  declare classifier: Linear;

  constructor(config: Partial<ViTConfig> = {}) {
    super({ ...VIT_DEFAULTS, ...config });
    this.registerModule('vit', new ViTModel(this.config, this.generator));
    this.registerModule('classifier', new Linear(this.config.hiddenSize, this.config.numLabels, { generator: this.generator }));
    initVitWeights(this, this.vit, this.config.initializerRange, this.generator);
  }


  /** pixels (B, C, H, W), or (B, H, W) with one channel → logits (B, numLabels) from the [CLS] token. */
  override forward(pixels: Tensor): Tensor {
    return this.classifier.forward(this.vit.forward(pixels).select(1, 0));
  }

  /**
   * Loads a Hugging Face ViT state dict (ViTForImageClassification, or ViTModel keys without `vit.`; a
   * Conv2d patch projection (hidden, C, p, p) is flattened). A ViTModel's `pooler.*` keys are unexpected here:
   * load those with strict false.
   */
  loadHf(tensors: Record<string, Tensor>, options: HfLoadOptions = {}): LoadStateDictResult {
    return loadHfStateDict(this, tensors, VIT_HF_KEYS, options);
  }

  /** The state dict with Hugging Face's layout (the patch projection as a Conv2d weight (hidden, C, p, p)). */
  hfStateDict(): Record<string, Tensor> {
    const out = this.stateDict();
    const { hiddenSize, numChannels, patchSize } = this.config;
    const key = 'vit.embeddings.patch_embeddings.projection.weight';
    out[key] = out[key].reshape(hiddenSize, numChannels, patchSize, patchSize);
    return out;
  }
}
