/**
 * FRoD on raw weights, without a Module tree: what `frod init`, `frod merge` and `frod inspect` need.
 *
 *   const weights = weightsFromStateDict(loadSafetensors('model.safetensors').tensors, config);
 *   const adapter = initAdapterFromWeights(weights, config);          // checkpoint key → tensor
 *   const merged = mergeWeightsWithAdapter(weights, adapter, config);  // "<module>.weight" → W'
 *
 * The results agree with what the Module-level API (getPeftModel / savePretrained / mergeAndUnload) gives
 * for the same weights.
 */
import type { Mat } from '../linalg/kernels/mat';
import { type DType, Generator, type Tensor, tensor } from '../tensor';
import { type CategoryState, type WeightMatrices, checkpointCategoryStates, freshCategoryStates } from './basis';
import { categoryOf, groupByCategory } from './categories';
import type { FrodConfig } from './config';
import { LAMBDA_EPS, adaptedWeight, decomposeWeight } from './decompose';
import { lambdaKey, parseAdapterKey, projectionKey, sValuesKey } from './keys';
import { type LayerTypes, isModuleToSave, noTargetsMessage, selectTargets } from '../peft/targets';
import { trainableDType } from '../peft/autocast';
import { warn as peftWarn } from '../peft/warnings';
import { type BaseWeight, type BaseWeights, adapterDType, decomposableWeightMatrix, matrixToWeight, weightShape } from './weights';

export type { BaseWeight, BaseWeights } from './weights';

const MODEL_PREFIX = 'base_model.model.';

/** Why an adapter without projections is not portable (said on every such save and load). */
export const NOT_PORTABLE = 'V\'s column signs and the sparse pattern are regenerated from the base weights, which only the implementation '
  + 'that wrote the adapter reproduces (frod-ts: seeded sampler, canonical signs; PEFT: torch\'s RNG, LAPACK\'s signs); '
  + 'save_projection: true (the default) is the portable choice (docs/frod-math.md, "Differences from PEFT")';

/** Every module path a state dict implies: each proper dotted prefix of its tensor names, sorted. */
function modulePathsOf(names: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const name of names) {
    for (let end = name.indexOf('.'); end > 0; end = name.indexOf('.', end + 1)) paths.add(name.slice(0, end));
  }
  return [...paths].sort();
}

/**
 * Every 2-D `<path>.weight` of a state dict whose `<path>` the config targets (docs/peft-compatibility.md), in sorted path
 * order, with `fanInFanOut` from the config. Targets inside a `modules_to_save` module are left out, as
 * the Module API leaves them. A targeted weight that is not 2-D, or a config that targets nothing, is an
 * error.
 */
export function weightsFromStateDict(stateDict: Readonly<Record<string, Tensor>>, config: FrodConfig): Map<string, BaseWeight> {
  const selected = selectWeightPaths(Object.keys(stateDict), config);
  const out = new Map<string, BaseWeight>();
  for (const path of selected) {
    const base = { weight: stateDict[`${path}.weight`], fanInFanOut: config.fanInFanOut };
    weightShape(base, path);
    out.set(path, base);
  }
  return out;
}

/**
 * The module paths of a state dict's tensor `names` whose `<path>.weight` the config targets (docs/peft-compatibility.md), in
 * sorted order; `layerTypes` tells which modules are Linear / Conv1D, for `target_modules: "all-linear"`.
 * Selecting nothing is an error.
 */
export function selectWeightPaths(names: readonly string[], config: FrodConfig, layerTypes?: LayerTypes): string[] {
  const weighted = new Set(names.filter((k) => k.endsWith('.weight')).map((k) => k.slice(0, -'.weight'.length)));
  const selected = selectTargets(modulePathsOf(names), config, layerTypes).filter((path) => weighted.has(path));
  if (selected.length === 0) throw new Error(noTargetsMessage('FRoD', config, weighted.size));
  return selected;
}

/** The float64 (out, in) matrices of the given weights. */
function weightMatrices(weights: BaseWeights): Map<string, Mat> {
  return new Map([...weights].map(([path, base]) => [path, decomposableWeightMatrix(base, path)]));
}

/**
 * The seeded generator of a layer's `init_weights: false` noise (same in the functional and Module APIs):
 * seeded by the key, the adapter's position among the adapters added to the model (0 for the first) and the
 * module path. As in PEFT, whose draws come from torch's global RNG, a second adapter on a layer gets other
 * noise than the first, while the adapter's name makes no difference (PEFT's
 * test_custom_models.py::test_adapter_name_makes_no_difference); every run gives the same values.
 */
