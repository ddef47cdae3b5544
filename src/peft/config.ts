/**
 * `PeftConfig`: what every adapter config shares (PEFT's `PeftConfig` plus the target-selection fields every
 * tuner of this project reads), and the machinery a method's config is built with: a table of fields (JSON key,
 * PEFT's default, validator), construction with one-line errors naming the field, `with`, and
 * `adapter_config.json` in and out exactly as PEFT writes it. A method (FrodConfig, LoraConfig) adds only its
 * own fields and its `peft_type`.
 */
import { warn } from './warnings';
import { type JsonObject, type JsonValue, pythonJsonDumps } from './pythonJson';
import { ALL_LINEAR, compileFullMatch, compileLayerRegex } from './targets';

export { type JsonObject, type JsonValue } from './pythonJson';

/** PEFT's task types (`peft.TaskType`). */
export type TaskType = 'SEQ_CLS' | 'SEQ_2_SEQ_LM' | 'CAUSAL_LM' | 'TOKEN_CLS' | 'QUESTION_ANS' | 'FEATURE_EXTRACTION';
export const TASK_TYPES: readonly TaskType[] = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'];

/** One field of a config: its key in adapter_config.json, PEFT's default, and its validator. */
export interface ConfigField {
  readonly json: string;
  readonly value: unknown;
  /** Returns the validated value or throws an error naming `name`. */
  readonly check: (value: unknown, name: string) => unknown;
  /** Python writes it as a float (`0.0`, `1e-05`). */
  readonly float?: boolean;
}

/** What a method's config class tells the base: its names, fields and fixed JSON keys. */
export interface ConfigKind {
  /** The class name errors start with, e.g. 'FrodConfig'. */
  readonly className: string;
  /** `peft_type`, e.g. 'FROD'. */
  readonly peftType: string;
  /** Every field (camelCase name → spec), shared ones included, in PEFT's dataclass order. */
  readonly fields: Readonly<Record<string, ConfigField>>;
  /** JSON keys PEFT has that this implementation writes with a neutral value and refuses other values of. */
  readonly fixed?: Readonly<Record<string, JsonValue>>;
}

// ---- validators -------------------------------------------------------------------------------------

