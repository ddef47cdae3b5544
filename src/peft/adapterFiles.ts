/**
 * The two files of an adapter directory in PEFT's layout (`adapter_config.json` + `adapter_model.safetensors`):
 * the one reader and writer that `PeftModel`, FRoD's checkpoint helpers and the `frod` command share. Paths
 * need Node (reached through src/util/node, so this module stays browser-safe); the byte-level parts
 * ({@link parseAdapterConfigText}) work everywhere.
 */
import { SafetensorsError, parseSafetensors, type ParsedSafetensors } from '../nn/io/format';
import { nodeFs, nodePath, writeFileAtomic } from '../util/node';

/** File names of an adapter directory. */
export const CONFIG_NAME = 'adapter_config.json';
export const SAFETENSORS_WEIGHTS_NAME = 'adapter_model.safetensors';
/** PEFT's pickle format, which this project does not read (it can run code). */
export const PICKLE_WEIGHTS_NAME = 'adapter_model.bin';

/** An adapter's files as text and bytes. */
export interface AdapterFileContents {
  configJson: string;
  safetensors: Uint8Array;
}

/** An adapter directory as read: the config object and the weights file, validated but not decoded. */
export interface AdapterDirectory {
  configPath: string;
  weightsPath: string;
  /** adapter_config.json's object (not yet a config: the caller picks the method by `peft_type`). */
  configJson: Record<string, unknown>;
  weights: ParsedSafetensors;
}

/** An error whose message starts with the file it is about. */
function aboutFile(file: string, problem: string): Error {
  return new Error(`${file}: ${problem}`);
}

/** The first line of a system error's message. */
function reason(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return String((err as Error).message ?? err).split('\n')[0];
}

/**
 * Parses the bytes or text of adapter_config.json into its JSON object: UTF-8 (a byte-order mark from a
 * Windows editor is tolerated), valid JSON, an object. Errors name `source`.
 */
export function parseAdapterConfigText(content: string | Uint8Array, source: string = CONFIG_NAME): Record<string, unknown> {
  let text: string;
  try {
    text = typeof content === 'string' ? content : new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw aboutFile(source, 'is not UTF-8 text, expected an adapter_config.json');
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const detail = err instanceof RangeError ? 'nested too deeply' : reason(err);
    throw aboutFile(source, `not valid JSON (${detail})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw aboutFile(source, 'expected a JSON object (the contents of adapter_config.json)');
  }
  return json as Record<string, unknown>;
}

/** Reads and parses an adapter_config.json file (errors name the file). */
export function readAdapterConfigFile(file: string, what = 'readAdapterConfigFile'): Record<string, unknown> {
  const fs = nodeFs(what);
  let bytes: Uint8Array;
  try {
    if (fs.statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw aboutFile(file, reason(err));
  }
  return parseAdapterConfigText(bytes, file);
}

/**
 * Reads adapter directory `dir`: its config object and its weights, validated (a corrupted safetensors file
 * throws a SafetensorsError naming it). A directory holding only PEFT's pickle `adapter_model.bin` gets a
 * message that says how to write safetensors instead. `checkConfig`, when given, turns the config object into
 * the caller's config before the weights are read, so a bad config fails fast whatever the weights hold.
 */
export function readAdapterDirectory<C = undefined>(
  dir: string,
  what = 'readAdapterDirectory',
  checkConfig?: (json: Record<string, unknown>, configPath: string) => C,
): AdapterDirectory & { config: C } {
  const fs = nodeFs(what);
  const path = nodePath(what);
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch (err) {
    throw aboutFile(dir, (err as { code?: string }).code === 'ENOENT' ? 'no such directory' : reason(err));
  }
  if (!isDir) throw aboutFile(dir, `is not a directory, expected an adapter directory holding ${CONFIG_NAME} and ${SAFETENSORS_WEIGHTS_NAME}`);
  const configPath = path.join(dir, CONFIG_NAME);
  const weightsPath = path.join(dir, SAFETENSORS_WEIGHTS_NAME);
  const configJson = readAdapterConfigFile(configPath, what);
  // The config is small and its errors are the likelier ones: check it before reading a large weights file.
  const config = checkConfig ? checkConfig(configJson, configPath) : (undefined as C);
  if (!fs.existsSync(weightsPath)) {
    const pickle = fs.existsSync(path.join(dir, PICKLE_WEIGHTS_NAME));
    throw new SafetensorsError(weightsPath, pickle
      ? `no such file (${PICKLE_WEIGHTS_NAME} is a pickle, which frod-ts does not read; save it with safe_serialization=True)`
      : 'no such file');
  }
  let bytes: Uint8Array;
  try {
    const buffer = fs.readFileSync(weightsPath);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw new SafetensorsError(weightsPath, `cannot read the file (${reason(err)})`);
  }
  return { configPath, weightsPath, configJson, config, weights: parseSafetensors(bytes, weightsPath) };
}

/**
 * Writes adapter_model.safetensors, then adapter_config.json, into `dir` (created if needed), each
 * atomically; `what` names the caller in errors.
 */
export function writeAdapterFiles(dir: string, files: AdapterFileContents, what: string): void {
  const fs = nodeFs(what);
  const path = nodePath(what);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, SAFETENSORS_WEIGHTS_NAME), files.safetensors, what);
  writeFileAtomic(path.join(dir, CONFIG_NAME), files.configJson, what);
}
