/**
 * The tensor names, shapes and config.json of real Hugging Face architectures, for models made of seeded
 * random weights (scripts/make-model.ts): what `frod` sees in a real checkpoint, without a download.
 *
 * - llama-3.2-1b: meta-llama/Llama-3.2-1B (LlamaForCausalLM; hidden 2048, 16 layers, 32 heads / 8 KV heads,
 *   intermediate 8192, vocab 128256, tied embeddings so no lm_head.weight; ~2.5 GB in bf16).
 * - bert-base: bert-base-uncased as BertForSequenceClassification saves it (`bert.` + `classifier`, 2 labels).
 * - gpt2: gpt2 (small) as GPT2LMHeadModel.save_pretrained writes it (`transformer.` prefix, the causal-mask
 *   buffers `attn.bias`, tied lm_head left out). Its attention and MLP weights are Conv1D, stored (in, out).
 * Each has a `-tiny` version with the same structure and names, small enough for tests.
 */

/** One tensor of a model: name, shape, and how its values are drawn. */
export interface TensorShape {
  name: string;
  shape: number[];
  /** 'normal': N(0, std²)-like noise; 'ones' / 'zeros': constant (norms, biases); 'causal': lower-triangular ones. */
  init: 'normal' | 'ones' | 'zeros' | 'causal';
}

/** An architecture: its config.json and tensors in the order the model's state dict lists them. */
export interface ModelShape {
  config: Record<string, unknown>;
  tensors: TensorShape[];
  /** The dtype of the real checkpoint ('bf16' or 'f32'). */
  dtype: 'bf16' | 'f16' | 'f32';
}

const w = (name: string, ...shape: number[]): TensorShape => ({ name, shape, init: 'normal' });
const ones = (name: string, size: number): TensorShape => ({ name, shape: [size], init: 'ones' });
const zeros = (name: string, size: number): TensorShape => ({ name, shape: [size], init: 'zeros' });

interface LlamaDims { hidden: number; layers: number; heads: number; kvHeads: number; intermediate: number; vocab: number }

function llama(d: LlamaDims): ModelShape {
  const headDim = d.hidden / d.heads;
  const tensors: TensorShape[] = [w('model.embed_tokens.weight', d.vocab, d.hidden)];
  for (let i = 0; i < d.layers; i++) {
    const p = `model.layers.${i}`;
    tensors.push(
      ones(`${p}.input_layernorm.weight`, d.hidden),
      w(`${p}.self_attn.q_proj.weight`, d.heads * headDim, d.hidden),
      w(`${p}.self_attn.k_proj.weight`, d.kvHeads * headDim, d.hidden),
      w(`${p}.self_attn.v_proj.weight`, d.kvHeads * headDim, d.hidden),
      w(`${p}.self_attn.o_proj.weight`, d.hidden, d.heads * headDim),
      ones(`${p}.post_attention_layernorm.weight`, d.hidden),
      w(`${p}.mlp.gate_proj.weight`, d.intermediate, d.hidden),
      w(`${p}.mlp.up_proj.weight`, d.intermediate, d.hidden),
      w(`${p}.mlp.down_proj.weight`, d.hidden, d.intermediate),
    );
  }
  tensors.push(ones('model.norm.weight', d.hidden));
  const config = {
    architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 128000,
    eos_token_id: 128001, head_dim: headDim, hidden_act: 'silu', hidden_size: d.hidden, initializer_range: 0.02,
    intermediate_size: d.intermediate, max_position_embeddings: 131072, mlp_bias: false, model_type: 'llama',
    num_attention_heads: d.heads, num_hidden_layers: d.layers, num_key_value_heads: d.kvHeads, pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: 'bfloat16', transformers_version: '4.45.0.dev0',
    use_cache: true, vocab_size: d.vocab,
  };
  return { config, tensors, dtype: 'bf16' };
}

interface BertDims { hidden: number; layers: number; heads: number; intermediate: number; vocab: number; positions: number }

