/**
 * `FrodConfig`: every setting of a FRoD adapter, camelCase in TypeScript and snake_case in
 * `adapter_config.json` exactly as PEFT writes it. What all configs share (task type, target selection,
 * JSON in/out) lives in {@link PeftConfig}; this file adds FRoD's own fields. Validated on construction;
 * unknown JSON keys are kept and written back, so a config from a newer PEFT survives a round trip.
 */
import {
  type ConfigKind, type JsonObject, PEFT_FIELDS, PeftConfig, type TaskType, checkBoolean, checkNumberIn, failField, targetFields,
} from '../peft/config';

export { pythonFloatRepr } from '../peft/pythonJson';
export type { JsonObject, JsonValue, TaskType } from '../peft/config';

/** Which biases train: none, every bias of the model, or the biases of adapted layers. */
export type FrodBias = 'none' | 'all' | 'frod_only';

/** Options accepted by the {@link FrodConfig} constructor; every field is optional and defaults as in PEFT. */
export interface FrodConfigOptions {
  /** Always "FROD" (accepted for symmetry with PEFT). */
  peftType?: 'FROD';
  taskType?: TaskType | null;
  /** A Python regex matching whole module paths, "all-linear", or a list of names (exact or `.name` suffix); null: the model type's defaults. */
  targetModules?: string | readonly string[] | null;
  /** Seed of the sparse pattern (default 0); must be the same for every adapter of a model. */
  projectionPrngKey?: number;
  /** Save `V`, the pattern and its size in the checkpoint (default true; the portable choice, see docs/frod-math.md). */
  saveProjection?: boolean;
  /** Dropout probability on the adapter input (default 0). */
  frodDropout?: number;
  /** The base layer stores `(in, out)` (GPT-2 Conv1D); forced by the model code per layer type. */
  fanInFanOut?: boolean;
  bias?: FrodBias;
  modulesToSave?: readonly string[] | null;
  /** true: `S = 0` (a fresh adapter keeps the outputs); false: random `S` and `λ` noise, for tests. */
  initWeights?: boolean;
  layersToTransform?: number | readonly number[] | null;
  layersPattern?: string | readonly string[] | null;
  /** Fraction of the `in²` entries of `S` that train (default 0.01, in [0, 1]). */
  sparseRate?: number;
  /** Ridge term of the qr-eig path (default 1e-3, > 0). */
  regularizationAlpha?: number;
  progressbar?: boolean;
  runtimeOffloadBaseWeight?: boolean;
  baseModelNameOrPath?: string | null;
  revision?: string | null;
  inferenceMode?: boolean;
  peftVersion?: string | null;
  autoMapping?: JsonObject | null;
}

/** `adapter_config.json` as PEFT writes it (plus any unknown keys). */
export interface FrodConfigJson extends JsonObject {
  task_type: TaskType | null;
  peft_type: 'FROD';
  auto_mapping: JsonObject | null;
  peft_version: string | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  inference_mode: boolean;
  target_modules: string | string[] | null;
  projection_prng_key: number;
  save_projection: boolean;
  frod_dropout: number;
  fan_in_fan_out: boolean;
  bias: FrodBias;
  modules_to_save: string[] | null;
  init_weights: boolean;
  layers_to_transform: number | number[] | null;
  layers_pattern: string | string[] | null;
  sparse_rate: number;
  regularization_alpha: number;
  progressbar: boolean;
  runtime_offload_base_weight: boolean;
}

function checkPrngKey(value: unknown, name: string): number {
  return Number.isSafeInteger(value) ? (value as number) : failField(name, 'an integer', value);
}

function checkAlpha(value: unknown, name: string): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0;
  return ok ? value : failField(name, 'a finite number > 0', value);
}

const TARGET = targetFields(['none', 'all', 'frod_only']);

