/**
 * `LoraConfig`: the settings of a LoRA adapter (Hu et al. 2021) as Hugging Face PEFT names them —
 * camelCase here, snake_case in `adapter_config.json`. Target selection (`targetModules`, `layersToTransform`,
 * `layersPattern`, `modulesToSave`) means exactly what it means for FRoD: both tuners select modules with
 * the shared rules of src/frod/targets.ts. Unknown JSON keys are kept and written back.
 */
import { type JsonObject, type JsonValue, type TaskType } from '../frod/config';
import { pythonJsonDumps } from '../peft/python-json';
import { compileFullMatch, compileLayerRegex } from '../frod/targets';

/** Which biases train: none, every bias of the model, or the biases of LoRA-adapted layers. */
export type LoraBias = 'none' | 'all' | 'lora_only';
/** How A and B start: true (A Kaiming-uniform, B zero: the adapter starts as a no-op), 'gaussian' (A ~ N(0, 1/r)), or false (both random: for tests). */
export type LoraInit = boolean | 'gaussian';

export interface LoraConfigOptions {
  peftType?: 'LORA';
  taskType?: TaskType | null;
  /** Rank of the update ΔW = B A (default 8). */
  r?: number;
  /** A Python regex matching whole module paths, or a list of names (exact or `.name` suffix). */
  targetModules?: string | readonly string[] | null;
  /** The update is scaled by loraAlpha / r (or loraAlpha / √r with useRslora); default 8. */
  loraAlpha?: number;
  /** Dropout probability on the adapter input (default 0). */
  loraDropout?: number;
  /** The base layer stores `(in, out)` (GPT-2 Conv1D); forced by the model code per layer type. */
  fanInFanOut?: boolean;
  bias?: LoraBias;
  /** Scale by loraAlpha / √r (rank-stabilised LoRA) instead of loraAlpha / r. */
  useRslora?: boolean;
  modulesToSave?: readonly string[] | null;
  initLoraWeights?: LoraInit;
  layersToTransform?: number | readonly number[] | null;
  layersPattern?: string | readonly string[] | null;
  /** Per-module ranks: a key matches a module path ending in it (a regex fragment), as in PEFT. */
  rankPattern?: Readonly<Record<string, number>>;
  /** Per-module alphas, matched like rankPattern. */
  alphaPattern?: Readonly<Record<string, number>>;
  baseModelNameOrPath?: string | null;
  revision?: string | null;
  inferenceMode?: boolean;
}