function bert(d: BertDims): ModelShape {
  const tensors: TensorShape[] = [
    w('bert.embeddings.word_embeddings.weight', d.vocab, d.hidden),
    w('bert.embeddings.position_embeddings.weight', d.positions, d.hidden),
    w('bert.embeddings.token_type_embeddings.weight', 2, d.hidden),
    ones('bert.embeddings.LayerNorm.weight', d.hidden), zeros('bert.embeddings.LayerNorm.bias', d.hidden),
  ];
  const dense = (name: string, out: number, inp: number) => [w(`${name}.weight`, out, inp), zeros(`${name}.bias`, out)];
  const norm = (name: string) => [ones(`${name}.weight`, d.hidden), zeros(`${name}.bias`, d.hidden)];
  for (let i = 0; i < d.layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    tensors.push(
      ...dense(`${p}.attention.self.query`, d.hidden, d.hidden), ...dense(`${p}.attention.self.key`, d.hidden, d.hidden),
      ...dense(`${p}.attention.self.value`, d.hidden, d.hidden), ...dense(`${p}.attention.output.dense`, d.hidden, d.hidden),
      ...norm(`${p}.attention.output.LayerNorm`), ...dense(`${p}.intermediate.dense`, d.intermediate, d.hidden),
      ...dense(`${p}.output.dense`, d.hidden, d.intermediate), ...norm(`${p}.output.LayerNorm`),
    );
  }
  tensors.push(...dense('bert.pooler.dense', d.hidden, d.hidden), ...dense('classifier', 2, d.hidden));
  const config = {
    architectures: ['BertForSequenceClassification'], attention_probs_dropout_prob: 0.1, classifier_dropout: null,
    hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: d.hidden, initializer_range: 0.02,
    intermediate_size: d.intermediate, layer_norm_eps: 1e-12, max_position_embeddings: d.positions, model_type: 'bert',
    num_attention_heads: d.heads, num_hidden_layers: d.layers, pad_token_id: 0, position_embedding_type: 'absolute',
    torch_dtype: 'float32', transformers_version: '4.45.0', type_vocab_size: 2, use_cache: true, vocab_size: d.vocab,
  };
  return { config, tensors, dtype: 'f32' };
}

interface Gpt2Dims { embd: number; layers: number; heads: number; vocab: number; positions: number }

function gpt2(d: Gpt2Dims): ModelShape {
  const tensors: TensorShape[] = [w('transformer.wte.weight', d.vocab, d.embd), w('transformer.wpe.weight', d.positions, d.embd)];
  const conv1d = (name: string, inp: number, out: number) => [w(`${name}.weight`, inp, out), zeros(`${name}.bias`, out)];
  const norm = (name: string) => [ones(`${name}.weight`, d.embd), zeros(`${name}.bias`, d.embd)];
  for (let i = 0; i < d.layers; i++) {
    const p = `transformer.h.${i}`;
    tensors.push(
      ...norm(`${p}.ln_1`), { name: `${p}.attn.bias`, shape: [1, 1, d.positions, d.positions], init: 'causal' },
      ...conv1d(`${p}.attn.c_attn`, d.embd, 3 * d.embd), ...conv1d(`${p}.attn.c_proj`, d.embd, d.embd),
      ...norm(`${p}.ln_2`), ...conv1d(`${p}.mlp.c_fc`, d.embd, 4 * d.embd), ...conv1d(`${p}.mlp.c_proj`, 4 * d.embd, d.embd),
    );
  }
  tensors.push(...norm('transformer.ln_f'));
  const config = {
    activation_function: 'gelu_new', architectures: ['GPT2LMHeadModel'], attn_pdrop: 0.1, bos_token_id: 50256,
    embd_pdrop: 0.1, eos_token_id: 50256, initializer_range: 0.02, layer_norm_epsilon: 1e-5, model_type: 'gpt2',
    n_ctx: d.positions, n_embd: d.embd, n_head: d.heads, n_inner: null, n_layer: d.layers, n_positions: d.positions,
    resid_pdrop: 0.1, summary_activation: null, summary_first_dropout: 0.1, summary_proj_to_labels: true,
    summary_type: 'cls_index', summary_use_proj: true, torch_dtype: 'float32', transformers_version: '4.45.0',
    use_cache: true, vocab_size: d.vocab,
  };
  return { config, tensors, dtype: 'f32' };
}

/** Every shape `make-model --shape NAME` knows. */
export const MODEL_SHAPES: Readonly<Record<string, () => ModelShape>> = {
  'llama-3.2-1b': () => llama({ hidden: 2048, layers: 16, heads: 32, kvHeads: 8, intermediate: 8192, vocab: 128256 }),
  'llama-tiny': () => llama({ hidden: 32, layers: 3, heads: 4, kvHeads: 2, intermediate: 48, vocab: 64 }),
  'bert-base': () => bert({ hidden: 768, layers: 12, heads: 12, intermediate: 3072, vocab: 30522, positions: 512 }),
  'bert-tiny': () => bert({ hidden: 24, layers: 2, heads: 4, intermediate: 40, vocab: 50, positions: 16 }),
  gpt2: () => gpt2({ embd: 768, layers: 12, heads: 12, vocab: 50257, positions: 1024 }),
  'gpt2-tiny': () => gpt2({ embd: 16, layers: 2, heads: 2, vocab: 40, positions: 8 }),
};
