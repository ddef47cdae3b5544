import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { assertClose, assertTensorClose, check, throwsMatching } from './util';
import { randn, tensor } from '../../src/tensor/create';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import {
  BertForSequenceClassification, GPT2LMHeadModel, MLP, ViTForImageClassification, bertConfigFromHf, causalLmLoss,
  functional as F, gpt2ConfigFromHf, loadSafetensors, safetensorsBytes, vitConfigFromHf, type Module,
} from '../../src/nn';

const GOLDEN = fileURLToPath(new URL('../fixtures/golden', import.meta.url));
const vitConfig = { imageSize: 8, patchSize: 4, numChannels: 2, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 12, numLabels: 3 };
const bertConfig = { vocabSize: 20, hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 12, numLabels: 3, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 };
const gpt2Config = { vocabSize: 17, nPositions: 10, nEmbd: 16, nLayer: 3, nHead: 2, nInner: 64 };

const ids = (rows: number[][]) => tensor(rows, { dtype: 'int32' });

/** Saves a state dict to safetensors bytes and reads it back, as a file round trip would. */
function throughSafetensors(sd: Record<string, Tensor>): Record<string, Tensor> {
  return loadSafetensors(safetensorsBytes(sd)).tensors;
}

function assertHasPaths(model: Module, paths: string[]): void {
  const names = new Set(model.namedModules().map(([p]) => p));
  for (const p of paths) assert.ok(names.has(p), `missing module '${p}'`);
}

test('ViT: Hugging Face names, (B, C, H, W) and (B, H, W) inputs, logits (B, numLabels), gradients reach every weight', () => {
  const model = new ViTForImageClassification(vitConfig);
  assertHasPaths(model, [
    'vit.embeddings.patch_embeddings.projection', 'vit.encoder.layer.1.layernorm_before', 'vit.encoder.layer.1.attention.attention.query',
    'vit.encoder.layer.1.attention.attention.key', 'vit.encoder.layer.1.attention.attention.value', 'vit.encoder.layer.1.attention.output.dense',
    'vit.encoder.layer.1.layernorm_after', 'vit.encoder.layer.1.intermediate.dense', 'vit.encoder.layer.1.output.dense', 'vit.layernorm', 'classifier',
  ]);
  const sd = model.stateDict();
  assert.equal([...sd['vit.embeddings.cls_token'].shape], [1, 1, 8]);
  assert.equal([...sd['vit.embeddings.position_embeddings'].shape], [1, 5, 8]);
  const x = randn([3, 2, 8, 8], { generator: new Generator(1) });
  const logits = model.forward(x);
  assert.equal([...logits.shape], [3, 3]);
  F.crossEntropy(logits, ids([[0, 1, 2]]).reshape(-1)).backward();
  for (const [name, p] of model.namedParameters()) assert.ok(p.grad && p.grad.abs().sum().item() > 0, `no gradient for ${name}`);
  const mono = new ViTForImageClassification({ ...vitConfig, numChannels: 1 });
  assert.equal([...mono.forward(randn([2, 8, 8])).shape], [2, 3]);
  assertTensorClose(mono.forward(x.select(1, 0)), mono.forward(x.select(1, 0).unsqueeze(1)), 0, 0);
  throwsMatching(() => model.forward(randn([1, 2, 12, 12])), /ViT: expected images \(B, 2, 8, 8\), got \(1, ?2, ?12, ?12\)/);
});

test('ViT: the Linear patch projection equals Hugging Face\'s Conv2d (kernel = stride = p) on (C, p, p) weights', () => {
  check(fc.property(fc.nat(1000), (seed) => {
    const model = new ViTForImageClassification({ ...vitConfig, seed });
    const x = randn([1, 2, 8, 8], { generator: new Generator(seed), dtype: 'float32' });
    const conv = model.hfStateDict()['vit.embeddings.patch_embeddings.projection.weight'];
    assert.equal([...conv.shape], [8, 2, 4, 4]);
    const bias = model.vit.embeddings.patch_embeddings.projection.bias!.data();
    const w = conv.data();
    const xs = x.data();
    const expected: number[] = [];
    for (let row = 0; row < 2; row++) for (let col = 0; col < 2; col++) for (let o = 0; o < 8; o++) {
      let s = bias[o];
      for (let c = 0; c < 2; c++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
        s += w[((o * 2 + c) * 4 + i) * 4 + j] * xs[(c * 8 + row * 4 + i) * 8 + col * 4 + j];
      }
      expected.push(s);
    }
    assertClose(model.vit.embeddings.patch_embeddings.forward(x).data(), expected, 1e-5, 1e-5);
  }), 5);
});

