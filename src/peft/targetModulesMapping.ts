/**
 * The targets an adapter takes when its config names none (`target_modules: null`), by the `model_type` of
 * the model (a Hugging Face `config.json` says it; our BERT, GPT-2 and ViT know theirs): PEFT's
 * `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` and its FRoD variant, which differs in two rows.
 */

/** model_type → default targets (a list of names, or a regex string), as PEFT's LoRA table. */
export const LORA_TARGET_MODULES_MAPPING: Readonly<Record<string, string | readonly string[]>> = Object.freeze({
  t5: ['q', 'v'], mt5: ['q', 'v'], bart: ['q_proj', 'v_proj'], gpt2: ['c_attn'], bloom: ['query_key_value'],
  'blip-2': ['q', 'v', 'q_proj', 'v_proj'], opt: ['q_proj', 'v_proj'], gptj: ['q_proj', 'v_proj'],
  gpt_neox: ['query_key_value'], gpt_neo: ['q_proj', 'v_proj'], bert: ['query', 'value'],
  roberta: ['query', 'value'], 'xlm-roberta': ['query', 'value'], electra: ['query', 'value'],
  'deberta-v2': ['query_proj', 'value_proj'], deberta: ['in_proj'], layoutlm: ['query', 'value'],
  llama: ['q_proj', 'v_proj'], llama4: ['q_proj', 'v_proj'], chatglm: ['query_key_value'],
  gpt_bigcode: ['c_attn'], mpt: ['Wqkv'], RefinedWebModel: ['query_key_value'], RefinedWeb: ['query_key_value'],
  falcon: ['query_key_value'], btlm: ['c_proj', 'c_attn'], codegen: ['qkv_proj'], mistral: ['q_proj', 'v_proj'],
  mixtral: ['q_proj', 'v_proj'], stablelm: ['q_proj', 'v_proj'], phi: ['q_proj', 'v_proj', 'fc1', 'fc2'],
  gemma: ['q_proj', 'v_proj'], gemma2: ['q_proj', 'v_proj'], gemma3_text: ['q_proj', 'v_proj'],
  gemma4: String.raw`.*language_model\..*\.(q_proj|v_proj)`, qwen2: ['q_proj', 'v_proj'], qwen3: ['q_proj', 'v_proj'],
  nemotron_h: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], rwkv: ['key', 'value', 'receptance', 'output'],
  rwkv7: ['r_proj', 'k_proj', 'v_proj', 'o_proj', 'key', 'value'],
});

/** PEFT's FRoD table: LoRA's, with phi → q_proj, v_proj (as VeRA) and vit → query, value. */
export const FROD_TARGET_MODULES_MAPPING: Readonly<Record<string, string | readonly string[]>> = Object.freeze({
  ...LORA_TARGET_MODULES_MAPPING,
  phi: ['q_proj', 'v_proj'],
  vit: ['query', 'value'],
});

/** The `model_type` a model declares (`model.modelType`, or `model.config.modelType`), or null. */
export function modelTypeOf(model: object): string | null {
  const own = (model as { modelType?: unknown }).modelType;
  if (typeof own === 'string') return own;
  const config = (model as { config?: { modelType?: unknown; model_type?: unknown } }).config;
  const fromConfig = config?.modelType ?? config?.model_type;
  return typeof fromConfig === 'string' ? fromConfig : null;
}