export function initNoiseGenerator(config: FrodConfig, path: string, adapterIndex: number): Generator {
  return new Generator(`frod-init/${config.projectionPrngKey}/${adapterIndex}/${path}`);
}

/**
 * True when loading an adapter of `paths` from `tensors` regenerates a projection: the config says
 * `save_projection: false` and some category has no saved V (see {@link NOT_PORTABLE}).
 */
export function regeneratesProjections(paths: readonly string[], tensors: Readonly<Record<string, unknown>>, config: FrodConfig): boolean {
  if (config.saveProjection) return false;
  return [...new Set(paths.map((path) => categoryOf(path)))].some((category) => !Object.hasOwn(tensors, projectionKey(category)));
}

/** Initial λ and S values of one layer: λ from the decomposition, S = 0 (or the test noise of `init_weights: false`). */
export function initialLayerValues(lambda: Float64Array, nnz: number, config: FrodConfig, path: string,
  adapterIndex: number): { lambda: Float64Array; sValues: Float64Array } {
  const sValues = new Float64Array(nnz);
  const out = lambda.slice();
  if (!config.initWeights) {
    const generator = initNoiseGenerator(config, path, adapterIndex);
    for (let i = 0; i < nnz; i++) sValues[i] = 0.1 * generator.normal();
    for (let i = 0; i < out.length; i++) out[i] += 0.1 * generator.normal();
  }
  return { lambda: out, sValues };
}

/** Options of {@link initAdapterFromWeights}. */
export interface InitAdapterOptions {
  /** The whole base state dict, to add `modules_to_save` copies and biases per `config.bias`. */
  stateDict?: Readonly<Record<string, Tensor>>;
  /** Show the projection progress (also needs config.progressbar). Default true. */
  progress?: boolean;
  /**
   * PEFT's autocast_adapter_dtype (default true): over float16/bfloat16 weights, λ and the S values are
   * float32 (λ's initial values still rounded to the base dtype first, as PEFT computes them there).
   */
  autocastAdapterDtype?: boolean;
  /** Receives warnings (default: the library warning channel, src/peft/warnings.ts). */
  warn?: (message: string) => void;
}

/**
 * A fresh adapter for `weights` (all of them are adapted), as the tensors of adapter_model.safetensors
 * (docs/frod-math.md §10): λ and S values per module, and V / s_indices / s_size per category when
 * `config.saveProjection`. V takes the weights' dtype when they share one (else float32), λ and S too
 * except over half-precision weights with autocast (float32); the index tensors are int32 (written as I64
 * by {@link writeAdapterDir}).
 */
export function initAdapterFromWeights(weights: BaseWeights, config: FrodConfig, options: InitAdapterOptions = {}): Record<string, Tensor> {
  if (weights.size === 0) throw new Error(noTargetsMessage('FRoD', config));
  const dtype = adapterDType([...weights.values()].map((b) => b.weight));
  const trainable = trainableDType(dtype, options.autocastAdapterDtype ?? true);
  const mats = weightMatrices(weights);
  if (!config.saveProjection) (options.warn ?? peftWarn)(`FRoD adapter is saved without its projections (save_projection: false): ${NOT_PORTABLE}`);
  const states = freshCategoryStates([...weights.keys()], mats, config, { dtype, progress: options.progress });
  const out: Record<string, Tensor> = {};
  for (const state of states) Object.assign(out, categoryAdapterTensors(state, mats, config, 0, trainable)); // the model's first adapter
  if (options.stateDict) Object.assign(out, extraModelTensors(options.stateDict, [...weights.keys()], config));
  return out;
}

/**
 * The adapter tensors of one fresh category: λ and S values of each member (in `trainable`, default the
 * state's dtype), and V,
 * s_indices and s_size when `config.saveProjection`. `mats` holds the members' float64 (out, in) weights.
 * A caller that builds one category at a time (`frod init` on a large model) holds one category's weights.
 */
export function categoryAdapterTensors(state: CategoryState, mats: WeightMatrices, config: FrodConfig,
  adapterIndex: number, trainable: DType = state.dtype): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const path of state.paths) {
    const { lambda } = decomposeWeight(state.basis(), mats.get(path) as Mat);
    const init = initialLayerValues(lambda, state.pattern.nnz, config, path, adapterIndex);
    // λ is computed in the base dtype, then held in the trainable dtype (float32 under autocast), as PEFT.
    out[lambdaKey(path)] = tensor(init.lambda, { dtype: state.dtype }).to(trainable);
    out[sValuesKey(path)] = tensor(init.sValues, { dtype: state.dtype }).to(trainable);
  }
  if (config.saveProjection) Object.assign(out, state.checkpointTensors());
  return out;
}

