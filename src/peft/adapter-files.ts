/**
 * The two files of an adapter directory in the PEFT layout, shared by PeftModel and FRoD's checkpoint
 * helpers: their names, reading the config text and writing both files. The callers pass Node's `fs` and
 * `path` (from src/util/node), so this module stays free of Node imports.
 */
import { type nodeFs, type nodePath, writeFileAtomic } from '../util/node';

type NodeFs = ReturnType<typeof nodeFs>;
type NodePath = ReturnType<typeof nodePath>;

/** File names of an adapter directory. */
export const CONFIG_NAME = 'adapter_config.json';
export const SAFETENSORS_WEIGHTS_NAME = 'adapter_model.safetensors';

/** An adapter's files as text and bytes. */
export interface AdapterFileContents {
  configJson: string;
  safetensors: Uint8Array;
}

/** The text of `configPath`; a read failure throws one line naming the file. */
export function readConfigText(fs: NodeFs, configPath: string): string {
  try {
    return fs.readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new Error(`${configPath}: cannot read the adapter config (${(err as Error).message.split('\n')[0]})`);
  }
}

/** JSON.parse of a config's text; a syntax error throws naming `source`. */
export function parseConfigJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Writes adapter_model.safetensors, then adapter_config.json, into `dir` (created if needed), each
 * atomically; `what` names the caller in errors.
 */
export function writeAdapterFiles(
  fs: NodeFs, path: NodePath, dir: string, files: AdapterFileContents, what: string,
): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, SAFETENSORS_WEIGHTS_NAME), files.safetensors, what);
  writeFileAtomic(path.join(dir, CONFIG_NAME), files.configJson, what);
}
