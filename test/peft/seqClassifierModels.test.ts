/**
 * PEFT's tests/test_seq_classifier.py with its FRoD row ({task_type: "SEQ_CLS", target_modules: None,
 * sparse_rate: 0.01}) on our BERT standing in for "tiny-random-BertForSequenceClassification": query and value
 * are adapted (model type bert) and the classifier trains in full as a modules_to_save copy. Also
 * test_custom_models.py's test_multiple_adapters_automatic_modules_to_save (LoRA on bert-base in PEFT), and the
 * vit row of the FRoD target table on our ViT.
 *
 * Not replayed: test_forward_with_labels (our models return logits, not a loss), pickle, prompt learning,
 * test_from_pretrained_config_construction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPeftModel } from '../../src/frod/model';
import { Linear } from '../../src/nn/layers/linear';
import type { Module } from '../../src/nn/module';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import type { Tensor } from '../../src/tensor';
import { type Subject, registerCommonTests } from './common';
import { frodConfig, textInputs, tinyBert, tinyVit } from './models';

const { inputIds, attentionMask } = textInputs();
const ROW = { taskType: 'SEQ_CLS', targetModules: null, sparseRate: 0.01 } as const;

const bert: Subject = {
  id: 'tiny-random-BertForSequenceClassification',
  make: () => tinyBert(),
  options: ROW,
  output: (model: Module) => (model.forward as (ids: Tensor, inputs: object) => Tensor).call(model, inputIds, { attentionMask }),
  embeddings: 'bert.embeddings.word_embeddings',
};

registerCommonTests('test_seq_classifier.py', 'TestSequenceClassificationModels', bert, {
  test_adapter_name: 'test_adapter_name',
  test_prepare_for_training_parametrized: 'test_prepare_for_training',
  test_save_pretrained: 'test_save_pretrained',
  test_save_pretrained_selected_adapters: 'test_save_pretrained_selected_adapters',
});

test('test_seq_classifier.py::TestSequenceClassificationModels::test_modules_to_save_correctly_set[tiny-random-BertForSequenceClassification-FrodConfig] — the classifier is a ModulesToSaveWrapper', () => {
  const peft = getPeftModel(tinyBert(), frodConfig(ROW));
  assert.ok(peft.getBaseModel().getSubmodule('classifier') instanceof ModulesToSaveWrapper);
  assert.equal(peft.peftConfig.get('default')?.modulesToSave, ['classifier', 'score']);
});

test('test_custom_models.py::TestPeftCustomModel::test_multiple_adapters_automatic_modules_to_save (LoRA in PEFT, replayed with FRoD) — the SEQ_CLS head is copied for every adapter', () => {
  const peft = getPeftModel(tinyBert(), frodConfig({ taskType: 'SEQ_CLS' }));
  peft.addAdapter('other', frodConfig({ taskType: 'SEQ_CLS' }));
  const classifier = peft.model.getSubmodule('classifier') as ModulesToSaveWrapper;
  assert.equal(classifier.copies.keys(), ['default', 'other']);
});

test('TRANSFORMERS_MODELS_TO_FROD_TARGET_MODULES_MAPPING["vit"] (FRoD\'s own row) — target_modules None adapts query and value of our ViT; SEQ_CLS copies the classifier', () => {
  const peft = getPeftModel(tinyVit(), frodConfig({ taskType: 'SEQ_CLS' }));
  assert.equal(peft.baseModel.tunerLayers().map(([path]) => path.split('.').slice(-1)[0]), ['query', 'value', 'query', 'value']);
  const classifier = peft.model.getSubmodule('classifier') as ModulesToSaveWrapper;
  assert.ok(classifier instanceof ModulesToSaveWrapper && classifier.originalModule instanceof Linear);
});

test.run();
