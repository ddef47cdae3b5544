/**
 * Per-category state of one adapter: the member modules, the shared basis V and the sparse pattern of S
 * (docs/frod-math.md §2, §4) — computed fresh from base weights, or read from a checkpoint (docs/frod-math.md §10), where missing
 * projections are regenerated bit for bit.
 *
 * V is kept as the float64 values of the tensor that is saved and used (rounded to the adapter's dtype), so
 * a float32 model computes U and λ from exactly the V it multiplies by, and a reload reproduces them.
 */
import type { Mat } from '../linalg/kernels/mat';
import { type DType, type Device, type Tensor, tensor } from '../tensor';
import { createProgress } from '../util/progress';
import { type CategoryGroup, groupByCategory } from './categories';
import type { FrodConfig } from './config';
import { type PreparedBasis, prepareBasis } from './decompose';
import { projectionKey, sIndicesKey, sSizeKey } from './keys';
import { type SparsePattern, patternFromIndices, patternToIndices, samplePattern } from './pattern';
import { type ProjectionPath, categoryProjection } from './projection';
import { roundToDType, toFloat64 } from './weights';
import { warn as libraryWarn } from '../peft/warnings';

/** Where a category's V came from. */
export type BasisSource = ProjectionPath | 'checkpoint';

/** One category of one adapter. */
export class CategoryState {
  private prepared: PreparedBasis | null = null;
  private readonly tensorCache = new Map<string, { v: Tensor; indices: Tensor }>();

  constructor(
    /** Category name (docs/frod-math.md §1). */
    readonly name: string,
    /** Member module paths in layer order. */
    readonly paths: readonly string[],
    /** V (in, in), float64 values of the stored tensor. */
    readonly v: Mat,
    /** The dtype V is stored and saved in. */
    readonly dtype: DType,
    readonly pattern: SparsePattern,
    readonly source: BasisSource,
    /** Singular values or μ of a fresh decomposition, null when V was read from a checkpoint. */
    readonly spectrum: Float64Array | null,
  ) {}

  get inFeatures(): number {
    return this.v.rows;
  }

  /** The same V (and its prepared inverse) with another pattern, e.g. for an adapter with another sparse rate. */
  withPattern(pattern: SparsePattern): CategoryState {
    const copy = new CategoryState(this.name, this.paths, this.v, this.dtype, pattern, this.source, this.spectrum);
    copy.prepared = this.basis();
    return copy;
  }

  /** LU factors of V (pseudo-inverse when singular), computed once for all member layers. */
  basis(): PreparedBasis {
    this.prepared ??= prepareBasis(this.v);
    return this.prepared;
  }

  /** V (in, in) and the int32 pattern (2, nnz) as tensors of `dtype` on `device` (cached). */
  tensors(dtype: DType, device: Device = 'cpu'): { v: Tensor; indices: Tensor } {
    const key = `${dtype}/${device}`;
    let cached = this.tensorCache.get(key);
    if (!cached) {
      const n = this.inFeatures;
      const indices = new Int32Array(2 * this.pattern.nnz);
      indices.set(this.pattern.rows, 0);
      indices.set(this.pattern.cols, this.pattern.nnz);
      cached = {
        v: tensor(this.v.data, { dtype, shape: [n, n], device }),
        indices: tensor(indices, { dtype: 'int32', shape: [2, this.pattern.nnz], device }),
      };
      this.tensorCache.set(key, cached);
    }
    return cached;
  }

  /** The three checkpoint tensors of this category (docs/frod-math.md §10); the index tensors are int32 (saved as I64). */
  checkpointTensors(): Record<string, Tensor> {
    const n = this.inFeatures;
    const indices = Int32Array.from(patternToIndices(this.pattern), (x) => Number(x));
    return {
      [projectionKey(this.name)]: tensor(this.v.data, { dtype: this.dtype, shape: [n, n] }),
      [sIndicesKey(this.name)]: tensor(indices, { dtype: 'int32', shape: [2, this.pattern.nnz] }),
      [sSizeKey(this.name)]: tensor(new Int32Array([n, n]), { dtype: 'int32', shape: [2] }),
    };
  }
}

