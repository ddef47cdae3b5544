/**
 * The bare base models (BertModel, GPT2Model, ViTModel) as a user builds them: a partial config with
 * Hugging Face's defaults, Hugging Face's initialisation when they stand alone, and loadHf from a
 * checkpoint with or without the task model's prefix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertTensorClose } from './util';
import { randint, randn } from '../../src/tensor/create';
import type { Tensor } from '../../src/tensor/tensor';
import {
  BertForSequenceClassification, BertModel, GPT2LMHeadModel, GPT2Model, LayerNorm, Linear, Module, ViTForImageClassification, ViTModel,
} from '../../src/nn';

const bert = { vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, seed: 5 };
const gpt2 = { vocabSize: 50, nEmbd: 16, nLayer: 2, nHead: 2, nPositions: 16, seed: 5 };
const vit = { imageSize: 8, patchSize: 4, numChannels: 1, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, seed: 5 };

/** The task model's state dict without its head and without the base prefix (as a Hub base checkpoint). */
function baseKeys(model: Module, prefix: string, head: string): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict())
    .filter(([key]) => !key.startsWith(head))
    .map(([key, value]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, value]));
}

/** Standard deviation of a tensor's values. */
function std(t: Tensor): number {
  const v = Array.from(t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
}

/** Hugging Face's init on a standalone model: zero biases, LayerNorm 1/0, weights N(0, 0.02²). */
function assertHfInit(model: Module, what: string): void {
  for (const m of model.modules()) {
    if (m instanceof Linear && m.bias) assert.ok(m.bias.data().every((v) => v === 0), `${what}: Linear biases are zero`);
    if (m instanceof LayerNorm && m.weight) assert.ok(m.weight.data().every((v) => v === 1), `${what}: LayerNorm weights are one`);
  }
  const weights = model.namedParameters().filter(([name, p]) => name.endsWith('.weight') && p.ndim === 2 && p.numel() >= 512);
  assert.ok(weights.length > 0);
  for (const [name, p] of weights) {
    const s = std(p);
    assert.ok(s > 0.005 && s < 0.03, `${what}: ${name} has std ${s}, expected about 0.02 (PyTorch's Linear default would be larger)`);
  }
}

test('BertModel takes a partial config (defaults fill the rest) and stands alone with Hugging Face init', () => {
  const model = new BertModel(bert);
  assert.is(model.config.hiddenAct, 'gelu');
  assert.is(model.config.layerNormEps, 1e-12);
  assertHfInit(model, 'BertModel');
  const out = model.eval().forward(randint(0, 50, [2, 5]));
  assert.equal(out.lastHiddenState.shape, [2, 5, 16]);
  assert.equal(out.poolerOutput.shape, [2, 16]);
});

test('BertModel.loadHf loads a checkpoint with or without the bert. prefix; outputs match the task model\'s encoder', () => {
  const task = new BertForSequenceClassification(bert).eval();
  const ids = randint(0, 50, [2, 5]);
  for (const tensors of [baseKeys(task, 'bert.', 'classifier'), baseKeys(task, '', 'classifier')]) {
    const model = new BertModel({ ...bert, seed: 99 }).eval();
    assert.equal(model.loadHf(tensors), { missingKeys: [], unexpectedKeys: [] });
    assertTensorClose(model.forward(ids).poolerOutput, task.bert.forward(ids).poolerOutput, 0, 0);
  }
});

test('GPT2Model takes a partial config, stands alone with Hugging Face init, and loads a GPT2LMHeadModel checkpoint', () => {
  const model = new GPT2Model(gpt2);
  assert.is(model.config.activationFunction, 'gelu_new');
  assertHfInit(model, 'GPT2Model');
  const task = new GPT2LMHeadModel(gpt2).eval();
  const tensors = task.stateDict();
  assert.ok('lm_head.weight' in tensors);
  const fresh = new GPT2Model({ ...gpt2, seed: 99 }).eval();
  assert.equal(fresh.loadHf(tensors), { missingKeys: [], unexpectedKeys: [] });
  const ids = randint(0, 50, [2, 6]);
  assertTensorClose(fresh.forward(ids), task.transformer.forward(ids), 0, 0);
});

test('ViTModel takes a partial config, stands alone with Hugging Face init, and loads Hugging Face\'s Conv2d layout', () => {
  const model = new ViTModel(vit);
  assert.is(model.config.layerNormEps, 1e-12);
  assertHfInit(model, 'ViTModel');
  const task = new ViTForImageClassification(vit).eval();
  const hf = Object.fromEntries(Object.entries(task.hfStateDict()).filter(([key]) => !key.startsWith('classifier')));
  assert.is(hf['vit.embeddings.patch_embeddings.projection.weight'].ndim, 4);
  const fresh = new ViTModel({ ...vit, seed: 99 }).eval();
  assert.equal(fresh.loadHf(hf), { missingKeys: [], unexpectedKeys: [] });
  const pixels = randn(2, 1, 8, 8);
  assertTensorClose(fresh.forward(pixels), task.vit.forward(pixels), 0, 0);
});

test.run();
