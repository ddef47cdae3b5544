/**
 * The two files of an adapter directory in PEFT's layout (`adapter_config.json` + `adapter_model.safetensors`):
 * the one reader and writer that `PeftModel`, FRoD's checkpoint helpers and the `frod` command share. Paths
 * need Node (reached through src/util/node, so this module stays browser-safe); the byte-level parts
 * ({@link parseAdapterConfigText}) work everywhere.
 */
import { MAX_HEADER_DEPTH, SafetensorsError, parseSafetensors, type ParsedSafetensors } from '../nn/io/format';
import { jsonNestingDepth } from '../nn/io/header';
import { readSafetensorsFileBytes } from '../nn/io/readFile';
import { InputFileError, readBoundedFile } from '../util/readInput';
import { nodeFs, nodePath } from '../util/node';
import { type AdapterFileContents, committedFilePath, writeAdapterDirectories } from './adapterCommit';

export { type AdapterFileContents } from './adapterCommit';

/** File names of an adapter directory. */
export const CONFIG_NAME = 'adapter_config.json';
export const SAFETENSORS_WEIGHTS_NAME = 'adapter_model.safetensors';
/** PEFT's pickle format, which this project does not read (it can run code). */
export const PICKLE_WEIGHTS_NAME = 'adapter_model.bin';

/** adapter_config.json files larger than this are refused (PEFT's are a few kB); also bounds reading a device. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** The deepest nesting adapter_config.json may have (PEFT's nest 2 or 3 deep), checked before parsing. */
export const MAX_CONFIG_DEPTH = MAX_HEADER_DEPTH;

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
  if (jsonNestingDepth(text, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH) {
    throw aboutFile(source, `not a usable adapter config (its JSON nests deeper than ${MAX_CONFIG_DEPTH} levels)`);
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

/** The bytes of an adapter_config.json file (at most {@link MAX_CONFIG_BYTES}); errors name the file. */
export function readAdapterConfigBytes(file: string, what = 'readAdapterConfigFile'): Uint8Array {
  try {
    return readBoundedFile(file, MAX_CONFIG_BYTES, what);
  } catch (err) {
    if (err instanceof InputFileError) throw aboutFile(file, err.problem);
    throw err;
  }
}

/** Reads and parses an adapter_config.json file (errors name the file). */
export function readAdapterConfigFile(file: string, what = 'readAdapterConfigFile'): Record<string, unknown> {
  return parseAdapterConfigText(readAdapterConfigBytes(file, what), file);
}

/** Identity of a file's current version (a replacement is a new inode), or null when it is absent. */
function versionOf(file: string, what: string): string | null {
  try {
    const stat = nodeFs(what).statSync(file, { bigint: true });
    return `${stat.ino}:${stat.mtimeNs}:${stat.size}`;
  } catch {
    return null;
  }
}

/** How often a read that raced with a writer is retried before giving up, and the pause between tries. */
const CONSISTENT_READ_TRIES = 10;
const RETRY_PAUSE_MS = 10;

/** Which files a read of `dir` would take now, and the version of its config: equal keys, same adapter. */
function readState(dir: string, what: string): { configFile: string; weightsFile: string; key: string } {
  const configFile = committedFilePath(dir, CONFIG_NAME, what);
  const weightsFile = committedFilePath(dir, SAFETENSORS_WEIGHTS_NAME, what);
  return { configFile, weightsFile, key: `${configFile}\u0000${weightsFile}\u0000${versionOf(configFile, what)}` };
}

/**
 * The config and weights files of `dir` as one consistent pair: through a committed stage while a write is
 * being finished (see ./adapterCommit), and read again when a writer changed the directory meanwhile (the
 * files to read, or the config's version, differ after the read), so a config is never paired with weights
 * it was not written with, and a read racing a writer does not fail on a file that was just moved.
 */
function readAdapterPair<C>(dir: string, what: string, checkConfig?: (json: Record<string, unknown>, configPath: string) => C) {
  const path = nodePath(what);
  for (let attempt = 1; ; attempt++) {
    const before = readState(dir, what);
    try {
      const configJson = readAdapterConfigFile(before.configFile, what);
      // The config is small and its errors are the likelier ones: check it before reading a large weights file.
      const config = checkConfig ? checkConfig(configJson, before.configFile) : (undefined as C);
      const weights = readWeights(dir, before.weightsFile, what);
      if (readState(dir, what).key === before.key) return { configJson, config, weights };
    } catch (err) {
      if (attempt >= CONSISTENT_READ_TRIES || readState(dir, what).key === before.key) throw err;
    }
    if (attempt >= CONSISTENT_READ_TRIES) {
      throw aboutFile(path.join(dir, CONFIG_NAME), `kept changing while being read (${CONSISTENT_READ_TRIES} tries); is another process writing it?`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_PAUSE_MS);
  }
}

/** The raw bytes of the weights file, with PEFT's pickle named when it is all the directory has. */
function readWeights(dir: string, weightsFile: string, what: string): Uint8Array {
  const fs = nodeFs(what);
  const path = nodePath(what);
  if (!fs.existsSync(weightsFile)) {
    const pickle = fs.existsSync(path.join(dir, PICKLE_WEIGHTS_NAME));
    throw new SafetensorsError(path.join(dir, SAFETENSORS_WEIGHTS_NAME), pickle
      ? `no such file (${PICKLE_WEIGHTS_NAME} is a pickle, which frod-ts does not read; save it with safe_serialization=True)`
      : 'no such file');
  }
  return readSafetensorsFileBytes(weightsFile, what);
}

/**
 * Reads adapter directory `dir`: its config object and its weights, validated (a corrupted safetensors file
 * throws a SafetensorsError naming it). A directory holding only PEFT's pickle `adapter_model.bin` gets a
 * message that says how to write safetensors instead. `checkConfig`, when given, turns the config object into
 * the caller's config before the weights are read, so a bad config fails fast whatever the weights hold.
 * A write of `dir` by frod-ts that was interrupted is read as the adapter it committed (nothing is modified).
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
  const { configJson, config, weights } = readAdapterPair(dir, what, checkConfig && ((json) => checkConfig(json, configPath)));
  return { configPath, weightsPath, configJson, config, weights: parseSafetensors(weights, weightsPath) };
}

/**
 * Writes adapter_model.safetensors and adapter_config.json into `dir` (created if needed) as one step: `dir`
 * holds the complete old or the complete new adapter whatever moment the process dies (see ./adapterCommit).
 * `what` names the caller in errors.
 */
export function writeAdapterFiles(dir: string, files: AdapterFileContents, what: string): void {
  writeAdapterDirectories(dir, [{ subdir: '', files }], what);
}
