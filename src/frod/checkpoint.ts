/**
 * Adapter directories as PEFT writes them (spec §6): `adapter_config.json` (snake_case, PEFT's
 * `json.dumps(indent=2, sort_keys=True)`) and `adapter_model.safetensors` (`{"format": "pt"}` metadata; the
 * pattern and its size as I64). Writes are atomic; paths need Node (bytes work everywhere).
 */
import { SafetensorsError, type SafetensorsValue, loadSafetensors, safetensorsBytes } from '../nn/io';
import type { Tensor } from '../tensor';
import { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, parseConfigJson, readConfigText, writeAdapterFiles } from '../peft/adapter-files';
import { nodeFs, nodePath } from '../util/node';
import { FrodConfig } from './config';
import { parseAdapterKey } from './keys';

export const ADAPTER_CONFIG_NAME = CONFIG_NAME;
export const ADAPTER_WEIGHTS_NAME = SAFETENSORS_WEIGHTS_NAME;

/** The tensors to write: index tensors as I64, per-category tensors left out when `saveProjection` is false. */
function fileValues(config: FrodConfig, tensors: Readonly<Record<string, Tensor>>): Record<string, SafetensorsValue> {
  const out: Record<string, SafetensorsValue> = {};
  for (const [key, value] of Object.entries(tensors)) {
    const kind = parseAdapterKey(key).kind;
    if (!config.saveProjection && (kind === 'projection' || kind === 'sIndices' || kind === 'sSize')) continue;
    out[key] = kind === 'sIndices' || kind === 'sSize' ? { tensor: value, dtype: 'I64' } : value;
  }
  return out;
}

/** The two files of an adapter directory as text and bytes (works in browsers too). */
export function adapterFiles(config: FrodConfig, adapterTensors: Readonly<Record<string, Tensor>>): { configJson: string; safetensors: Uint8Array } {
  return {
    configJson: config.toJSONString(),
    safetensors: safetensorsBytes(fileValues(config, adapterTensors), { format: 'pt' }),
  };
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (created if needed), each atomically. */
export function writeAdapterDir(dir: string, config: FrodConfig, adapterTensors: Readonly<Record<string, Tensor>>): void {
  const fs = nodeFs('writeAdapterDir');
  const path = nodePath('writeAdapterDir');
  writeAdapterFiles(fs, path, dir, adapterFiles(config, adapterTensors), 'writeAdapterDir');
}

/** Parses the text of adapter_config.json into a validated config (errors name the file and the field). */
export function parseAdapterConfig(text: string, source = ADAPTER_CONFIG_NAME): FrodConfig {
  const json = parseConfigJson(text, source);
  try {
    return FrodConfig.fromJSON(json);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Checks every tensor name of an adapter file against spec §6. */
export function checkAdapterKeys(tensors: Readonly<Record<string, Tensor>>): void {
  for (const key of Object.keys(tensors)) parseAdapterKey(key);
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
 * (a corrupted file throws a SafetensorsError naming it; every key is checked against spec §6).
 */
export function readAdapterDir(dir: string): { config: FrodConfig; tensors: Record<string, Tensor> } {
  const fs = nodeFs('readAdapterDir');
  const path = nodePath('readAdapterDir');
  const configPath = path.join(dir, ADAPTER_CONFIG_NAME);
  const weightsPath = path.join(dir, ADAPTER_WEIGHTS_NAME);
  const config = parseAdapterConfig(readConfigText(fs, configPath), configPath);
  if (!fs.existsSync(weightsPath)) throw new SafetensorsError(weightsPath, 'cannot read the file (it does not exist)');
  const { tensors } = loadSafetensors(weightsPath);
  try {
    checkAdapterKeys(tensors);
  } catch (err) {
    throw new Error(`${weightsPath}: ${(err as Error).message}`);
  }
  return { config, tensors };
}
