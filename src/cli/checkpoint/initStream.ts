/**
 * `frod init` on a base of any size: one category at a time, its weights read from disk, its V, λ and S
 * computed by the library (src/frod: freshCategoryStates, categoryAdapterTensors) and its weights dropped
 * before the next category is read. The projection overwrites the stack with Q, and U / λ read each layer
 * again, so peak memory is one category's float64 stack and n×n factors, whatever the size of the model.
 */
import { CategoryState, freshCategoryStates } from '../../frod/basis';
import { groupByCategory } from '../../frod/categories';
import type { FrodConfig } from '../../frod/config';
import { baseTensorName, categoryAdapterTensors, extraModelTensors } from '../../frod/functional';
import { parseAdapterKey } from '../../frod/keys';
import { decomposableWeightMatrix } from '../../frod/weights';
import type { Mat } from '../../linalg/kernels/mat';
import type { SafeDType } from '../../nn/io/format';
import { type Tensor, tensor } from '../../tensor';
import { createProgress } from '../../util/progress';
import { type HalfDType, isHalf, roundLikeTorch } from './halfPrecision';
import type { ModelFiles } from './modelFiles';

/** Prefix of plain model tensors in an adapter file. */
const MODEL_PREFIX = 'base_model.model.';

/** Options of {@link initAdapterStreaming}. */
export interface StreamInitOptions {
  adapterName: string;
  progress: boolean;
  /**
   * PEFT's `autocast_adapter_dtype` (default true): λ and S of a half-precision base are stored as float32;
   * false stores them in the base dtype.
   */
  autocastAdapterDtype: boolean;
}

/** A fresh adapter: its tensors, the file dtype of those not stored in their tensor's own, and each category's path. */
export interface StreamedAdapter {
  tensors: Record<string, Tensor>;
  dtypes: Record<string, SafeDType>;
  /** Category → 'svd' or 'qr-eig' (docs/frod-math.md §2 and §6). */
  projectionPaths: Map<string, string>;
}

/**
 * The float64 (out, in) weights of one category, read now into one buffer in layer order: each matrix is a
 * view of the category's stack, which the projection then uses without a copy (src/frod/projection.ts).
 */
function readCategory(model: ModelFiles, paths: readonly string[], fanInFanOut: boolean): Map<string, Mat> {
  const shapes = paths.map((path) => {
    const [rows, cols] = model.locate(`${path}.weight`).entry.shape;
    return fanInFanOut ? { outFeatures: cols, inFeatures: rows } : { outFeatures: rows, inFeatures: cols };
  });
  const stack = new Float64Array(shapes.reduce((sum, s) => sum + s.outFeatures * s.inFeatures, 0));
  const mats = new Map<string, Mat>();
  let at = 0;
  paths.forEach((path, i) => {
    const { outFeatures, inFeatures } = shapes[i];
    const view = stack.subarray(at, at + outFeatures * inFeatures);
    view.set(decomposableWeightMatrix({ weight: model.decode(`${path}.weight`), fanInFanOut }, path).data);
    mats.set(path, { rows: outFeatures, cols: inFeatures, data: view });
    at += view.length;
  });
  return mats;
}

/**
 * The weights of a category read again, one layer each time `get` is asked (U and λ need each layer once,
 * after the projection has used the stack's buffer for Q): one layer in memory at a time.
 */
class LayerReader extends Map<string, Mat> {
  constructor(private readonly model: ModelFiles, private readonly fanInFanOut: boolean) {
    super();
  }

  override get(path: string): Mat {
    return decomposableWeightMatrix({ weight: this.model.decode(`${path}.weight`), fanInFanOut: this.fanInFanOut }, path);
  }
}

/** The same category with V rounded to the base's half dtype, so U and λ are computed from the V that is saved. */
function roundedBasis(state: CategoryState, dtype: HalfDType): CategoryState {
  const v = { rows: state.v.rows, cols: state.v.cols, data: roundLikeTorch(state.v.data, dtype) };
  return new CategoryState(state.name, state.paths, v, state.dtype, state.pattern, state.source, state.spectrum);
}