/**
 * `modules_to_save` tensors and trained biases of a state dict under PEFT's keys: `base_model.model.<name>`,
 * with an adapted layer's own tensors under `base_layer` (`…q_proj.base_layer.bias`), as PEFT saves them.
 * `adapted` lists the adapted module paths. Only the tensors that go into the adapter are read.
 */
export function extraModelTensors(stateDict: Readonly<Record<string, Tensor>>, adapted: readonly string[], config: FrodConfig): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const adaptedSet = new Set(adapted);
  for (const name of Object.keys(stateDict)) { // keys, not entries: a lazily read state dict decodes only what is kept
    const parts = name.split('.');
    const owner = parts.slice(0, -1).join('.');
    const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
    const saved = prefixes.some((p) => isModuleToSave(p, config.modulesToSave));
    const isBias = parts[parts.length - 1] === 'bias';
    const bias = isBias && (config.bias === 'all' || (config.bias === 'frod_only' && adaptedSet.has(owner)));
    if (saved || bias) out[`base_model.model.${adaptedFileName(name, adaptedSet)}`] = stateDict[name];
  }
  return out;
}

/** `<path>.<p>` of an adapted module as PEFT names it in an adapter file: `<path>.base_layer.<p>`. */
function adaptedFileName(name: string, adapted: ReadonlySet<string>): string {
  const owner = name.slice(0, Math.max(0, name.lastIndexOf('.')));
  return adapted.has(owner) ? `${owner}.base_layer.${name.slice(owner.length + 1)}` : name;
}

/**
 * The base-file tensor an adapter's plain tensor replaces: PEFT's `<path>.base_layer.<p>` of an adapted
 * module is the base file's `<path>.<p>`; any other name is the same in both.
 */
export function baseTensorName(name: string, adapted: ReadonlySet<string>): string {
  const at = name.lastIndexOf('.base_layer.');
  if (at < 0) return name;
  const owner = name.slice(0, at);
  return adapted.has(owner) ? `${owner}.${name.slice(at + '.base_layer.'.length)}` : name;
}

/** The adapter's tensors sorted by role. */
interface ParsedAdapter {
  lambdas: Map<string, Tensor>;
  sValues: Map<string, Tensor>;
  modelTensors: Map<string, Tensor>;
}

function parseAdapter(tensors: Readonly<Record<string, Tensor>>): ParsedAdapter {
  const parsed: ParsedAdapter = { lambdas: new Map(), sValues: new Map(), modelTensors: new Map() };
  for (const [key, value] of Object.entries(tensors)) {
    const what = parseAdapterKey(key);
    if (what.kind === 'lambda') parsed.lambdas.set(what.path, value);
    else if (what.kind === 'sValues') parsed.sValues.set(what.path, value);
    else if (what.kind === 'modelTensor') parsed.modelTensors.set(what.name, value);
  }
  for (const path of parsed.lambdas.keys()) {
    if (!parsed.sValues.has(path)) throw new Error(`FRoD: the adapter has '${lambdaKey(path)}' but no '${sValuesKey(path)}'`);
  }
  for (const path of parsed.sValues.keys()) {
    if (!parsed.lambdas.has(path)) throw new Error(`FRoD: the adapter has '${sValuesKey(path)}' but no '${lambdaKey(path)}'`);
  }
  return parsed;
}

/** Checks the trained vectors of one module against its category: λ (in,) and S values (nnz,). */
export function checkLayerVectors(path: string, state: CategoryState, lambda: Tensor, sValues: Tensor): void {
  if (lambda.ndim !== 1 || lambda.shape[0] !== state.inFeatures) {
    throw new Error(`FRoD: '${lambdaKey(path)}' has shape (${lambda.shape.join(',')}) but module '${path}' has in_features ${state.inFeatures} (expected (${state.inFeatures}))`);
  }
  if (sValues.ndim !== 1 || sValues.shape[0] !== state.pattern.nnz) {
    throw new Error(`FRoD: '${sValuesKey(path)}' has shape (${sValues.shape.join(',')}) but the pattern of category '${state.name}' has ${state.pattern.nnz} entries`);
  }
}