test('ViT: HF state dict → safetensors → loadHf (with or without `vit.`) gives the same outputs', () => {
  const a = new ViTForImageClassification({ ...vitConfig, seed: 1 });
  const x = randn([2, 2, 8, 8], { generator: new Generator(2) });
  const file = throughSafetensors(a.hfStateDict());
  for (const tensors of [file, Object.fromEntries(Object.entries(file).map(([k, v]) => [k.replace(/^vit\./, ''), v]))]) {
    const b = new ViTForImageClassification({ ...vitConfig, seed: 9 });
    assert.equal(b.loadHf(tensors), { missingKeys: [], unexpectedKeys: [] });
    assertTensorClose(b.forward(x), a.forward(x), 0, 0);
  }
  const c = new ViTForImageClassification({ ...vitConfig, seed: 3 });
  c.loadStateDict(a.stateDict());
  assertTensorClose(c.forward(x), a.forward(x), 0, 0);
  throwsMatching(() => c.loadHf({ ...file, 'pooler.dense.weight': randn([8, 8]) }), /Unexpected key\(s\) in state_dict: "pooler\.dense\.weight"/);
  assert.equal(vitConfigFromHf({ hidden_size: 64, patch_size: 7, id2label: { 0: 'a', 1: 'b' }, model_type: 'vit' }), { patchSize: 7, hiddenSize: 64, numLabels: 2 });
});

test('BERT: HF names, logits (B, numLabels), golden partial checkpoint loads by name (no `bert.` prefix)', () => {
  const model = new BertForSequenceClassification(bertConfig);
  assertHasPaths(model, [
    'bert.embeddings.word_embeddings', 'bert.embeddings.position_embeddings', 'bert.embeddings.token_type_embeddings', 'bert.embeddings.LayerNorm',
    'bert.encoder.layer.2.attention.self.query', 'bert.encoder.layer.2.attention.self.key', 'bert.encoder.layer.2.attention.self.value',
    'bert.encoder.layer.2.attention.output.dense', 'bert.encoder.layer.2.attention.output.LayerNorm', 'bert.encoder.layer.2.intermediate.dense',
    'bert.encoder.layer.2.output.dense', 'bert.encoder.layer.2.output.LayerNorm', 'bert.pooler.dense', 'classifier',
  ]);
  model.eval();
  assert.equal([...model.forward(ids([[1, 2, 3], [4, 5, 6]])).shape], [2, 3]);
  const { tensors } = loadSafetensors(`${GOLDEN}/bert/base.safetensors`);
  const result = model.loadHf(tensors, { strict: false });
  assert.equal(result.unexpectedKeys, []);
  assert.ok(!result.missingKeys.includes('bert.encoder.layer.0.attention.self.query.weight'));
  assertTensorClose(model.getParameter('bert.encoder.layer.1.intermediate.dense.weight'), tensors['encoder.layer.1.intermediate.dense.weight'], 0, 0);
  throwsMatching(() => model.loadHf(tensors), /Missing key\(s\) in state_dict: "bert\.embeddings\.word_embeddings\.weight"/);
});

test('BERT: padding hidden by the attention mask does not change the logits; dropout only in training (property)', () => {
  const model = new BertForSequenceClassification({ ...bertConfig, seed: 4 }).eval();
  check(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 19 }), { minLength: 8, maxLength: 8 }), (real, pad, tokens) => {
    const keep = [...Array(real).fill(1), ...Array(pad).fill(0)];
    const first = [...tokens.slice(0, real), ...Array(pad).fill(0)];
    const second = [...tokens.slice(0, real), ...tokens.slice(real, real + pad).map((t) => (t % 19) + 1)];
    const mask = ids([keep, keep]);
    const logits = model.forward(ids([first, second]), { attentionMask: mask });
    assertClose(logits.select(0, 1).data(), logits.select(0, 0).data(), 1e-5, 1e-4);
    const alone = model.forward(ids([tokens.slice(0, real)]));
    assertClose(alone.select(0, 0).data(), logits.select(0, 0).data(), 1e-5, 1e-4);
  }), 10);
  const x = ids([[1, 2, 3, 4]]);
  assertTensorClose(model.forward(x), model.forward(x), 0, 0);
  model.train();
  assert.not.equal([...model.forward(x).data()], [...model.forward(x).data()]);
});

test('BERT: save → load round trip through safetensors gives the same outputs; HF config names', () => {
  const a = new BertForSequenceClassification({ ...bertConfig, seed: 1 }).eval();
  const b = new BertForSequenceClassification({ ...bertConfig, seed: 2 }).eval();
  const x = ids([[3, 4, 5, 0]]);
  const opts = { attentionMask: ids([[1, 1, 1, 0]]), tokenTypeIds: ids([[0, 0, 1, 1]]) };
  assert.not.equal([...a.forward(x, opts).data()], [...b.forward(x, opts).data()]);
  const file = throughSafetensors(a.stateDict());
  file['bert.embeddings.position_ids'] = tensor([[0, 1, 2]], { dtype: 'int32' });
  assert.equal(b.loadHf(file), { missingKeys: [], unexpectedKeys: [] });
  assertTensorClose(b.forward(x, opts), a.forward(x, opts), 0, 0);
  assert.equal(bertConfigFromHf({ vocab_size: 99, num_hidden_layers: 2, layer_norm_eps: 1e-7, architectures: ['Bert'] }), { vocabSize: 99, numHiddenLayers: 2, layerNormEps: 1e-7 });
});

