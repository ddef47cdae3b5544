/**
 * A Hugging Face model `config.json` (Node only), as far as the `frod` command uses it: `model_type` picks
 * PEFT's default target modules and tells which weights are Conv1D (GPT-2) or embeddings; `architectures`
 * is shown by `frod inspect`. The file is copied unchanged into a merged model folder.
 */
import * as fs from 'node:fs';
import { describeFsError } from '../files';
import { CliError } from '../io';

/** What frod reads from config.json. */
export interface HfModelConfig {
  /** The file it was read from. */
  readonly file: string;
  readonly modelType: string;
  /** `architectures` (e.g. ["LlamaForCausalLM"]), empty when absent. */
  readonly architectures: readonly string[];
  /** The whole parsed object (e.g. to build one of our models from it). */
  readonly json: Readonly<Record<string, unknown>>;
}

/**
 * config.json beside a lone safetensors file, when it is a model config: a folder's config.json belongs to
 * the model, but a file's neighbour may be anything (an adapter_config.json saved as config.json, a tool's
 * settings), so one that is not JSON or has no `model_type` is ignored here.
 */
export function readHfConfigBeside(file: string): HfModelConfig | null {
  if (!fs.existsSync(file)) return null;
  try {
    return readHfConfig(file);
  } catch {
    return null;
  }
}

/** The parsed JSON of `file` (a byte-order mark is allowed); unreadable or invalid JSON is a CliError naming it. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw new CliError(file, describeFsError(err, 'file'));
    throw new CliError(file, `is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Reads and checks `file`; a missing `model_type` or bad JSON is a CliError naming the file. */
export function readHfConfig(file: string): HfModelConfig {
  const json = readJsonFile(file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CliError(file, 'expected a JSON object (a Hugging Face model config)');
  }
  const record = json as Record<string, unknown>;
  const modelType = record.model_type;
  if (typeof modelType !== 'string' || modelType === '') {
    throw new CliError(file, 'has no "model_type"; expected a Hugging Face model config such as {"model_type": "llama", …}');
  }
  const architectures = Array.isArray(record.architectures)
    ? record.architectures.filter((a): a is string => typeof a === 'string') : [];
  return { file, modelType, architectures, json: record };
}
