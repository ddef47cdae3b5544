/**
 * The named cases of the conformance kit: small models, each built to exercise one thing an implementation
 * of FRoD can get wrong, named so that a failure says what. A case is a list of modules (their dotted paths,
 * layer types and shapes), one or more adapter configs, the base dtype, and optional weight recipes that
 * give a category a chosen structure (a rank-deficient stack, a repeated spectrum of T).
 *
 * The values (weights, inputs, trained λ/S) are drawn at export time from a seeded generator (./suite.ts);
 * the cases themselves are fixed here.
 */
import type { FrodConfigOptions } from '../frod/config';

/** The dtype of a case's base weights (and inputs). */
export type BaseDType = 'float64' | 'float32' | 'float16' | 'bfloat16';

/** `linear`: torch.nn.Linear, weight (out, in). `conv1d`: Hugging Face's GPT-2 Conv1D, weight (in, out). */
export type ModuleKind = 'linear' | 'conv1d';

/** One module of a case's model. */
export interface ModuleSpec {
  /** Dotted module path, as `named_modules()` gives it. */
  readonly path: string;
  readonly kind: ModuleKind;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
}

/**
 * How the weights of one category are made:
 * - `random`: every entry uniform in [−1, 1);
 * - `unused-input`: random, but input feature `column` is read by no layer (a zero column in every weight):
 *   the stack is rank deficient, V is singular, B = W·pinv(V)ᵀ;
 * - `duplicate`: every layer of the category has the same weight (a rank-deficient wide stack);
 * - `spectrum`: two square layers W_i = P_i·diag(√d_i)·G·R (P_i, G random orthogonal, R random upper
 *   triangular, d_1 = `fractions`, d_2 = 1 − d_1), so that T = Gᵀ·diag(t(d))·G with
 *   t(d) = ½[(d + α)⁻¹ + (1 − d + α)⁻¹]: fractions mirrored around ½ give repeated eigenvalues.
 */
export type WeightRecipe =
  | { readonly kind: 'random' }
  | { readonly kind: 'unused-input'; readonly column: number }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'spectrum'; readonly fractions: readonly number[] };

/** One adapter of a case: its name and config (init_weights true, dropout off, as every case here). */
export interface AdapterSpec {
  readonly name: string;
  readonly config: FrodConfigOptions;
}

/** A case of the kit. */
export interface CaseSpec {
  /** Directory name and identifier (lower case, digits and dashes). */
  readonly id: string;
  /** What the case is about, in one line. */
  readonly title: string;
  /** What a failure here teaches. */
  readonly teaches: string;
  readonly dtype: BaseDType;
  readonly modules: readonly ModuleSpec[];
  readonly adapters: readonly AdapterSpec[];
  /** Recipes by category name; categories not listed are `random`. */
  readonly recipes?: Readonly<Record<string, WeightRecipe>>;
  /** Leading shape of every module's input x (the last axis is in_features). */
  readonly batch: readonly number[];
}

