/**
 * A base model as `--base` names it (Node only): one `.safetensors` file, or a Hugging Face model folder —
 * `config.json` plus either `model.safetensors` or the shards that `model.safetensors.index.json` names in
 * its `weight_map` (as transformers looks for them: the single file first). Every tensor is known by its
 * name across the shards; nothing but the headers is read until a tensor is asked for.
 *
 * Shards are checked against the index before any work: every shard present, every tensor in the shard the
 * index says and in no other, no shard tensor missing from the index. Each problem is one line naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlacedEntry, RawEntry } from '../../nn/io/format';
import type { Tensor } from '../../tensor';
import { describeFsError } from '../files';
import { CliError } from '../io';
import { type HfModelConfig, readHfConfig, readHfConfigBeside, readJsonFile } from './hfConfig';
import { TensorFile } from './tensorFile';

/** File names of a Hugging Face model folder. */
export const MODEL_WEIGHTS_FILE = 'model.safetensors';
export const MODEL_INDEX_FILE = 'model.safetensors.index.json';
export const MODEL_CONFIG_FILE = 'config.json';

/** Where one tensor of the model lies. */
export interface ModelTensor {
  readonly shard: TensorFile;
  readonly entry: PlacedEntry;
}

/** The parsed `model.safetensors.index.json`. */
export interface ShardIndex {
  readonly file: string;
  /** Its `metadata` object (e.g. `total_size`), kept when the index is written again. */
  readonly metadata: Record<string, unknown>;
}

/** An open base model. Call {@link close} when done. */
export class ModelFiles {
  /** Use {@link ModelFiles.open}. */
  constructor(
    /** The path as given. */
    readonly path: string,
    /** 'folder' for a model folder, 'file' for a lone safetensors file. */
    readonly kind: 'file' | 'folder',
    /** The weight files: one, or the shards in the order the index first names them. */
    readonly shards: readonly TensorFile[],
    /** The index of a sharded folder, else null. */
    readonly index: ShardIndex | null,
    /** config.json (inside the folder, or a model config beside the file), or null when there is none. */
    readonly config: HfModelConfig | null,
    /** Every tensor by name: shard by shard, in each shard's header order. */
    readonly tensors: ReadonlyMap<string, ModelTensor>,
  ) {}

  /** Opens `target` (a folder or a file) and checks it; every problem is a CliError naming the file. */
  static open(target: string): ModelFiles {
    const stat = statOrThrow(target);
    if (stat.isDirectory()) return openFolder(target);
    const config = readHfConfigBeside(path.join(path.dirname(target), MODEL_CONFIG_FILE));
    const file = TensorFile.open(target);
    return new ModelFiles(target, 'file', [file], null, config, tensorMap([file]));
  }

  /** Tensor names, shard by shard in header order. */
  get names(): string[] {
    return [...this.tensors.keys()];
  }

  /** The location of tensor `name`, or a CliError naming the model. */
  locate(name: string): ModelTensor {
    const found = this.tensors.get(name);
    if (!found) throw new CliError(this.path, `has no tensor '${name}'`);
    return found;
  }

  /** Stored bytes of tensor `name`. */
  read(name: string): RawEntry {
    return this.locate(name).shard.read(name);
  }

  /** Tensor `name` decoded (read from its shard now; nothing is kept). */
  decode(name: string): Tensor {
    return this.locate(name).shard.decode(name);
  }

  /** Sum of the tensors' byte sizes (an index's `total_size`). */
  get dataBytes(): number {
    let total = 0;
    for (const { entry } of this.tensors.values()) total += entry.end - entry.begin;
    return total;
  }

  close(): void {
    for (const shard of this.shards) shard.close();
  }
}

function statOrThrow(target: string): fs.Stats {
  try {
    return fs.statSync(target);
  } catch (err) {
    throw new CliError(target, describeFsError(err, 'file'));
  }
}