/** Options of {@link mergeWeightsWithAdapter}. */
export interface MergeWeightsOptions {
  /** Refuse non-finite merged weights (the error names the adapter and the module). */
  safe?: boolean;
  /** Named in error messages (default "default"). */
  adapterName?: string;
  /** Receives warnings (default: the library warning channel, src/peft/warnings.ts). */
  warn?: (message: string) => void;
  /**
   * Receives each merged weight and adapter tensor (state-dict name → tensor) as soon as it is ready, instead
   * of the returned map (which then stays empty): a caller that writes them out holds one weight at a time.
   * A failure may come after some tensors were handed over.
   */
  onMerged?: (name: string, value: Tensor) => void;
}

/** A weight's (out, in) shape as a matrix without values: what the category checks of a saved V read. */
function shapeOnly(base: BaseWeight, path: string): Mat {
  const { outFeatures, inFeatures } = weightShape(base, path);
  return { rows: outFeatures, cols: inFeatures, data: new Float64Array(0) };
}

/**
 * The base weights with an adapter merged in: state-dict tensor name → new tensor, for every adapted
 * module (`<path>.weight` = W' = U (S + diag λ) Vᵀ in the stored orientation and the weight's dtype) and
 * every plain model tensor the adapter carries (`modules_to_save` copies, trained biases). Tensors not
 * returned are unchanged. Projections come from the adapter, or are regenerated bit for bit from the
 * weights when the config says `save_projection: false`. Works one category and one weight at a time, so
 * `weights` may read each weight lazily (its `shape` given up front) and `onMerged` may write each result out.
 */
export function mergeWeightsWithAdapter(weights: BaseWeights, adapterTensors: Readonly<Record<string, Tensor>>,
  config: FrodConfig, options: MergeWeightsOptions = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const emit = options.onMerged ?? ((name: string, value: Tensor) => { out.set(name, value); });
  for (const [name, value] of mergeWeightsOneByOne(weights, adapterTensors, config, options)) emit(name, value);
  return out;
}

/**
 * {@link mergeWeightsWithAdapter}'s tensors as `[name, tensor]` pairs, each computed only when the next is
 * asked for (`options.onMerged` is not used): a caller that writes them out may yield between two, as the
 * `frod` CLI does so that Ctrl-C is handled while it merges.
 */
export function* mergeWeightsOneByOne(weights: BaseWeights, adapterTensors: Readonly<Record<string, Tensor>>,
  config: FrodConfig, options: MergeWeightsOptions = {}): IterableIterator<[string, Tensor]> {
  const parsed = parseAdapter(adapterTensors);
  const paths = [...parsed.lambdas.keys()].sort();
  if (paths.length === 0) throw new Error('FRoD: the adapter has no frod_lambda_l tensors: it adapts no module');
  for (const path of paths) {
    if (!weights.has(path)) throw new Error(`FRoD: the adapter adapts module '${path}' but the base model has no 2-D weight '${path}.weight'`);
  }
  const adapted = new Set(paths);
  const plain = [...parsed.modelTensors].map(([name, value]) => [baseTensorName(name, adapted), name, value] as const);
  for (const [target, name, value] of plain) {
    if (target.endsWith('.weight') && adapted.has(target.slice(0, -'.weight'.length))) {
      throw new Error(`FRoD: the adapter holds both the FRoD tensors of module '${target.slice(0, -'.weight'.length)}' and a plain '${MODEL_PREFIX}${name}', which would replace its merged weight; an adapter file has one or the other`);
    }
    if (options.safe) checkFiniteTensor(value, options.adapterName ?? 'default', `${MODEL_PREFIX}${name}`);
  }
  if (regeneratesProjections(paths, adapterTensors, config)) {
    (options.warn ?? peftWarn)(`FRoD adapter '${options.adapterName ?? 'default'}' is loaded without saved projections (save_projection: false): ${NOT_PORTABLE}`);
  }
  const warned = new Set<string>();
  const warn = (message: string) => {
    if (!warned.has(message)) (options.warn ?? peftWarn)(message);
    warned.add(message);
  };
  // One category at a time, one weight at a time: only a category whose V is regenerated reads all its
  // weights at once (the decomposition needs them); with a saved V the category checks need only shapes.
  for (const group of groupByCategory(paths)) {
    const regenerate = !Object.hasOwn(adapterTensors, projectionKey(group.name));
    const mats = new Map(group.paths.map((p) => {
      const base = weights.get(p) as BaseWeight;
      return [p, regenerate ? decomposableWeightMatrix(base, p) : shapeOnly(base, p)];
    }));
    // A regenerated V is rounded as the base weights' V would be (a saved V keeps its own dtype).
    const dtype = regenerate ? adapterDType(group.paths.map((p) => (weights.get(p) as BaseWeight).weight)) : 'float32';
    const [state] = checkpointCategoryStates(group.paths, mats, adapterTensors, config, { dtype, warn, progress: false });
    for (const path of state.paths) {
      const lambda = parsed.lambdas.get(path) as Tensor;
      const sValues = parsed.sValues.get(path) as Tensor;
      checkLayerVectors(path, state, lambda, sValues);
      const base = weights.get(path) as BaseWeight;
      const weight = base.weight; // read once (a lazily read base decodes it from its file here)
      const w = regenerate ? mats.get(path) as Mat : decomposableWeightMatrix({ weight, fanInFanOut: base.fanInFanOut }, path);
      mats.delete(path);
      const { u } = decomposeWeight(state.basis(), w);
      const merged = adaptedWeight(u, state.v, lambda.data(), state.pattern, sValues.data());
      const stored = matrixToWeight(merged, weight.dtype, base.fanInFanOut);
      // Checked as stored: a float64 value past the float32 maximum is finite until it is rounded.
      if (options.safe) checkFinite(stored.data(), options.adapterName ?? 'default', path);
      yield [`${path}.weight`, stored];
    }
  }
  for (const [target, , value] of plain) yield [target, value];
}

