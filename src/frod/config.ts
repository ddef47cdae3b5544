/**
 * `FrodConfig`: every setting of a FRoD adapter (spec §5), camelCase in TypeScript and snake_case in
 * `adapter_config.json` exactly as PEFT writes it. Validated on construction; unknown JSON keys are kept
 * and written back, so a config from a newer PEFT survives a round trip.
 */
import { compileFullMatch, compileLayerRegex } from './targets';

/** A value that JSON can hold. */
import { pythonJsonDumps, type JsonObject, type JsonValue } from '../peft/python-json';
export { pythonFloatRepr, type JsonObject, type JsonValue } from '../peft/python-json';

/** Which biases train: none, every bias of the model, or the biases of adapted layers. */
export type FrodBias = 'none' | 'all' | 'frod_only';
/** PEFT's task types (`peft.TaskType`). */
export type TaskType = 'SEQ_CLS' | 'SEQ_2_SEQ_LM' | 'CAUSAL_LM' | 'TOKEN_CLS' | 'QUESTION_ANS' | 'FEATURE_EXTRACTION';

const TASK_TYPES: readonly TaskType[] = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'];
const BIAS_MODES: readonly FrodBias[] = ['none', 'all', 'frod_only'];

/** Options accepted by the {@link FrodConfig} constructor; every field is optional and defaults as in PEFT. */
export interface FrodConfigOptions {
  /** Always "FROD" (accepted for symmetry with PEFT). */
  peftType?: 'FROD';
  taskType?: TaskType | null;
  /** A Python regex matching whole module paths, or a list of names (exact or `.name` suffix). */
  targetModules?: string | readonly string[] | null;
  /** Seed of the sparse pattern (default 0); must be the same for every adapter of a model. */
  projectionPrngKey?: number;
  /** Save `V`, the pattern and its size in the checkpoint (default true). */
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
export interface FrodConfigJson {
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
  [unknown: string]: JsonValue;
}

type FieldName = Exclude<keyof FrodConfigOptions, 'peftType'>;
interface FieldSpec {
  /** Key in adapter_config.json. */
  json: string;
  /** PEFT's default. */
  value: unknown;
  /** Returns the validated value or throws an error naming `name`. */
  check: (value: unknown, name: string) => unknown;
}

/** Renders a rejected value for an error message. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function fail(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${show(value)}`);
}

function checkBoolean(value: unknown, name: string): boolean {
  return typeof value === 'boolean' ? value : fail(name, 'true or false', value);
}

function checkNullableString(value: unknown, name: string): string | null {
  return value === null || typeof value === 'string' ? value : fail(name, 'a string or null', value);
}

function checkNumberIn(value: unknown, name: string, low: number, high: number): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= low && value <= high;
  return ok ? value : fail(name, `a number in [${low}, ${high}]`, value);
}

function checkStringList(value: unknown, name: string, expected: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(name, expected, value);
  return Object.freeze([...(value as string[])]);
}

function checkTaskType(value: unknown, name: string): TaskType | null {
  if (value === null || TASK_TYPES.includes(value as TaskType)) return value as TaskType | null;
  return fail(name, `null or one of ${TASK_TYPES.map((t) => `"${t}"`).join(', ')}`, value);
}

function checkTargetModules(value: unknown, name: string): string | readonly string[] | null {
  if (value === null) return null;
  if (typeof value === 'string') {
    compileFullMatch(value, name);
    return value;
  }
  return checkStringList(value, name, 'a regular expression string, a list of module names or null');
}

function checkPrngKey(value: unknown, name: string): number {
  return Number.isSafeInteger(value) ? (value as number) : fail(name, 'an integer', value);
}

function checkBias(value: unknown, name: string): FrodBias {
  return BIAS_MODES.includes(value as FrodBias) ? (value as FrodBias) : fail(name, '"none", "all" or "frod_only"', value);
}

function checkModulesToSave(value: unknown, name: string): readonly string[] | null {
  return value === null ? null : checkStringList(value, name, 'a list of module names or null');
}

function checkLayersToTransform(value: unknown, name: string): number | readonly number[] | null {
  const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (value === null || isIndex(value)) return value as number | null;
  if (Array.isArray(value) && value.every(isIndex)) return Object.freeze([...(value as number[])]);
  return fail(name, 'a non-negative integer, a list of them or null', value);
}

function checkLayersPattern(value: unknown, name: string): string | readonly string[] | null {
  if (value === null) return null;
  const list = typeof value === 'string' ? [value] : checkStringList(value, name, 'a string, a list of strings or null');
  for (const pattern of list) if (pattern.length > 0) compileLayerRegex(pattern, name);
  return typeof value === 'string' ? value : list;
}

function checkAlpha(value: unknown, name: string): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0;
  return ok ? value : fail(name, 'a finite number > 0', value);
}

function checkAutoMapping(value: unknown, name: string): JsonObject | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return fail(name, 'an object or null', value);
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** Each field: its JSON key, PEFT's default, and its validator. */
const FIELDS: Record<FieldName, FieldSpec> = {
  taskType: { json: 'task_type', value: null, check: checkTaskType },
  targetModules: { json: 'target_modules', value: null, check: checkTargetModules },
  projectionPrngKey: { json: 'projection_prng_key', value: 0, check: checkPrngKey },
  saveProjection: { json: 'save_projection', value: true, check: checkBoolean },
  frodDropout: { json: 'frod_dropout', value: 0, check: (v, n) => checkNumberIn(v, n, 0, 1) },
  fanInFanOut: { json: 'fan_in_fan_out', value: false, check: checkBoolean },
  bias: { json: 'bias', value: 'none', check: checkBias },
  modulesToSave: { json: 'modules_to_save', value: null, check: checkModulesToSave },
  initWeights: { json: 'init_weights', value: true, check: checkBoolean },
  layersToTransform: { json: 'layers_to_transform', value: null, check: checkLayersToTransform },
  layersPattern: { json: 'layers_pattern', value: null, check: checkLayersPattern },
  sparseRate: { json: 'sparse_rate', value: 0.01, check: (v, n) => checkNumberIn(v, n, 0, 1) },
  regularizationAlpha: { json: 'regularization_alpha', value: 1e-3, check: checkAlpha },
  progressbar: { json: 'progressbar', value: true, check: checkBoolean },
  runtimeOffloadBaseWeight: { json: 'runtime_offload_base_weight', value: false, check: checkBoolean },
  baseModelNameOrPath: { json: 'base_model_name_or_path', value: null, check: checkNullableString },
  revision: { json: 'revision', value: null, check: checkNullableString },
  inferenceMode: { json: 'inference_mode', value: false, check: checkBoolean },
  peftVersion: { json: 'peft_version', value: null, check: checkNullableString },
  autoMapping: { json: 'auto_mapping', value: null, check: checkAutoMapping },
};
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
/** JSON keys in the order PEFT's dataclass lists them (its file is written with sorted keys instead). */
const JSON_ORDER: readonly string[] = ['task_type', 'peft_type', 'auto_mapping', 'peft_version', 'base_model_name_or_path',
  'revision', 'inference_mode', 'target_modules', 'projection_prng_key', 'save_projection', 'frod_dropout',
  'fan_in_fan_out', 'bias', 'modules_to_save', 'init_weights', 'layers_to_transform', 'layers_pattern',
  'sparse_rate', 'regularization_alpha', 'progressbar', 'runtime_offload_base_weight'];
/** Fields that Python writes as floats (`0.0`, `1e-05`). */
const FLOAT_KEYS = new Set(['frod_dropout', 'sparse_rate', 'regularization_alpha']);

/** Sets an own property, even for a key like "__proto__" that plain assignment would treat specially. */
function setOwn(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `layersToTransform` filters anything (PEFT treats an empty list like null). */
function hasLayerFilter(layers: number | readonly number[] | null): boolean {
  return layers !== null && (typeof layers === 'number' || layers.length > 0);
}

/** True when `layersPattern` names any pattern (PEFT treats "" and [] like null). */
function hasLayerPattern(pattern: string | readonly string[] | null): boolean {
  return pattern !== null && pattern.length > 0;
}

/** Configuration of one FRoD adapter; immutable once built (use {@link FrodConfig.with} for a changed copy). */
export class FrodConfig {
  readonly peftType = 'FROD' as const;
  readonly taskType!: TaskType | null;
  readonly targetModules!: string | readonly string[] | null;
  readonly projectionPrngKey!: number;
  readonly saveProjection!: boolean;
  readonly frodDropout!: number;
  readonly fanInFanOut!: boolean;
  readonly bias!: FrodBias;
  readonly modulesToSave!: readonly string[] | null;
  readonly initWeights!: boolean;
  readonly layersToTransform!: number | readonly number[] | null;
  readonly layersPattern!: string | readonly string[] | null;
  readonly sparseRate!: number;
  readonly regularizationAlpha!: number;
  readonly progressbar!: boolean;
  readonly runtimeOffloadBaseWeight!: boolean;
  readonly baseModelNameOrPath!: string | null;
  readonly revision!: string | null;
  readonly inferenceMode!: boolean;
  readonly peftVersion!: string | null;
  readonly autoMapping!: JsonObject | null;
  /** adapter_config.json keys this version does not know, written back unchanged by {@link toJSON}. */
  readonly extra: Readonly<JsonObject>;

  /** Builds and validates a config; an invalid value throws a one-line error naming the field. */
  constructor(options: FrodConfigOptions = {}, extra: JsonObject = {}) {
    if (options === null || typeof options !== 'object') fail('FrodConfig', 'an options object', options);
    const known = new Set<string>([...FIELD_NAMES, 'peftType']);
    const stray = Object.keys(options).find((key) => !known.has(key));
    if (stray !== undefined) throw new Error(`FrodConfig: unknown option "${stray}"`);
    if (options.peftType !== undefined && options.peftType !== 'FROD') fail('FrodConfig.peftType', '"FROD"', options.peftType);
    const self = this as unknown as Record<string, unknown>;
    for (const field of FIELD_NAMES) {
      const given = options[field];
      self[field] = given === undefined ? FIELDS[field].value : FIELDS[field].check(given, `FrodConfig.${field}`);
    }
    this.extra = Object.freeze(JSON.parse(JSON.stringify(extra)) as JsonObject);
    if (hasLayerPattern(this.layersPattern) && !hasLayerFilter(this.layersToTransform)) {
      throw new Error(`FrodConfig.layersPattern: expected layersToTransform to be set when layersPattern is given, got layersToTransform ${show(this.layersToTransform)}`);
    }
  }

  /** A validated copy with some fields replaced. */
  with(changes: FrodConfigOptions): FrodConfig {
    return new FrodConfig({ ...this.options(), ...changes }, { ...this.extra });
  }

  /** The camelCase options that rebuild this config. */
  options(): FrodConfigOptions {
    const self = this as unknown as Record<string, unknown>;
    return Object.fromEntries(FIELD_NAMES.map((f) => [f, self[f]])) as FrodConfigOptions;
  }

  /** The snake_case object of adapter_config.json (PEFT's keys in dataclass order, then unknown keys). */
  toJSON(): FrodConfigJson {
    const self = this as unknown as Record<string, unknown>;
    const out: Record<string, JsonValue> = {};
    const byJson = new Map(FIELD_NAMES.map((f) => [FIELDS[f].json, f]));
    for (const key of JSON_ORDER) {
      const field = byJson.get(key);
      const value = field === undefined ? this.peftType : self[field];
      out[key] = Array.isArray(value) ? [...value] : (value as JsonValue);
      if (key === 'auto_mapping' && value !== null) out[key] = JSON.parse(JSON.stringify(value)) as JsonObject;
    }
    for (const [key, value] of Object.entries(this.extra)) setOwn(out, key, JSON.parse(JSON.stringify(value)) as JsonValue);
    return out as FrodConfigJson;
  }

  /** The text PEFT writes to adapter_config.json: `json.dumps(d, indent=2, sort_keys=True)`. */
  toJSONString(): string {
    return pythonJsonDumps(this.toJSON() as JsonValue, FLOAT_KEYS);
  }

  /**
   * Parses an adapter_config.json object (snake_case). Missing keys take PEFT's defaults, unknown keys are
   * kept; a value of the wrong type or range throws an error naming the JSON key.
   */
  static fromJSON(json: unknown): FrodConfig {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      fail('FrodConfig.fromJSON', 'a JSON object (the contents of adapter_config.json)', json);
    }
    const source = json as Record<string, unknown>;
    if (Object.hasOwn(source, 'peft_type') && source.peft_type !== 'FROD') fail('FrodConfig.peft_type', '"FROD"', source.peft_type);
    const options: Record<string, unknown> = {};
    for (const field of FIELD_NAMES) {
      const key = FIELDS[field].json;
      if (Object.hasOwn(source, key)) options[field] = FIELDS[field].check(source[key], `FrodConfig.${key}`);
    }
    const knownKeys = new Set(JSON_ORDER);
    const extra: JsonObject = {};
    for (const [key, value] of Object.entries(source)) if (!knownKeys.has(key)) setOwn(extra, key, value as JsonValue);
    if (hasLayerPattern(options.layersPattern as FrodConfig['layersPattern'] ?? null)
      && !hasLayerFilter(options.layersToTransform as FrodConfig['layersToTransform'] ?? null)) {
      throw new Error(`FrodConfig.layers_pattern: expected layers_to_transform to be set when layers_pattern is given, got layers_to_transform ${show(source.layers_to_transform ?? null)}`);
    }
    return new FrodConfig(options as FrodConfigOptions, extra);
  }
}

/**
 * Checks that the adapters of one model agree on the settings they must share (spec §3, §5):
 * `projectionPrngKey` (one pattern per category), `saveProjection` and `runtimeOffloadBaseWeight`.
 * Throws a one-line error naming the field and two adapters that disagree.
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