/** Modules `<prefix>.<i>.<suffix>` for each layer index i, all of one shape. */
export function layers(prefix: string, count: number, suffix: string, kind: ModuleKind, inFeatures: number,
  outFeatures: number | readonly number[], bias = true): ModuleSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${prefix}.${i}.${suffix}`, kind, inFeatures, bias,
    outFeatures: typeof outFeatures === 'number' ? outFeatures : outFeatures[i],
  }));
}

const one = (path: string, inFeatures: number, outFeatures: number, bias = true, kind: ModuleKind = 'linear'): ModuleSpec =>
  ({ path, kind, inFeatures, outFeatures, bias });

const adapter = (config: FrodConfigOptions, name = 'default'): AdapterSpec => ({ name, config: { sparseRate: 0.25, ...config } });

/** A model whose `blocks.{0,1}.attn.qkv` (biased) and `attn.proj` (no bias) are targeted and `mlp.fc` is not. */
function biasModel(): ModuleSpec[] {
  return [
    ...layers('blocks', 2, 'attn.qkv', 'linear', 5, 6),
    ...layers('blocks', 2, 'attn.proj', 'linear', 6, 5, false),
    ...layers('blocks', 2, 'mlp.fc', 'linear', 5, 7),
  ];
}

function biasCase(bias: 'none' | 'all' | 'frod_only'): CaseSpec {
  return {
    id: `bias-${bias.replace('_', '-')}`,
    title: `bias: "${bias}"`,
    teaches: bias === 'none'
      ? 'no bias trains or is saved; the trained adapter carries none'
      : bias === 'all'
        ? 'every bias of the model trains and is saved (untargeted mlp.fc too), adapted ones under "<path>.base_layer.bias"'
        : 'only the adapted layers\' biases train and are saved, under "<path>.base_layer.bias"',
    dtype: 'float32',
    modules: biasModel(),
    adapters: [adapter({ targetModules: ['qkv', 'proj'], bias })],
    batch: [4],
  };
}

/** The named cases, in the order the manifest lists them. */
export const NAMED_CASES: readonly CaseSpec[] = [
  {
    id: 'qr-eig-path',
    title: 'qr-eig path: three tall layers, a simple spectrum of T',
    teaches: 'the hierarchical decomposition (QR of the stack, T = mean (QᵢᵀQᵢ + αI)⁻¹, V = RᵀE): V is unique up to column signs here',
    dtype: 'float64',
    modules: layers('encoder.layer', 3, 'attention.self.query', 'linear', 6, 8),
    adapters: [adapter({ targetModules: ['query'] })],
    batch: [2, 3],
  },
  {
    id: 'svd-path',
    title: 'svd path: one wide layer (fewer rows than in_features)',
    teaches: 'V = all right singular vectors (full_matrices), descending; the null-space columns are any orthonormal basis of it',
    dtype: 'float64',
    modules: [one('model.proj', 7, 3)],
    adapters: [adapter({ targetModules: ['proj'] })],
    batch: [4],
  },
  {
    id: 'heights-qr-eig',
    title: 'a stack of layers of different heights (3, 5 and 9 rows), qr-eig path',
    teaches: 'each layer\'s Qᵢ is its own row block of Q: slicing by each layer\'s out_features, not by a common height',
    dtype: 'float32',
    modules: layers('model.layers', 3, 'mlp.down_proj', 'linear', 6, [3, 5, 9]),
    adapters: [adapter({ targetModules: ['down_proj'] })],
    batch: [4],
  },
  {
    id: 'heights-svd',
    title: 'a stack of layers of different heights (2 and 3 rows), svd path',
    teaches: 'the path is chosen on the whole stack (5 rows < 8 columns), not on each layer',
    dtype: 'float32',
    modules: layers('model.layers', 2, 'mlp.up_proj', 'linear', 8, [2, 3]),
    adapters: [adapter({ targetModules: ['up_proj'] })],
    batch: [4],
  },
  {
    id: 'rank-deficient-qr-eig',
    title: 'a rank-deficient tall stack: input feature 2 is read by no layer',
    teaches: 'V is singular (a zero row): B = W·pinv(V)ᵀ, W′ = W at init still holds; V is determined only through V·Vᵀ = MᵀM',
    dtype: 'float32',
    modules: layers('model.layers', 2, 'attn.o_proj', 'linear', 5, [6, 7]),
    adapters: [adapter({ targetModules: ['o_proj'] })],
    recipes: { attn_o_proj: { kind: 'unused-input', column: 2 } },
    batch: [4],
  },
  {
    id: 'rank-deficient-svd',
    title: 'a rank-deficient wide stack: two identical layers',
    teaches: 'singular values of a rank-2 stack of 4 rows: a 4-dimensional null space whose basis is free',
    dtype: 'float32',
    modules: layers('model.layers', 2, 'attn.k_proj', 'linear', 6, 2),
    adapters: [adapter({ targetModules: ['k_proj'] })],
    recipes: { attn_k_proj: { kind: 'duplicate' } },
    batch: [4],
  },
  {
    id: 'single-layer',
    title: 'categories of one layer: a square one (5×5) and a tall one (8×4)',
    teaches: 'with one layer T = (1 + α)⁻¹·I: every orthonormal E is an eigenbasis, so V is arbitrary up to V·Vᵀ = WᵀW; W′ = W, λ = 1 and the forward are determined',
    dtype: 'float64',
    modules: [one('head.q', 5, 5), one('pooler.fc', 4, 8)],
    adapters: [adapter({ targetModules: ['q', 'fc'] })],
    batch: [3],
  },
  {
    id: 'repeated-spectrum',
    title: 'a repeated eigenvalue of T (fractions 0.3 and 0.7 of two layers give the same t)',
    teaches: 'inside a repeated eigenvalue the eigenvectors are any orthonormal basis: compare the subspace, not the columns',
    dtype: 'float64',
    modules: layers('model.layers', 2, 'self_attn.v_proj', 'linear', 5, 5),
    adapters: [adapter({ targetModules: ['v_proj'] })],
    recipes: { self_attn_v_proj: { kind: 'spectrum', fractions: [0.3, 0.7, 0.1, 0.45, 0.85] } },
    batch: [2, 2],
  },
  {
    id: 'clustered-spectrum',
    title: 'two eigenvalues of T within 1e-5 of each other (fractions 0.3 and 0.70001)',
    teaches: 'a cluster that float64 resolves and float32 cannot: compare by subspace with a tolerance that grows as the gap shrinks',
    dtype: 'float64',
    modules: layers('model.layers', 2, 'self_attn.v_proj', 'linear', 5, 5),
    adapters: [adapter({ targetModules: ['v_proj'] })],
    recipes: { self_attn_v_proj: { kind: 'spectrum', fractions: [0.3, 0.70001, 0.1, 0.45, 0.85] } },
    batch: [3],
  },
  {
    id: 'conv1d',
    title: 'GPT-2 Conv1D layers (weights stored (in, out), fan_in_fan_out)',
    teaches: 'the weight is transposed before the decomposition and the merged weight is written back as (in, out)',
    dtype: 'float32',
    modules: [
      ...layers('transformer.h', 2, 'attn.c_attn', 'conv1d', 4, 9),
      ...layers('transformer.h', 2, 'mlp.c_fc', 'conv1d', 4, 8),
    ],
    adapters: [adapter({ targetModules: ['c_attn', 'c_fc'], fanInFanOut: true })],
    batch: [2, 3],
  },
  {
    id: 'regex-targets',
    title: 'target_modules as a regex that must match the whole path',
    teaches: 'a string target is a full match (re.fullmatch), not a suffix or a search; layers_to_transform does not apply to it',
    dtype: 'float32',
    modules: [
      ...layers('model.layers', 2, 'self_attn.q_proj', 'linear', 4, 5),
      ...layers('model.layers', 2, 'self_attn.k_proj', 'linear', 4, 5),
      ...layers('model.layers', 2, 'self_attn.v_proj', 'linear', 4, 5),
    ],
    adapters: [adapter({ targetModules: String.raw`model\.layers\.0\.self_attn\.(q|k)_proj|.*v_proj` })],
    batch: [3],
  },
  {
    id: 'layers-to-transform',
    title: 'layers_to_transform [0, 2] with layers_pattern "layers"',
    teaches: 'only blocks 0 and 2 of model.layers are adapted; a matching name under another list (decoder.blocks) has no "layers" index and is left alone',
    dtype: 'float32',
    modules: [
      ...layers('model.layers', 3, 'mlp.fc1', 'linear', 4, 6),
      ...layers('model.layers', 3, 'attn.q', 'linear', 4, 4),
      one('model.decoder.blocks.1.mlp.fc1', 4, 6),
    ],
    adapters: [adapter({ targetModules: ['fc1', 'q'], layersToTransform: [0, 2], layersPattern: 'layers' })],
    batch: [3],
  },
  {
    id: 'several-categories',
    title: 'five categories of a BERT-like encoder, including attention.output.dense',
    teaches: 'categories from the last two path parts, with attention.output.dense kept apart from output.dense; each category its own V and pattern',
    dtype: 'float32',
    modules: [
      ...layers('encoder.layer', 2, 'attention.self.query', 'linear', 6, 6),
      ...layers('encoder.layer', 2, 'attention.self.value', 'linear', 6, 6),
      ...layers('encoder.layer', 2, 'attention.output.dense', 'linear', 6, 6),
      ...layers('encoder.layer', 2, 'intermediate.dense', 'linear', 6, 8),
      ...layers('encoder.layer', 2, 'output.dense', 'linear', 8, 6),
    ],
    adapters: [adapter({ targetModules: ['query', 'value', 'dense'] })],
    batch: [2, 2],
  },
  {
    id: 'multiple-adapters',
    title: 'two adapters with different targets and sparse rates on one model',
    teaches: 'each adapter has its own λ, S and pattern; V is shared where the members agree; merging both adds both deltas',
    dtype: 'float32',
    modules: [
      ...layers('model.layers', 2, 'attn.q', 'linear', 5, 5),
      ...layers('model.layers', 2, 'attn.v', 'linear', 5, 5),
      ...layers('model.layers', 2, 'mlp.fc', 'linear', 5, 7),
    ],
    adapters: [
      adapter({ targetModules: ['q', 'v'], sparseRate: 0.2, projectionPrngKey: 7 }, 'first'),
      adapter({ targetModules: ['v', 'fc'], sparseRate: 0.3, projectionPrngKey: 7 }, 'second'),
    ],
    batch: [3],
  },
  biasCase('none'),
  biasCase('all'),
  biasCase('frod_only'),
  {
    id: 'dtype-float16',
    title: 'a float16 base model',
    teaches: 'V and U in float16, λ and S in float32 (autocast_adapter_dtype), the forward in float16',
    dtype: 'float16',
    modules: [...layers('model.layers', 2, 'attn.q', 'linear', 5, 6), ...layers('model.layers', 2, 'mlp.fc', 'linear', 6, 3)],
    adapters: [adapter({ targetModules: ['q', 'fc'] })],
    batch: [3],
  },
  {
    id: 'dtype-bfloat16',
    title: 'a bfloat16 base model',
    teaches: 'V and U in bfloat16, λ and S in float32 (autocast_adapter_dtype), the forward in bfloat16',
    dtype: 'bfloat16',
    modules: [...layers('model.layers', 2, 'attn.q', 'linear', 5, 6), ...layers('model.layers', 2, 'mlp.fc', 'linear', 6, 3)],
    adapters: [adapter({ targetModules: ['q', 'fc'] })],
    batch: [3],
  },
];