/** The weights a category is built from: module path → float64 (out, in) matrix. */
export type WeightMatrices = ReadonlyMap<string, Mat>;

/** Options shared by the builders below. */
export interface BasisOptions {
  /** The dtype V is rounded to and stored in (the model's). */
  dtype: DType;
  /** Show progress (also needs config.progressbar and FROD_PROGRESS ≠ 0). Default true. */
  progress?: boolean;
  /** Receives warnings (default: the library warning channel, src/peft/warnings.ts). */
  warn?: (message: string) => void;
  /**
   * The weights of a category lie back to back in one buffer that the caller drops afterwards (`frod init`):
   * the decomposition may overwrite it (see ProjectionOptions in ./projection.ts). Default false.
   */
  overwriteWeights?: boolean;
}

/** Groups paths into categories and checks that the members of each share their in_features. */
function groupChecked(paths: readonly string[], weights: WeightMatrices): CategoryGroup[] {
  const groups = groupByCategory(paths);
  for (const group of groups) {
    const first = weightOf(weights, group.paths[0]);
    for (const path of group.paths.slice(1)) {
      const w = weightOf(weights, path);
      if (w.cols !== first.cols) {
        throw new Error(`FRoD: category '${group.name}' mixes in_features ${first.cols} ('${group.paths[0]}') and ${w.cols} ('${path}'); modules that share a category need the same in_features`);
      }
    }
  }
  return groups;
}

function weightOf(weights: WeightMatrices, path: string): Mat {
  const w = weights.get(path);
  if (!w) throw new Error(`FRoD: no base weight for module '${path}'`);
  return w;
}

/** A fresh V for one category (rounded to `dtype`) with its decomposition path and spectrum. */
function freshBasis(group: CategoryGroup, weights: WeightMatrices, config: FrodConfig, dtype: DType, overwriteWeights = false) {
  const projection = categoryProjection(group.paths.map((p) => weightOf(weights, p)), config.regularizationAlpha, { overwriteWeights });
  const v = { rows: projection.v.rows, cols: projection.v.cols, data: roundToDType(projection.v.data, dtype) };
  return { v, path: projection.path, spectrum: projection.spectrum };
}

/** Runs `build` for each group under one progress bar (category name, layer count, dimensions). */
function withProgress<T>(groups: readonly CategoryGroup[], weights: WeightMatrices, config: FrodConfig,
  enabled: boolean, build: (group: CategoryGroup) => T): T[] {
  const task = createProgress({ enabled: enabled && config.progressbar }).start('FRoD projection', groups.length);
  try {
    return groups.map((group, i) => {
      const w = weightOf(weights, group.paths[0]);
      const rows = group.paths.reduce((sum, p) => sum + weightOf(weights, p).rows, 0);
      task.update(i, `${group.name}: ${group.paths.length} layer${group.paths.length === 1 ? '' : 's'}, stack ${rows}×${w.cols}`);
      const state = build(group);
      task.update(i + 1);
      return state;
    });
  } finally {
    task.stop();
  }
}

/**
 * Fresh category states for `paths` (the adapted modules, in target order): V from the hierarchical
 * decomposition of each category's weights, the pattern sampled from `config.projectionPrngKey`.
 */
export function freshCategoryStates(paths: readonly string[], weights: WeightMatrices, config: FrodConfig,
  options: BasisOptions): CategoryState[] {
  const groups = groupChecked(paths, weights);
  return withProgress(groups, weights, config, options.progress ?? true, (group) => {
    const { v, path, spectrum } = freshBasis(group, weights, config, options.dtype, options.overwriteWeights);
    const pattern = samplePattern(v.rows, config.sparseRate, config.projectionPrngKey, group.name);
    return new CategoryState(group.name, group.paths, v, options.dtype, pattern, path, spectrum);
  });
}

/** The message for projections that the config promises but the file lacks (docs/frod-math.md §10). */
function missingProjectionMessage(category: string, key: string): string {
  return `FRoD: adapter_model.safetensors has no '${key}' for category '${category}' but adapter_config.json says `
    + 'save_projection: true; either save the adapter again with its projections (save_projection: true), or set '
    + '"save_projection": false in adapter_config.json so that they are regenerated from the base weights and projection_prng_key';
}