type FieldName = Exclude<keyof LoraConfigOptions, 'peftType'>;

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${show(value)}`);
}

const isPositiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function checkNumberMap(value: unknown, name: string, valid: (v: unknown) => boolean, expected: string): Readonly<Record<string, number>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(name, `an object of ${expected}`, value);
  for (const [key, v] of Object.entries(value as object)) if (!valid(v)) fail(`${name}["${key}"]`, expected, v);
  return Object.freeze({ ...(value as Record<string, number>) });
}

/** Each field: its JSON key, PEFT's default, and its validator. */
const FIELDS: Record<FieldName, { json: string; value: unknown; check: (value: unknown, name: string) => unknown }> = {
  taskType: { json: 'task_type', value: null, check: (v, n) => (v === null || typeof v === 'string' ? v : fail(n, 'a task type string or null', v)) },
  r: { json: 'r', value: 8, check: (v, n) => (isPositiveInt(v) ? v : fail(n, 'a positive integer', v)) },
  targetModules: {
    json: 'target_modules', value: null,
    check: (v, n) => {
      if (v === null) return null;
      if (typeof v === 'string') return compileFullMatch(v, n) && v;
      return isStringList(v) ? Object.freeze([...v]) : fail(n, 'a regular expression string, a list of module names or null', v);
    },
  },
  loraAlpha: { json: 'lora_alpha', value: 8, check: (v, n) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(n, 'a finite number', v)) },
  loraDropout: { json: 'lora_dropout', value: 0, check: (v, n) => (typeof v === 'number' && v >= 0 && v <= 1 ? v : fail(n, 'a number in [0, 1]', v)) },
  fanInFanOut: { json: 'fan_in_fan_out', value: false, check: (v, n) => (typeof v === 'boolean' ? v : fail(n, 'true or false', v)) },
  bias: { json: 'bias', value: 'none', check: (v, n) => (v === 'none' || v === 'all' || v === 'lora_only' ? v : fail(n, '"none", "all" or "lora_only"', v)) },
  useRslora: { json: 'use_rslora', value: false, check: (v, n) => (typeof v === 'boolean' ? v : fail(n, 'true or false', v)) },
  modulesToSave: { json: 'modules_to_save', value: null, check: (v, n) => (v === null ? null : isStringList(v) ? Object.freeze([...v]) : fail(n, 'a list of module names or null', v)) },
  initLoraWeights: { json: 'init_lora_weights', value: true, check: (v, n) => (typeof v === 'boolean' || v === 'gaussian' ? v : fail(n, 'true, false or "gaussian"', v)) },
  layersToTransform: {
    json: 'layers_to_transform', value: null,
    check: (v, n) => (v === null || isIndex(v) ? v : Array.isArray(v) && v.every(isIndex) ? Object.freeze([...v]) : fail(n, 'a non-negative integer, a list of them or null', v)),
  },
  layersPattern: {
    json: 'layers_pattern', value: null,
    check: (v, n) => {
      if (v === null) return null;
      const list = typeof v === 'string' ? [v] : isStringList(v) ? v : fail(n, 'a string, a list of strings or null', v);
      for (const pattern of list) if (pattern.length > 0) compileLayerRegex(pattern, n);
      return typeof v === 'string' ? v : Object.freeze([...list]);
    },
  },
  rankPattern: { json: 'rank_pattern', value: {}, check: (v, n) => checkNumberMap(v, n, isPositiveInt, 'positive integers') },
  alphaPattern: { json: 'alpha_pattern', value: {}, check: (v, n) => checkNumberMap(v, n, (x) => typeof x === 'number' && Number.isFinite(x), 'finite numbers') },
  baseModelNameOrPath: { json: 'base_model_name_or_path', value: null, check: (v, n) => (v === null || typeof v === 'string' ? v : fail(n, 'a string or null', v)) },
  revision: { json: 'revision', value: null, check: (v, n) => (v === null || typeof v === 'string' ? v : fail(n, 'a string or null', v)) },
  inferenceMode: { json: 'inference_mode', value: false, check: (v, n) => (typeof v === 'boolean' ? v : fail(n, 'true or false', v)) },
};
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
/** Fields PEFT has that this implementation writes with their neutral values, and refuses other values of. */
const FIXED_FIELDS: Readonly<Record<string, JsonValue>> = { use_dora: false, layer_replication: null };
/** Fields Python writes as floats. */
const FLOAT_KEYS = new Set(['lora_dropout']);

/** Configuration of one LoRA adapter; immutable once built. */
export class LoraConfig {
  readonly peftType = 'LORA' as const;
  readonly taskType!: TaskType | null;
  readonly r!: number;
  readonly targetModules!: string | readonly string[] | null;
  readonly loraAlpha!: number;
  readonly loraDropout!: number;
  readonly fanInFanOut!: boolean;
  readonly bias!: LoraBias;
  readonly useRslora!: boolean;
  readonly modulesToSave!: readonly string[] | null;
  readonly initLoraWeights!: LoraInit;
  readonly layersToTransform!: number | readonly number[] | null;
  readonly layersPattern!: string | readonly string[] | null;
  readonly rankPattern!: Readonly<Record<string, number>>;
  readonly alphaPattern!: Readonly<Record<string, number>>;
  readonly baseModelNameOrPath!: string | null;
  readonly revision!: string | null;
  readonly inferenceMode!: boolean;
  /** adapter_config.json keys this version does not interpret, written back unchanged. */
  readonly extra: Readonly<JsonObject>;

  /** Builds and validates a config; an invalid value throws a one-line error naming the field. */
  constructor(options: LoraConfigOptions = {}, extra: JsonObject = {}) {
    const stray = Object.keys(options).find((key) => key !== 'peftType' && !(key in FIELDS));
    if (stray !== undefined) throw new Error(`LoraConfig: unknown option "${stray}"`);
    if (options.peftType !== undefined && options.peftType !== 'LORA') fail('LoraConfig.peftType', '"LORA"', options.peftType);
    const self = this as unknown as Record<string, unknown>;
    for (const field of FIELD_NAMES) {
      const given = options[field];
      self[field] = given === undefined ? FIELDS[field].value : FIELDS[field].check(given, `LoraConfig.${field}`);
    }
    for (const [key, neutral] of Object.entries(FIXED_FIELDS)) {
      if (key in extra && JSON.stringify(extra[key]) !== JSON.stringify(neutral)) {
        throw new Error(`LoraConfig.${key}: only ${JSON.stringify(neutral)} is supported, got ${show(extra[key])}`);
      }
    }
    this.extra = Object.freeze(JSON.parse(JSON.stringify(extra)) as JsonObject);
    const hasPattern = this.layersPattern !== null && this.layersPattern.length > 0;
    const hasFilter = this.layersToTransform !== null && (typeof this.layersToTransform === 'number' || this.layersToTransform.length > 0);
    if (hasPattern && !hasFilter) throw new Error('LoraConfig.layersPattern: expected layersToTransform to be set when layersPattern is given');
  }

  /** A validated copy with some fields replaced. */
  with(changes: LoraConfigOptions): LoraConfig {
    const self = this as unknown as Record<string, unknown>;
    const current = Object.fromEntries(FIELD_NAMES.map((f) => [f, self[f]])) as LoraConfigOptions;
    return new LoraConfig({ ...current, ...changes }, { ...this.extra });
  }

  /** The rank of the module at `path` (rankPattern, else r). */
  rankFor(path: string): number {
    return patternValue(this.rankPattern, path) ?? this.r;
  }

  /** The alpha of the module at `path` (alphaPattern, else loraAlpha). */
  alphaFor(path: string): number {
    return patternValue(this.alphaPattern, path) ?? this.loraAlpha;
  }

  /** The snake_case object of adapter_config.json. */
  toJSON(): JsonObject {
    const self = this as unknown as Record<string, unknown>;
    const out: JsonObject = { peft_type: this.peftType, ...FIXED_FIELDS };
    for (const field of FIELD_NAMES) {
      const value = self[field];
      out[FIELDS[field].json] = JSON.parse(JSON.stringify(value)) as JsonValue;
    }
    for (const [key, value] of Object.entries(this.extra)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  }

  /** adapter_config.json as PEFT writes it: `json.dumps(d, indent=2, sort_keys=True)`. */
  toJSONString(): string {
    return pythonJsonDumps(this.toJSON(), FLOAT_KEYS);
  }

  /** Parses an adapter_config.json object; missing keys take PEFT's defaults, unknown keys are kept. */
  static fromJSON(json: unknown): LoraConfig {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('LoraConfig.fromJSON', 'a JSON object (the contents of adapter_config.json)', json);
    const source = json as Record<string, unknown>;
    if (Object.hasOwn(source, 'peft_type') && source.peft_type !== 'LORA') fail('LoraConfig.peft_type', '"LORA"', source.peft_type);
    const options: Record<string, unknown> = {};
    const byJson = new Map(FIELD_NAMES.map((f) => [FIELDS[f].json, f]));
    const extra: JsonObject = {};
    for (const [key, value] of Object.entries(source)) {
      const field = byJson.get(key);
      if (field !== undefined) options[field] = FIELDS[field].check(value, `LoraConfig.${key}`);
      else if (key !== 'peft_type') Object.defineProperty(extra, key, { value: value as JsonValue, enumerable: true, writable: true, configurable: true });
    }
    return new LoraConfig(options as LoraConfigOptions, extra);
  }
}

/** PEFT's get_pattern_key: the first key whose regex matches the end of `path` at a part boundary. */
function patternValue(pattern: Readonly<Record<string, number>>, path: string): number | undefined {
  const key = Object.keys(pattern).find((k) => compileFullMatch(`(.*\\.)?(${k})`, 'LoraConfig.rankPattern').test(path));
  return key === undefined ? undefined : pattern[key];
}

