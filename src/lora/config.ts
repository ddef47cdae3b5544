/**
 * `LoraConfig`: the settings of a LoRA adapter (Hu et al. 2021) as Hugging Face PEFT names them —
 * camelCase here, snake_case in `adapter_config.json`. What every config shares (task type, target selection,
 * JSON in/out) lives in {@link PeftConfig}; target selection means exactly what it means for FRoD (the shared
 * rules of src/peft/targets.ts). Unknown JSON keys are kept and written back.
 */
import {
  type ConfigKind, type JsonObject, PEFT_FIELDS, PeftConfig, type TaskType, checkBoolean, failField, targetFields,
} from '../peft/config';
import { compileFullMatch } from '../peft/targets';

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
  peftVersion?: string | null;
  autoMapping?: JsonObject | null;
}

const isPositiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;

function checkNumberMap(value: unknown, name: string, valid: (v: unknown) => boolean, expected: string): Readonly<Record<string, number>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) failField(name, `an object of ${expected}`, value);
  for (const [key, v] of Object.entries(value as object)) if (!valid(v)) failField(`${name}["${key}"]`, expected, v);
  return Object.freeze({ ...(value as Record<string, number>) });
}

const TARGET = targetFields(['none', 'all', 'lora_only']);

/** LoRA's fields in the order of PEFT's dataclass. */
const LORA_KIND: ConfigKind = {
  className: 'LoraConfig',
  peftType: 'LORA',
  fields: {
    ...PEFT_FIELDS, // PeftConfig's own fields come first in every method's dataclass
    r: { json: 'r', value: 8, check: (v, n) => (isPositiveInt(v) ? v : failField(n, 'a positive integer', v)) },
    targetModules: TARGET.targetModules,
    loraAlpha: { json: 'lora_alpha', value: 8, check: (v, n) => (typeof v === 'number' && Number.isFinite(v) ? v : failField(n, 'a finite number', v)) },
    loraDropout: { json: 'lora_dropout', value: 0, check: (v, n) => (typeof v === 'number' && v >= 0 && v <= 1 ? v : failField(n, 'a number in [0, 1]', v)), float: true },
    fanInFanOut: TARGET.fanInFanOut,
    bias: TARGET.bias,
    useRslora: { json: 'use_rslora', value: false, check: checkBoolean },
    modulesToSave: TARGET.modulesToSave,
    initLoraWeights: { json: 'init_lora_weights', value: true, check: (v, n) => (typeof v === 'boolean' || v === 'gaussian' ? v : failField(n, 'true, false or "gaussian"', v)) },
    layersToTransform: TARGET.layersToTransform,
    layersPattern: TARGET.layersPattern,
    rankPattern: { json: 'rank_pattern', value: {}, check: (v, n) => checkNumberMap(v, n, isPositiveInt, 'positive integers') },
    alphaPattern: { json: 'alpha_pattern', value: {}, check: (v, n) => checkNumberMap(v, n, (x) => typeof x === 'number' && Number.isFinite(x), 'finite numbers') },
  },
  fixed: { use_dora: false, layer_replication: null },
};

/** Configuration of one LoRA adapter; immutable once built. */
export class LoraConfig extends PeftConfig {
  declare readonly peftType: 'LORA';
  declare readonly bias: LoraBias;
  declare readonly r: number;
  declare readonly loraAlpha: number;
  declare readonly loraDropout: number;
  declare readonly useRslora: boolean;
  declare readonly initLoraWeights: LoraInit;
  declare readonly rankPattern: Readonly<Record<string, number>>;
  declare readonly alphaPattern: Readonly<Record<string, number>>;

  /** Builds and validates a config; an invalid value throws a one-line error naming the field. */
  constructor(options: LoraConfigOptions = {}, extra: JsonObject = {}) {
    super(LORA_KIND, options, extra);
  }

  /** A validated copy with some fields replaced. */
  with(changes: LoraConfigOptions): LoraConfig {
    return new LoraConfig({ ...this.options(), ...changes }, { ...this.extra });
  }

  override options(): LoraConfigOptions {
    return super.options() as LoraConfigOptions;
  }

  /** The rank of the module at `path` (rankPattern, else r). */
  rankFor(path: string): number {
    return patternValue(this.rankPattern, path) ?? this.r;
  }

  /** The alpha of the module at `path` (alphaPattern, else loraAlpha). */
  alphaFor(path: string): number {
    return patternValue(this.alphaPattern, path) ?? this.loraAlpha;
  }

  /** Parses an adapter_config.json object (`peft_type` "LORA" required); missing keys take PEFT's defaults, unknown keys are kept. */
  static fromJSON(json: unknown): LoraConfig {
    const { options, extra } = PeftConfig.parseJSON(LORA_KIND, json);
    return new LoraConfig(options as LoraConfigOptions, extra);
  }
}

/** PEFT's get_pattern_key: the first key whose regex matches the end of `path` at a part boundary. */
function patternValue(pattern: Readonly<Record<string, number>>, path: string): number | undefined {
  const key = Object.keys(pattern).find((k) => compileFullMatch(`(.*\\.)?(${k})`, 'LoraConfig.rank_pattern').fullMatch(path));
  return key === undefined ? undefined : pattern[key];
}