test('GPT-2: HF names, tied lm_head, causal (later tokens never change earlier logits; property)', () => {
  const model = new GPT2LMHeadModel({ ...gpt2Config, seed: 3 }).eval();
  assertHasPaths(model, ['transformer.wte', 'transformer.wpe', 'transformer.h.2.ln_1', 'transformer.h.2.attn.c_attn', 'transformer.h.2.attn.c_proj',
    'transformer.h.2.ln_2', 'transformer.h.2.mlp.c_fc', 'transformer.h.2.mlp.c_proj', 'transformer.ln_f', 'lm_head']);
  assert.is(model.lm_head.weight, model.transformer.wte.weight);
  assert.not.ok(model.namedParameters().some(([n]) => n === 'lm_head.weight'));
  assert.equal([...model.transformer.h.at(0).attn.c_attn.weight.shape], [16, 48]);
  check(fc.property(fc.array(fc.integer({ min: 0, max: 16 }), { minLength: 6, maxLength: 6 }), fc.integer({ min: 1, max: 5 }), (tokens, cut) => {
    const changed = tokens.map((t, i) => (i >= cut ? (t + 1 + i) % 17 : t));
    const logits = model.forward(ids([tokens, changed]));
    assert.equal([...logits.shape], [2, 6, 17]);
    assertClose(logits.select(0, 1).narrow(0, 0, cut).reshape(-1).data(), logits.select(0, 0).narrow(0, 0, cut).reshape(-1).data(), 1e-5, 1e-4);
  }), 10);
});

test('GPT-2: loads the Hub layout (no `transformer.`, mask buffers, no lm_head) and the golden partial checkpoint', () => {
  const a = new GPT2LMHeadModel({ ...gpt2Config, seed: 5 }).eval();
  const hub: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(throughSafetensors(a.stateDict()))) {
    if (k === 'lm_head.weight') continue;
    hub[k.replace(/^transformer\./, '')] = v;
  }
  hub['h.0.attn.bias'] = randn([1, 1, 10, 10]);
  hub['h.0.attn.masked_bias'] = randn([]);
  const b = new GPT2LMHeadModel({ ...gpt2Config, seed: 6 }).eval();
  assert.equal(b.loadHf(hub), { missingKeys: [], unexpectedKeys: [] });
  assert.is(b.lm_head.weight, b.transformer.wte.weight);
  const x = ids([[1, 5, 2, 9]]);
  assertTensorClose(b.forward(x), a.forward(x), 0, 0);
  const { tensors } = loadSafetensors(`${GOLDEN}/gpt2/base.safetensors`);
  assert.equal(b.loadHf(tensors, { strict: false }).unexpectedKeys, []);
  assertTensorClose(b.getParameter('transformer.h.2.mlp.c_proj.weight'), tensors['transformer.h.2.mlp.c_proj.weight'], 0, 0);
  assert.equal(gpt2ConfigFromHf({ n_embd: 32, n_layer: 2, n_head: 4, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 }),
    { nEmbd: 32, nLayer: 2, nHead: 4, activationFunction: 'gelu_new', layerNormEpsilon: 1e-5 });
});

test('causalLmLoss: position t predicts token t + 1, −100 labels ignored', () => {
  const logits = randn([1, 3, 4], { generator: new Generator(1), dtype: 'float64' });
  const labels = ids([[2, 1, -100]]);
  const lp = logits.logSoftmax(-1).toArray() as number[][][];
  assertClose([causalLmLoss(logits, labels).item()], [-lp[0][0][1]], 1e-12, 1e-12);
  const full = ids([[2, 1, 3]]);
  assertClose([causalLmLoss(logits, full).item()], [-(lp[0][0][1] + lp[0][1][3]) / 2], 1e-12, 1e-12);
});

test('MLP: layers.N Linears with activations between them; state dict round trip', () => {
  const mlp = new MLP({ inFeatures: 3, hiddenSizes: [5, 4], outFeatures: 2, activation: 'tanh', seed: 1 });
  assert.equal(mlp.namedParameters().map(([n]) => n), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias']);
  const x = randn([4, 3], { generator: new Generator(2) });
  const [l0, l1, l2] = [...mlp.layers];
  assertTensorClose(mlp.forward(x), l2.forward(l1.forward(l0.forward(x).tanh()).tanh()), 0, 0);
  const other = new MLP({ inFeatures: 3, hiddenSizes: [5, 4], outFeatures: 2, activation: 'tanh', seed: 2 });
  other.loadStateDict(throughSafetensors(mlp.stateDict()));
  assertTensorClose(other.forward(x), mlp.forward(x), 0, 0);
});

test.run();