/** FRoD's fields in the order of PEFT's dataclass (adapter_config.json objects keep it; the file sorts keys). */
const FROD_KIND: ConfigKind = {
  className: 'FrodConfig',
  peftType: 'FROD',
  fields: {
    ...PEFT_FIELDS, // PeftConfig's own fields come first in every method's dataclass
    targetModules: TARGET.targetModules,
    projectionPrngKey: { json: 'projection_prng_key', value: 0, check: checkPrngKey },
    saveProjection: { json: 'save_projection', value: true, check: checkBoolean },
    frodDropout: { json: 'frod_dropout', value: 0, check: (v, n) => checkNumberIn(v, n, 0, 1), float: true },
    fanInFanOut: TARGET.fanInFanOut,
    bias: TARGET.bias,
    modulesToSave: TARGET.modulesToSave,
    initWeights: { json: 'init_weights', value: true, check: checkBoolean },
    layersToTransform: TARGET.layersToTransform,
    layersPattern: TARGET.layersPattern,
    sparseRate: { json: 'sparse_rate', value: 0.01, check: (v, n) => checkNumberIn(v, n, 0, 1), float: true },
    regularizationAlpha: { json: 'regularization_alpha', value: 1e-3, check: checkAlpha, float: true },
    progressbar: { json: 'progressbar', value: true, check: checkBoolean },
    runtimeOffloadBaseWeight: { json: 'runtime_offload_base_weight', value: false, check: checkBoolean },
  },
};

/** Configuration of one FRoD adapter; immutable once built (use {@link FrodConfig.with} for a changed copy). */
export class FrodConfig extends PeftConfig {
  declare readonly peftType: 'FROD';
  declare readonly bias: FrodBias;
  declare readonly projectionPrngKey: number;
  declare readonly saveProjection: boolean;
  declare readonly frodDropout: number;
  declare readonly initWeights: boolean;
  declare readonly sparseRate: number;
  declare readonly regularizationAlpha: number;
  declare readonly progressbar: boolean;
  declare readonly runtimeOffloadBaseWeight: boolean;

  /** Builds and validates a config; an invalid value throws a one-line error naming the field. */
  constructor(options: FrodConfigOptions = {}, extra: JsonObject = {}) {
    super(FROD_KIND, options, extra);
  }

  /** A validated copy with some fields replaced. */
  with(changes: FrodConfigOptions): FrodConfig {
    return new FrodConfig({ ...this.options(), ...changes }, { ...this.extra });
  }

  override options(): FrodConfigOptions {
    return super.options() as FrodConfigOptions;
  }

  override toJSON(): FrodConfigJson {
    return super.toJSON() as FrodConfigJson;
  }

  /**
   * Parses an adapter_config.json object (snake_case). `peft_type` must be "FROD"; missing keys take PEFT's
   * defaults; unknown keys are kept (with one warning); a value of the wrong type or range throws an error
   * naming the JSON key.
   */
  static fromJSON(json: unknown): FrodConfig {
    const { options, extra } = PeftConfig.parseJSON(FROD_KIND, json);
    return new FrodConfig(options as FrodConfigOptions, extra);
  }
}

/**
 * Checks that the adapters of one model agree on the settings they must share: `projectionPrngKey` (one
 * pattern per category), `saveProjection` and `runtimeOffloadBaseWeight` (as PEFT's FrodModel). Throws a
 * one-line error naming the field and two adapters that disagree.
 */
export function checkAdaptersAgree(adapters: ReadonlyMap<string, FrodConfig> | Readonly<Record<string, FrodConfig>>): void {
  const entries = adapters instanceof Map ? [...adapters.entries()] : Object.entries(adapters);
  if (entries.length < 2) return;
  const [firstName, first] = entries[0];
  for (const field of ['projectionPrngKey', 'saveProjection', 'runtimeOffloadBaseWeight'] as const) {
    for (const [name, config] of entries.slice(1)) {
      if (config[field] !== first[field]) {
        throw new Error(`FrodConfig.${field} must be the same for all adapters of a model: adapter "${firstName}" has ${first[field]}, adapter "${name}" has ${config[field]}`);
      }
    }
  }
}
