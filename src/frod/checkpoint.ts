/**
 * Adapter directories as PEFT writes them: `adapter_config.json` (snake_case, PEFT's
 * `json.dumps(indent=2, sort_keys=True)`) and `adapter_model.safetensors` (`{"format": "pt"}` metadata; the
 * pattern and its size as I64), for the raw-weights API (src/frod/functional.ts). Reading and writing the
 * directory goes through src/peft/adapterFiles.ts, which PeftModel and the `frod` command use too.
 */
import { type SafeDType, type SafetensorsValue, decodeSafetensors, loadSafetensors, safetensorsBytes } from '../nn/io';
import type { Tensor } from '../tensor';
import {
  CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, parseAdapterConfigText, readAdapterDirectory, writeAdapterFiles,
} from '../peft/adapterFiles';
import { FrodConfig } from './config';
import { parseAdapterKey } from './keys';

export const ADAPTER_CONFIG_NAME = CONFIG_NAME;
export const ADAPTER_WEIGHTS_NAME = SAFETENSORS_WEIGHTS_NAME;

/**
 * The tensors to write: index tensors as I64, per-category tensors left out when `saveProjection` is false,
 * and any tensor listed in `dtypes` stored as that file dtype (e.g. a bfloat16 model's V as BF16).
 */
function fileValues(config: FrodConfig, tensors: Readonly<Record<string, Tensor>>,
  dtypes: Readonly<Record<string, SafeDType>>): Record<string, SafetensorsValue> {
  const out: Record<string, SafetensorsValue> = {};
  for (const [key, value] of Object.entries(tensors)) {
    const kind = parseAdapterKey(key).kind;
    if (!config.saveProjection && (kind === 'projection' || kind === 'sIndices' || kind === 'sSize')) continue;
    const dtype = Object.hasOwn(dtypes, key) ? dtypes[key] : kind === 'sIndices' || kind === 'sSize' ? 'I64' : null;
    out[key] = dtype === null ? value : { tensor: value, dtype };
  }
  return out;
}

/**
 * The two files of an adapter directory as text and bytes (works in browsers too). `dtypes` gives the file
 * dtype of tensors that are not stored in their tensor's own (float32 → F32, float64 → F64).
 */
export function adapterFiles(config: FrodConfig, adapterTensors: Readonly<Record<string, Tensor>>,
  dtypes: Readonly<Record<string, SafeDType>> = {}): { configJson: string; safetensors: Uint8Array } {
  return {
    configJson: config.toJSONString(),
    safetensors: safetensorsBytes(fileValues(config, adapterTensors, dtypes), { format: 'pt' }),
  };
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (created if needed), each atomically. */
export function writeAdapterDir(dir: string, config: FrodConfig, adapterTensors: Readonly<Record<string, Tensor>>): void {
  writeAdapterFiles(dir, adapterFiles(config, adapterTensors), 'writeAdapterDir');
}

/** A FRoD config from adapter_config.json's parsed object; errors name `source` and the field. */
export function frodConfigFromJson(json: unknown, source: string = ADAPTER_CONFIG_NAME): FrodConfig {
  try {
    return FrodConfig.fromJSON(json);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Parses the text of adapter_config.json into a validated config (errors name the file and the field). */
export function parseAdapterConfig(text: string, source = ADAPTER_CONFIG_NAME): FrodConfig {
  return frodConfigFromJson(parseAdapterConfigText(text, source), source);
}

/** Checks every tensor name of an adapter file against the FRoD key grammar (src/frod/keys.ts); errors name `source`. */
export function checkAdapterKeys(tensors: Readonly<Record<string, unknown>>, source?: string): void {
  for (const key of Object.keys(tensors)) {
    try {
      parseAdapterKey(key);
    } catch (err) {
      throw new Error(source ? `${source}: ${(err as Error).message}` : (err as Error).message);
    }
  }
}

/** Reads and validates an adapter from bytes: the config text and the safetensors bytes. */
export function readAdapterBytes(configJson: string, safetensors: Uint8Array): { config: FrodConfig; tensors: Record<string, Tensor> } {
  const config = parseAdapterConfig(configJson);
  const { tensors } = loadSafetensors(safetensors);
  checkAdapterKeys(tensors);
  return { config, tensors };
}

/**
 * Reads an adapter directory: its config (validated; errors name the file and the field) and its tensors
 * (a corrupted file throws a SafetensorsError naming it; every key is checked against the key grammar).
 */
export function readAdapterDir(dir: string): { config: FrodConfig; tensors: Record<string, Tensor> } {
  const { weightsPath, config, weights } = readAdapterDirectory(dir, 'readAdapterDir', frodConfigFromJson);
  const { tensors } = decodeSafetensors(weights, weightsPath);
  checkAdapterKeys(tensors, weightsPath);
  return { config, tensors };
}