/** Renders a rejected value for an error message. */
export function showValue(value: unknown): string {
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

/** Throws `<name>: expected <expected>, got <value>`. */
export function failField(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${showValue(value)}`);
}

export function checkBoolean(value: unknown, name: string): boolean {
  return typeof value === 'boolean' ? value : failField(name, 'true or false', value);
}

export function checkNullableString(value: unknown, name: string): string | null {
  return value === null || typeof value === 'string' ? value : failField(name, 'a string or null', value);
}

export function checkNumberIn(value: unknown, name: string, low: number, high: number): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= low && value <= high;
  return ok ? value : failField(name, `a number in [${low}, ${high}]`, value);
}

export function checkStringList(value: unknown, name: string, expected: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) failField(name, expected, value);
  return Object.freeze([...(value as string[])]);
}

/** A validator for one of `choices` (shown quoted in the error). */
export function oneOf<T extends string>(choices: readonly T[]): (value: unknown, name: string) => T {
  const listed = choices.map((c) => `"${c}"`);
  const expected = listed.length === 2 ? listed.join(' or ') : `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1]}`;
  return (value, name) => (choices.includes(value as T) ? (value as T) : failField(name, expected, value));
}

function checkTaskType(value: unknown, name: string): TaskType | null {
  if (value === null || TASK_TYPES.includes(value as TaskType)) return value as TaskType | null;
  return failField(name, `null or one of ${TASK_TYPES.map((t) => `"${t}"`).join(', ')}`, value);
}

function checkTargetModules(value: unknown, name: string): string | readonly string[] | null {
  if (value === null) return null;
  if (typeof value === 'string') {
    if (value.toLowerCase() !== ALL_LINEAR) compileFullMatch(value, name);
    return value;
  }
  return checkStringList(value, name, 'a regular expression string, a list of module names or null');
}

function checkModulesToSave(value: unknown, name: string): readonly string[] | null {
  return value === null ? null : checkStringList(value, name, 'a list of module names or null');
}

function checkLayersToTransform(value: unknown, name: string): number | readonly number[] | null {
  const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (value === null || isIndex(value)) return value as number | null;
  if (Array.isArray(value) && value.every(isIndex)) return Object.freeze([...(value as number[])]);
  return failField(name, 'a non-negative integer, a list of them or null', value);
}

function checkLayersPattern(value: unknown, name: string): string | readonly string[] | null {
  if (value === null) return null;
  const list = typeof value === 'string' ? [value] : checkStringList(value, name, 'a string, a list of strings or null');
  for (const pattern of list) if (pattern.length > 0) compileLayerRegex(pattern, name);
  return typeof value === 'string' ? value : list;
}

function checkAutoMapping(value: unknown, name: string): JsonObject | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return failField(name, 'an object or null', value);
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** The fields of PEFT's own `PeftConfig` (every method has them). */
export const PEFT_FIELDS = {
  taskType: { json: 'task_type', value: null, check: checkTaskType },
  autoMapping: { json: 'auto_mapping', value: null, check: checkAutoMapping },
  peftVersion: { json: 'peft_version', value: null, check: checkNullableString },
  baseModelNameOrPath: { json: 'base_model_name_or_path', value: null, check: checkNullableString },
  revision: { json: 'revision', value: null, check: checkNullableString },
  inferenceMode: { json: 'inference_mode', value: false, check: checkBoolean },
} as const satisfies Record<string, ConfigField>;

/** The target-selection fields every tuner reads (each method lists its bias modes). */
export function targetFields(biasModes: readonly string[]) {
  return {
    targetModules: { json: 'target_modules', value: null, check: checkTargetModules },
    fanInFanOut: { json: 'fan_in_fan_out', value: false, check: checkBoolean },
    bias: { json: 'bias', value: 'none', check: oneOf(biasModes) },
    modulesToSave: { json: 'modules_to_save', value: null, check: checkModulesToSave },
    layersToTransform: { json: 'layers_to_transform', value: null, check: checkLayersToTransform },
    layersPattern: { json: 'layers_pattern', value: null, check: checkLayersPattern },
  } as const satisfies Record<string, ConfigField>;
}

/** The key of PEFT's runtime-only settings, which `from_json_file` drops from a file. */
const RUNTIME_CONFIG = 'runtime_config';

/** Sets an own property, even for a key like "__proto__" that plain assignment would treat specially. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `layersPattern` names any pattern (PEFT's truthiness: "" and [] name none). */
function hasLayerPattern(pattern: string | readonly string[] | null): boolean {
  return pattern !== null && pattern.length > 0;
}

/**
 * The settings every adapter config has. Subclasses pass their {@link ConfigKind}; fields are set from the
 * options (validated) or PEFT's defaults, unknown option names are refused, unknown JSON keys are kept in
 * `extra` and written back.
 */
export abstract class PeftConfig {
  declare readonly peftType: string;
  declare readonly taskType: TaskType | null;
  declare readonly autoMapping: JsonObject | null;
  declare readonly peftVersion: string | null;
  declare readonly baseModelNameOrPath: string | null;
  declare readonly revision: string | null;
  declare readonly inferenceMode: boolean;
  /** A Python regex matching whole module paths (or "all-linear"), or a list of names (exact or `.name` suffix). */
  declare readonly targetModules: string | readonly string[] | null;
  /** The base layer stores `(in, out)` (GPT-2 Conv1D); forced per layer type when the adapter is injected. */
  declare readonly fanInFanOut: boolean;
  /** Which biases train: 'none', 'all', or those of adapted layers ('<prefix>only'). */
  declare readonly bias: string;
  declare readonly modulesToSave: readonly string[] | null;
  declare readonly layersToTransform: number | readonly number[] | null;
  declare readonly layersPattern: string | readonly string[] | null;
  /** adapter_config.json keys this version does not know, written back unchanged by {@link toJSON}. */
  declare readonly extra: Readonly<JsonObject>;

  protected constructor(private readonly kind: ConfigKind, options: object, extra: JsonObject) {
    if (options === null || typeof options !== 'object') failField(kind.className, 'an options object', options);
    const given = options as Record<string, unknown>;
    const stray = Object.keys(given).find((key) => key !== 'peftType' && !Object.hasOwn(kind.fields, key));
    if (stray !== undefined) throw new Error(`${kind.className}: unknown option "${stray}"`);
    if (given.peftType !== undefined && given.peftType !== kind.peftType) failField(`${kind.className}.peftType`, `"${kind.peftType}"`, given.peftType);
    Object.defineProperty(this, 'kind', { enumerable: false });
    const self = this as unknown as Record<string, unknown>;
    setOwn(self, 'peftType', kind.peftType);
    for (const [field, spec] of Object.entries(kind.fields)) {
      const value = given[field];
      setOwn(self, field, value === undefined ? spec.value : spec.check(value, `${kind.className}.${field}`));
    }
    for (const [key, neutral] of Object.entries(kind.fixed ?? {})) {
      if (Object.hasOwn(extra, key) && JSON.stringify(extra[key]) !== JSON.stringify(neutral)) {
        throw new Error(`${kind.className}.${key}: only ${JSON.stringify(neutral)} is supported, got ${showValue(extra[key])}`);
      }
    }
    setOwn(self, 'extra', Object.freeze(JSON.parse(JSON.stringify(extra)) as JsonObject));
    if (hasLayerPattern(this.layersPattern) && this.layersToTransform === null) {
      throw new Error(`${kind.className}.layersPattern: expected layersToTransform to be set when layersPattern is given (PEFT's rule), got layersToTransform null`);
    }
  }

  /** The camelCase options that rebuild this config. */
  options(): object {
    const self = this as unknown as Record<string, unknown>;
    return Object.fromEntries(Object.keys(this.kind.fields).map((f) => [f, self[f]]));
  }

  /** The snake_case object of adapter_config.json: `peft_type`, the fields in PEFT's order, then unknown keys. */
  toJSON(): JsonObject {
    const self = this as unknown as Record<string, unknown>;
    const out: Record<string, JsonValue> = {};
    let wrotePeftType = false;
    for (const [field, spec] of Object.entries(this.kind.fields)) {
      out[spec.json] = JSON.parse(JSON.stringify(self[field])) as JsonValue;
      if (!wrotePeftType && field === 'taskType') {
        out.peft_type = this.peftType;
        wrotePeftType = true;
      }
    }
    if (!wrotePeftType) out.peft_type = this.peftType;
    for (const [key, value] of Object.entries(this.kind.fixed ?? {})) if (!Object.hasOwn(this.extra, key)) out[key] = value;
    for (const [key, value] of Object.entries(this.extra)) setOwn(out, key, JSON.parse(JSON.stringify(value)));
    return out;
  }

  /** The text PEFT writes to adapter_config.json: `json.dumps(d, indent=2, sort_keys=True)`. */
  toJSONString(): string {
    const floats = new Set(Object.values(this.kind.fields).filter((f) => f.float).map((f) => f.json));
    return pythonJsonDumps(this.toJSON(), floats);
  }

  /**
   * Splits an adapter_config.json object into validated options and unknown keys, for a subclass's `fromJSON`.
   * `peft_type` is required and must be the kind's (PEFT refuses a config without it); missing fields take
   * PEFT's defaults; unknown keys are kept and reported once (PEFT drops them with a warning); a
   * `runtime_config` is dropped with PEFT's warning.
   */
  protected static parseJSON(kind: ConfigKind, json: unknown): { options: Record<string, unknown>; extra: JsonObject } {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      failField(`${kind.className}.fromJSON`, 'a JSON object (the contents of adapter_config.json)', json);
    }
    const source = json as Record<string, unknown>;
    if (!Object.hasOwn(source, 'peft_type')) {
      throw new Error(`${kind.className}: adapter_config.json has no "peft_type" (expected "${kind.peftType}"); PEFT refuses a config without it`);
    }
    if (source.peft_type !== kind.peftType) failField(`${kind.className}.peft_type`, `"${kind.peftType}"`, source.peft_type);
    const byJson = new Map(Object.entries(kind.fields).map(([field, spec]) => [spec.json, [field, spec] as const]));
    const options: Record<string, unknown> = {};
    const extra: JsonObject = {};
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(source)) {
      const entry = byJson.get(key);
      if (entry) options[entry[0]] = entry[1].check(value, `${kind.className}.${key}`);
      else if (key === RUNTIME_CONFIG) {
        // Runtime settings never belong in a file; PEFT's from_json_file drops them with this warning.
        warn('The configuration file contains a `runtime_config` key. This is ignored. Runtime configurations are only valid at runtime.');
      } else if (key !== 'peft_type') {
        setOwn(extra, key, value);
        if (!Object.hasOwn(kind.fixed ?? {}, key)) unknown.push(key);
      }
    }
    if (unknown.length > 0) {
      warn(`${kind.className}: adapter_config.json has keys this version does not know (${unknown.sort().map((k) => JSON.stringify(k)).join(', ')}); they are kept and written back but have no effect`);
    }
    if (hasLayerPattern((options.layersPattern ?? null) as PeftConfig['layersPattern']) && (options.layersToTransform ?? null) === null) {
      throw new Error(`${kind.className}.layers_pattern: expected layers_to_transform to be set when layers_pattern is given (PEFT's rule), got layers_to_transform null`);
    }
    return { options, extra };
  }
}