/** Reads V of a category from the checkpoint, checking that it fits every member's weight. */
function savedBasis(group: CategoryGroup, weights: WeightMatrices, saved: Tensor): Mat {
  for (const path of group.paths) {
    const w = weightOf(weights, path);
    if (saved.ndim !== 2 || saved.shape[0] !== w.cols || saved.shape[1] !== w.cols) {
      throw new Error(`FRoD: the saved V of category '${group.name}' has shape (${saved.shape.join(',')}) but module '${path}' has a weight of shape (${w.rows},${w.cols}) (out, in), which needs V of shape (${w.cols},${w.cols})`);
    }
  }
  return { rows: saved.shape[0], cols: saved.shape[1], data: toFloat64(saved) };
}

/** Reads the pattern of a category from the checkpoint (indices and, when present, the size). */
function savedPattern(group: CategoryGroup, inFeatures: number, indices: Tensor, size: Tensor | undefined): SparsePattern {
  const key = sIndicesKey(group.name);
  if (indices.ndim !== 2 || indices.shape[0] !== 2) {
    throw new Error(`FRoD: '${key}' must have shape (2, nnz), got (${indices.shape.join(',')})`);
  }
  if (size) {
    const dims = Array.from(size.data());
    if (dims.length !== 2 || dims[0] !== inFeatures || dims[1] !== inFeatures) {
      throw new Error(`FRoD: '${sSizeKey(group.name)}' is [${dims.join(', ')}] but category '${group.name}' has in_features ${inFeatures} (expected [${inFeatures}, ${inFeatures}])`);
    }
  }
  return patternFromIndices(Array.from(indices.data()), inFeatures, key);
}

/**
 * Category states of an adapter read from a checkpoint. `paths` are the adapted modules; each category's
 * V, pattern and size come from `tensors` when present. When the config says `save_projection: false`,
 * missing ones are regenerated exactly as a fresh adapter computes them (and present ones are used, with a
 * warning); when it says true, a missing one is an error that explains both ways out.
 */
export function checkpointCategoryStates(paths: readonly string[], weights: WeightMatrices,
  tensors: Readonly<Record<string, Tensor>>, config: FrodConfig, options: BasisOptions): CategoryState[] {
  const warn = options.warn ?? libraryWarn;
  const groups = groupChecked(paths, weights);
  const has = (key: string) => Object.hasOwn(tensors, key);
  const savedAny = groups.some((g) => has(projectionKey(g.name)) || has(sIndicesKey(g.name)) || has(sSizeKey(g.name)));
  if (!config.saveProjection && savedAny) {
    warn('FRoD: adapter_config.json says save_projection: false but adapter_model.safetensors contains projections; using the saved ones');
  }
  const needsFresh = groups.filter((g) => !has(projectionKey(g.name)));
  for (const group of groups) {
    for (const key of [projectionKey(group.name), sIndicesKey(group.name)]) {
      if (config.saveProjection && !has(key)) throw new Error(missingProjectionMessage(group.name, key));
    }
  }
  const fresh = new Map(withProgress(needsFresh, weights, config, options.progress ?? true,
    (group) => [group.name, freshBasis(group, weights, config, options.dtype)] as const));
  return groups.map((group) => {
    const savedV = tensors[projectionKey(group.name)];
    const computed = fresh.get(group.name);
    const v = savedV ? savedBasis(group, weights, savedV) : (computed as { v: Mat }).v;
    const dtype = savedV ? (savedV.dtype === 'int32' ? 'float32' : savedV.dtype) : options.dtype;
    const indices = tensors[sIndicesKey(group.name)];
    const pattern = indices
      ? savedPattern(group, v.rows, indices, tensors[sSizeKey(group.name)])
      : samplePattern(v.rows, config.sparseRate, config.projectionPrngKey, group.name);
    const source = computed ? computed.path : 'checkpoint';
    return new CategoryState(group.name, group.paths, v, dtype, pattern, source, computed ? computed.spectrum : null);
  });
}