/** A state dict over the model whose tensors are read when (and each time) they are accessed. */
export function lazyModelStateDict(model: ModelFiles): Readonly<Record<string, Tensor>> {
  const stateDict: Record<string, Tensor> = {};
  for (const name of model.names) {
    Object.defineProperty(stateDict, name, { enumerable: true, get: () => model.decode(name) });
  }
  return Object.freeze(stateDict);
}

/**
 * A fresh adapter for the modules `paths` of `model` (the targets of `config`, already prepared): what
 * initAdapterFromWeights gives for the same weights, computed one category at a time, with the tensors of a
 * half-precision base rounded and typed as PEFT saves them (see ./halfPrecision.ts).
 */
export function initAdapterStreaming(model: ModelFiles, paths: readonly string[], config: FrodConfig,
  options: StreamInitOptions): StreamedAdapter {
  const fileDType = (path: string) => model.locate(`${path}.weight`).entry.dtype;
  // As the library: float64 adapter tensors only when every adapted weight is float64.
  const dtype = paths.every((p) => fileDType(p) === 'F64') ? 'float64' : 'float32';
  const groups = groupByCategory(paths);
  const out: StreamedAdapter = { tensors: {}, dtypes: {}, projectionPaths: new Map() };
  const task = createProgress({ enabled: options.progress && config.progressbar }).start('FRoD projection', groups.length);
  try {
    groups.forEach((group, i) => {
      const first = model.locate(`${group.paths[0]}.weight`).entry;
      const rows = group.paths.reduce((sum, p) => sum + model.locate(`${p}.weight`).entry.shape[config.fanInFanOut ? 1 : 0], 0);
      const inFeatures = first.shape[config.fanInFanOut ? 0 : 1];
      task.update(i, `${group.name}: ${group.paths.length} layer${group.paths.length === 1 ? '' : 's'}, stack ${rows}×${inFeatures}`);
      const mats = readCategory(model, group.paths, config.fanInFanOut);
      // The stack becomes Q (no second stack-sized buffer); U and λ then read each layer again from the file.
      let [state] = freshCategoryStates(group.paths, mats, config, { dtype, progress: false, overwriteWeights: true });
      mats.clear();
      // PEFT casts a category's V to the dtype of its first weight.
      const half = isHalf(first.dtype) ? first.dtype : null;
      if (half) state = roundedBasis(state, half);
      const tensors = categoryAdapterTensors(state, new LayerReader(model, config.fanInFanOut), config, 0); // init noise of the model's first adapter, as the library
      for (const [key, value] of Object.entries(tensors)) addTensor(out, key, value, half, fileDType, options.autocastAdapterDtype);
      out.projectionPaths.set(group.name, state.source);
      task.update(i + 1);
    });
  } finally {
    task.stop();
  }
  const extras = extraModelTensors(lazyModelStateDict(model), paths, config);
  const adapted = new Set(paths);
  for (const [key, value] of Object.entries(extras)) {
    out.tensors[key] = value;
    out.dtypes[key] = model.locate(baseTensorName(key.slice(MODEL_PREFIX.length), adapted)).entry.dtype; // copies keep the base's dtype
  }
  return out;
}

/** Adds one tensor of a category with its file dtype (half-precision rounding as PEFT, see ./halfPrecision.ts). */
function addTensor(out: StreamedAdapter, key: string, value: Tensor, half: HalfDType | null,
  fileDType: (path: string) => SafeDType, autocast: boolean): void {
  const parsed = parseAdapterKey(key);
  if (parsed.kind === 'projection') {
    out.tensors[key] = value;
    if (half) out.dtypes[key] = half;
    return;
  }
  if (parsed.kind !== 'lambda' && parsed.kind !== 'sValues') {
    out.tensors[key] = value;
    return;
  }
  const own = fileDType(parsed.path);
  if (!isHalf(own)) {
    out.tensors[key] = value;
    return;
  }
  // PEFT creates λ and S in the layer's dtype, then autocast upcasts them to float32.
  out.tensors[key] = tensor(roundLikeTorch(value.data(), own), { dtype: 'float32', shape: value.shape });
  out.dtypes[key] = autocast ? 'F32' : own;
}
