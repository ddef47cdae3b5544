/**
 * PEFT's tests/test_feature_extraction_models.py with its FRoD row ({task_type: "FEATURE_EXTRACTION",
 * target_modules: None, sparse_rate: 0.01}) on our BERT standing in for "tiny-random-BertModel": the targets come
 * from the model type (bert → query, value), and the output is BERT's last hidden state. Through
 * testing_common.py's tests (test/peft/common.ts).
 *
 * Not replayed: gradient checkpointing, device maps, low_cpu_mem_usage, test_from_pretrained_config_construction,
 * test_passing_input_embeds_works, prompt learning and weighted adapters (not FRoD).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPeftModel } from '../../src/frod/model';
import type { BertForSequenceClassification } from '../../src/nn/models/bert';
import type { Module } from '../../src/nn/module';
import { PeftModel } from '../../src/peft/peftModel';
import type { Tensor } from '../../src/tensor';
import { type Subject, registerCommonTests } from './common';
import { frodConfig, textInputs, tinyBert } from './models';

const { inputIds, attentionMask } = textInputs();

/** BERT's last hidden state (B, T, hidden), through the PeftModel's layers when given one. */
function lastHiddenState(model: Module): Tensor {
  const bert = (model instanceof PeftModel ? model.model : model) as BertForSequenceClassification;
  return bert.bert.forward(inputIds, { attentionMask }).lastHiddenState;
}

const bert: Subject = {
  id: 'tiny-random-BertModel',
  make: () => tinyBert(),
  options: { taskType: 'FEATURE_EXTRACTION', targetModules: null, sparseRate: 0.01 },
  output: lastHiddenState,
  embeddings: 'bert.embeddings.word_embeddings',
};

registerCommonTests('test_feature_extraction_models.py', 'TestPeftFeatureExtractionModel', bert, {
  test_adapter_name: 'test_adapter_name',
  test_prepare_for_training_parametrized: 'test_prepare_for_training',
  test_save_pretrained: 'test_save_pretrained',
  test_save_pretrained_selected_adapters: 'test_save_pretrained_selected_adapters',
  test_merge_layers: 'test_merge_layers',
  test_training: 'test_training',
  test_training_layer_indexing: 'test_training_layer_indexing',
  test_inference_safetensors: 'test_inference_safetensors',
  test_delete_adapter: 'test_delete_adapter',
  test_delete_inactive_adapter: 'test_delete_inactive_adapter',
  test_unload_adapter: 'test_unload_adapter',
});

test('TRANSFORMERS_MODELS_TO_FROD_TARGET_MODULES_MAPPING["bert"] (used by every test above) — target_modules None adapts query and value; FEATURE_EXTRACTION adds no head', () => {
  const peft = getPeftModel(tinyBert(), frodConfig({ taskType: 'FEATURE_EXTRACTION' }));
  assert.equal(peft.baseModel.tunerLayers().map(([path]) => path), [0, 1].flatMap((i) => [
    `bert.encoder.layer.${i}.attention.self.query`, `bert.encoder.layer.${i}.attention.self.value`,
  ]));
  assert.is(peft.peftConfig.get('default')?.modulesToSave, null);
});

test.run();