/** Every tensor of `files` by name; a name in two files is an error naming both. */
function tensorMap(files: readonly TensorFile[]): Map<string, ModelTensor> {
  const out = new Map<string, ModelTensor>();
  for (const shard of files) {
    for (const name of shard.names) {
      const other = out.get(name);
      if (other) throw new CliError(shard.path, `holds tensor '${name}', which ${other.shard.path} holds too (a tensor belongs to one shard)`);
      out.set(name, { shard, entry: shard.entry(name) as PlacedEntry });
    }
  }
  return out;
}

function openFolder(dir: string): ModelFiles {
  const configFile = path.join(dir, MODEL_CONFIG_FILE);
  const config = fs.existsSync(configFile) ? readHfConfig(configFile) : null;
  const single = path.join(dir, MODEL_WEIGHTS_FILE);
  const indexFile = path.join(dir, MODEL_INDEX_FILE);
  if (fs.existsSync(single)) {
    const file = TensorFile.open(single);
    return new ModelFiles(dir, 'folder', [file], null, config, tensorMap([file]));
  }
  if (!fs.existsSync(indexFile)) {
    throw new CliError(dir, `is a folder without ${MODEL_WEIGHTS_FILE} or ${MODEL_INDEX_FILE}; expected a safetensors file or a Hugging Face model folder`);
  }
  const { weightMap, metadata } = readIndex(indexFile);
  const files: TensorFile[] = [];
  try {
    const byName = new Map<string, TensorFile>();
    for (const shardName of new Set(weightMap.values())) {
      const shardPath = path.join(dir, shardName);
      if (!fs.existsSync(shardPath)) {
        const count = [...weightMap.values()].filter((s) => s === shardName).length;
        throw new CliError(shardPath, `no such file (${MODEL_INDEX_FILE} puts ${count} tensor${count === 1 ? '' : 's'} in it)`);
      }
      const file = TensorFile.open(shardPath);
      files.push(file);
      byName.set(shardName, file);
    }
    const tensors = tensorMap(files);
    checkIndexAgrees(weightMap, byName, tensors, indexFile);
    return new ModelFiles(dir, 'folder', files, { file: indexFile, metadata }, config, tensors);
  } catch (err) {
    for (const file of files) file.close();
    throw err;
  }
}

/** The index's weight_map (tensor → shard file name) and metadata, checked to be well formed. */
function readIndex(file: string): { weightMap: Map<string, string>; metadata: Record<string, unknown> } {
  const json = readJsonFile(file);
  const object = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!object(json) || !object(json.weight_map)) {
    throw new CliError(file, 'expected a JSON object with a "weight_map" object (tensor name → shard file name)');
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(json.weight_map)) {
    if (typeof shard !== 'string' || shard === '' || shard !== path.basename(shard) || shard === '.' || shard === '..') {
      throw new CliError(file, `weight_map puts tensor '${name}' in ${JSON.stringify(shard)}; expected the file name of a shard in the same folder`);
    }
    weightMap.set(name, shard);
  }
  if (weightMap.size === 0) throw new CliError(file, 'weight_map is empty; expected the shard of every tensor');
  return { weightMap, metadata: object(json.metadata) ? json.metadata : {} };
}

/** The index and the shards' headers must name the same tensors in the same places. */
function checkIndexAgrees(weightMap: ReadonlyMap<string, string>, shards: ReadonlyMap<string, TensorFile>,
  tensors: ReadonlyMap<string, ModelTensor>, indexFile: string): void {
  for (const [name, shardName] of weightMap) {
    const shard = shards.get(shardName) as TensorFile;
    if (!shard.entry(name)) {
      const actual = tensors.get(name);
      const where = actual ? `; it is in ${actual.shard.path}` : '';
      throw new CliError(shard.path, `has no tensor '${name}', which ${MODEL_INDEX_FILE} puts there${where}`);
    }
  }
  for (const [name, { shard }] of tensors) {
    if (!weightMap.has(name)) throw new CliError(indexFile, `does not list tensor '${name}', which ${shard.path} holds`);
  }
}
