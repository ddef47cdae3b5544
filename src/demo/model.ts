/**
 * The demo's base model: a small Vision Transformer with Hugging Face's ViT module names, sized for 28×28
 * digits (7×7 patches → 16 tokens + [CLS]), and how it is stored: `<name>.safetensors` in Hugging Face's
 * layout (the patch projection as a Conv2d weight) beside `<name>.json`, a Hugging Face `config.json` with a
 * `frod_ts` section recording how it was pretrained.
 */
import { noGrad } from '../autograd/graph';
import { truncNormal_, zeros_ } from '../nn/init';
import { loadSafetensors, saveSafetensors } from '../nn/io/safetensors';
import { Linear } from '../nn/layers/linear';
import { ViTForImageClassification, vitConfigFromHf, type ViTConfig } from '../nn/models/vit';
import { Generator } from '../tensor/random';
import { nodeFs, writeFileAtomic } from '../util/node';

/** The architecture: 2 layers, hidden 64, 4 heads, MLP 128, patches of 7×7 on one channel (about 72k parameters). */
export const DEMO_VIT_CONFIG: Readonly<Partial<ViTConfig>> = {
  imageSize: 28,
  patchSize: 7,
  numChannels: 1,
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 128,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  qkvBias: true,
  numLabels: 5,
};

/** How the stored model was made (the `frod_ts` section of its config). */
export interface PretrainRecord {
  command: string;
  digits: number[];
  seed: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  schedule: string;
  trainSamples: number;
  testSamples: number;
  testAccuracy: number;
  seconds: number;
}

/** The file names of a stored model, from its path without extension (e.g. `models/vit-mnist-0to4`). */
export function modelFiles(stem: string): { weights: string; config: string } {
  const base = stem.replace(/\.(safetensors|json)$/, '');
  return { weights: `${base}.safetensors`, config: `${base}.json` };
}

/** A Hugging Face config.json for the model (snake_case), with labels for `digits` and the pretrain record. */
export function hfConfigJson(config: ViTConfig, digits: readonly number[], record: PretrainRecord | null): Record<string, unknown> {
  const id2label = Object.fromEntries(digits.map((d, i) => [String(i), String(d)]));
  return {
    architectures: ['ViTForImageClassification'],
    model_type: 'vit',
    image_size: config.imageSize,
    patch_size: config.patchSize,
    num_channels: config.numChannels,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    initializer_range: config.initializerRange,
    layer_norm_eps: config.layerNormEps,
    qkv_bias: config.qkvBias,
    id2label,
    label2id: Object.fromEntries(Object.entries(id2label).map(([i, d]) => [d, Number(i)])),
    ...(record ? { frod_ts: record } : {}),
  };
}

/** Writes the model's weights and config (atomically); returns the two paths. */
export function saveModel(model: ViTForImageClassification, stem: string, digits: readonly number[], record: PretrainRecord | null): { weights: string; config: string } {
  const files = modelFiles(stem);
  saveSafetensors(files.weights, model.hfStateDict(), { format: 'pt' });
  writeFileAtomic(files.config, `${JSON.stringify(hfConfigJson(model.config, digits, record), null, 2)}\n`, 'saveModel');
  return files;
}

/** A stored model and what its config says about it. */
export interface LoadedModel {
  model: ViTForImageClassification;
  record: PretrainRecord | null;
  files: { weights: string; config: string };
}

/** Reads a model written by {@link saveModel} (or any Hugging Face ViT classifier with these two files). */
export function loadModel(stem: string): LoadedModel {
  const files = modelFiles(stem);
  const fs = nodeFs('loadModel');
  if (!fs.existsSync(files.config)) throw new Error(`loadModel: ${files.config} not found; run \`frod pretrain\` to create the base model`);
  const json = JSON.parse(fs.readFileSync(files.config, 'utf8')) as Record<string, unknown>;
  const model = new ViTForImageClassification(vitConfigFromHf(json));
  model.loadHf(loadSafetensors(files.weights).tensors);
  return { model, record: (json.frod_ts as PretrainRecord | undefined) ?? null, files };
}

/**
 * Replaces the classifier with a fresh `numLabels`-way head, initialised as Hugging Face initialises one
 * (trunc-normal(0, initializerRange) weight, zero bias) from a generator seeded by `seed`.
 */
export function replaceClassifier(model: ViTForImageClassification, numLabels: number, seed: number): void {
  const generator = new Generator(`classifier-${seed}`);
  const head = new Linear(model.config.hiddenSize, numLabels, { generator });
  noGrad(() => {
    truncNormal_(head.weight, 0, model.config.initializerRange, -2, 2, generator);
    if (head.bias) zeros_(head.bias);
  });
  model.registerModule('classifier', head);
}

