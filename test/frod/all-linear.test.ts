/** target_modules "all-linear": every Linear / Conv1D except the output layer, as PEFT expands it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FrodConfig, FrodLinear, getLoraModel, getPeftModel, LoraConfig, Module, nn, weightsFromStateDict,
} from '../../src/index';

const vitConfig = { imageSize: 8, patchSize: 4, numChannels: 1, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, numLabels: 3, seed: 1 };

function linearPaths(model: Module): string[] {
  return model.namedModules().filter(([, m]) => m instanceof nn.Linear || m instanceof nn.Conv1D).map(([p]) => p);
}

function adaptedPaths(model: Module): string[] {
  return model.namedModules().filter(([, m]) => m instanceof FrodLinear).map(([p]) => p);
}

test('ViT: every encoder Linear and the classifier; modules_to_save and SEQ_CLS leave the head out', () => {
  const all = linearPaths(new nn.ViTForImageClassification(vitConfig));
  assert.ok(all.includes('classifier') && all.length > 10);
  const plain = getPeftModel(new nn.ViTForImageClassification(vitConfig), new FrodConfig({ targetModules: 'all-linear' }));
  assert.equal(adaptedPaths(plain.model).sort(), [...all].sort());
  const saved = getPeftModel(new nn.ViTForImageClassification(vitConfig), new FrodConfig({ targetModules: 'all-linear', modulesToSave: ['classifier'] }));
  assert.equal(adaptedPaths(saved.model).sort(), all.filter((p) => p !== 'classifier').sort());
  const seqCls = getPeftModel(new nn.ViTForImageClassification(vitConfig), new FrodConfig({ targetModules: 'all-linear', taskType: 'SEQ_CLS' }));
  assert.equal(adaptedPaths(seqCls.model).sort(), all.filter((p) => p !== 'classifier').sort());
});

test('GPT-2: the Conv1D layers are adapted, the lm_head output layer is not', () => {
  const config = { vocabSize: 20, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2, seed: 0 };
  const peft = getPeftModel(new nn.GPT2LMHeadModel(config), new FrodConfig({ targetModules: 'all-linear', sparseRate: 0 }));
  const adapted = adaptedPaths(peft.model);
  assert.equal(adapted.sort(), linearPaths(new nn.GPT2LMHeadModel(config)).filter((p) => p !== 'lm_head').sort());
  assert.ok(adapted.includes('transformer.h.0.attn.c_attn'));
});

test('LoRA takes "all-linear" through the same selection', () => {
  const peft = getLoraModel(new nn.ViTForImageClassification(vitConfig), new LoraConfig({ r: 2, targetModules: 'all-linear', modulesToSave: ['classifier'] }));
  const adapted = peft.model.namedModules().filter(([, m]) => m.constructor.name === 'LoraLinear').map(([p]) => p);
  assert.equal(adapted.length, linearPaths(new nn.ViTForImageClassification(vitConfig)).length - 1);
});

test('a weights file cannot be expanded: one clear error naming the way out', () => {
  const weights = new nn.ViTForImageClassification(vitConfig).stateDict();
  assert.throws(
    () => weightsFromStateDict(weights, new FrodConfig({ targetModules: 'all-linear' })),
    (err: Error) => /target_modules "all-linear" needs the model's layer types, which a weights file does not record: list the target modules instead/.test(err.message) && !err.message.includes('\n'),
  );
});

test.run();
