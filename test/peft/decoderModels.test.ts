/**
 * PEFT's tests/test_decoder_models.py with its FRoD row ({task_type: "CAUSAL_LM", target_modules: None,
 * sparse_rate: 0.01}) on our GPT-2 standing in for "tiny-random-GPT2LMHeadModel": the targets come from the model
 * type (gpt2 → c_attn, a Conv1D), through testing_common.py's tests (test/peft/common.ts).
 *
 * Not replayed: generate (our GPT-2 has no generate), test_passing_input_embeds_works (no inputs_embeds),
 * gradient checkpointing, device maps, low_cpu_mem_usage, pickle, test_from_pretrained_config_construction,
 * mixed adapter batches and weighted adapters (LoRA only in PEFT), half precision (issue 10 item 12).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { catchWarnings } from '../../src/peft/warnings';
import type { Module } from '../../src/nn/module';
import type { Tensor } from '../../src/tensor';
import { type Subject, registerCommonTests } from './common';
import { frodConfig, textInputs, tinyGpt2 } from './models';

const { inputIds, attentionMask } = textInputs();

const gpt2: Subject = {
  id: 'tiny-random-GPT2LMHeadModel',
  make: () => tinyGpt2(),
  options: { taskType: 'CAUSAL_LM', targetModules: null, sparseRate: 0.01 },
  output: (model: Module) => (model.forward as (ids: Tensor, inputs: object) => Tensor).call(model, inputIds, { attentionMask }),
  embeddings: 'transformer.wte',
};

registerCommonTests('test_decoder_models.py', 'TestDecoderModels', gpt2, {
  test_adapter_name: 'test_adapter_name',
  test_prepare_for_training_parametrized: 'test_prepare_for_training',
  test_save_pretrained: 'test_save_pretrained',
  test_save_pretrained_selected_adapters: 'test_save_pretrained_selected_adapters',
  test_merge_layers: 'test_merge_layers',
  test_merge_layers_multi: 'test_merge_layers_multi',
  test_merge_layers_nan: 'test_merge_layers_nan',
  test_training_decoders: 'test_training',
  test_training_decoders_layer_indexing: 'test_training_layer_indexing',
  test_inference_safetensors: 'test_inference_safetensors',
  test_delete_adapter: 'test_delete_adapter',
  test_delete_inactive_adapter: 'test_delete_inactive_adapter',
  test_adding_multiple_adapters_with_bias_raises: 'test_adding_multiple_adapters_with_bias_raises',
  test_unload_adapter: 'test_unload_adapter',
  test_disable_adapter: 'test_disable_adapter',
});

test('TRANSFORMERS_MODELS_TO_FROD_TARGET_MODULES_MAPPING["gpt2"] (used by every test above) — target_modules None adapts c_attn, as Conv1D with fan_in_fan_out', () => {
  const peft = catchWarnings(() => getPeftModel(tinyGpt2(), frodConfig({ taskType: 'CAUSAL_LM' }))).result;
  const adapted = peft.baseModel.tunerLayers().map(([path]) => path);
  assert.equal(adapted, ['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
  assert.ok(adapted.every((path) => (peft.model.getSubmodule(path) as FrodLinear).fanInFanOut));
  assert.equal(peft.peftConfig.get('default')?.targetModules, ['c_attn']);
});

test.run();