/** The safe-merge check of a tensor the adapter carries as is (a modules_to_save copy, a trained bias). */
function checkFiniteTensor(value: Tensor, adapterName: string, key: string): void {
  const values = value.data();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`FRoD: safe merge of adapter '${adapterName}': its tensor '${key}' (a modules_to_save copy or trained bias) holds NaN or infinite values; the adapter seems to be broken, nothing was merged`);
    }
  }
}

/** The safe-merge check: every merged value, as stored, must be finite. */
export function checkFinite(values: ArrayLike<number>, adapterName: string, path: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`FRoD: safe merge of adapter '${adapterName}' into module '${path}' gives NaN or infinite weights; the adapter seems to be broken, nothing was merged`);
    }
  }
}

/** One category as {@link inspectAdapter} reports it. */
export interface CategorySummary {
  name: string;
  modules: string[];
  inFeatures: number;
  nnz: number;
  /** Whether the file carries V / s_indices / s_size for this category. */
  hasProjection: boolean;
  /** Trainable parameters of the category: (in + nnz) per module. */
  trainableParameters: number;
}

/** What {@link inspectAdapter} returns. */
export interface AdapterSummary {
  categories: CategorySummary[];
  /** Σ (in + nnz) over adapted modules. */
  trainableParameters: number;
  /** `base_model.model.<name>` tensors that are not FRoD's (modules_to_save copies, biases). */
  otherTensors: string[];
}

/** Summarises an adapter's tensors: categories, their modules, in_features, nnz and trainable counts. */
export function inspectAdapter(adapterTensors: Readonly<Record<string, Tensor>>): AdapterSummary {
  const parsed = parseAdapter(adapterTensors);
  const byCategory = new Map<string, string[]>();
  for (const path of [...parsed.lambdas.keys()].sort()) {
    const name = categoryOf(path);
    byCategory.set(name, [...(byCategory.get(name) ?? []), path]);
  }
  const categories = [...byCategory].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, modules]) => {
    const inFeatures = (parsed.lambdas.get(modules[0]) as Tensor).shape[0] ?? 0;
    const nnz = (parsed.sValues.get(modules[0]) as Tensor).shape[0] ?? 0;
    const hasProjection = Object.hasOwn(adapterTensors, `base_model.frod_V.${name}`);
    const trainableParameters = modules.reduce((sum, p) => sum + (parsed.lambdas.get(p) as Tensor).numel() + (parsed.sValues.get(p) as Tensor).numel(), 0);
    return { name, modules, inFeatures, nnz, hasProjection, trainableParameters };
  });
  return {
    categories,
    trainableParameters: categories.reduce((sum, c) => sum + c.trainableParameters, 0),
    otherTensors: [...parsed.modelTensors.keys()].map((name) => `base_model.model.${name}`),
  };
}

/** λ of a fresh decomposition is ~0 for null-space directions; this is the cut below which U's column is zero. */
export { LAMBDA_EPS };
