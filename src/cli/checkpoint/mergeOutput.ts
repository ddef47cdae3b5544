/**
 * Where `frod merge` writes (Node only): `--out FILE.safetensors` is one file holding every tensor of the
 * base; any other `--out` is a model folder with the base's sharding — the same shard files holding the
 * same tensors, `model.safetensors.index.json` written again (PEFT/transformers' layout: sorted keys,
 * two-space indent, `total_size` recomputed), `config.json` and the folder's other small files (tokenizer,
 * generation config…) copied. Weight files in other formats (`.bin`, `.pt`, `.pth`, `.ckpt`, `.h5`,
 * `.msgpack`, `.gguf`, `.onnx`) and sub-folders are not copied: they would hold the unmerged weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorSpec } from '../../nn/io/format';
import { applyOwnership, ownershipOf, writeFlushed } from '../../util/atomicFile';
import { CliError } from '../io';
import { MODEL_INDEX_FILE, MODEL_WEIGHTS_FILE, type ModelFiles } from './modelFiles';
import { TensorWriter } from './tensorWriter';

/** One output file and the tensors it holds. */
export interface OutputShard {
  /** File name (inside the output folder), or the output file itself. */
  readonly name: string;
  readonly specs: Map<string, TensorSpec>;
  readonly metadata: Record<string, string> | null;
}

/** What a merge writes. */
export interface MergeOutput {
  readonly kind: 'file' | 'folder';
  readonly target: string;
  readonly shards: readonly OutputShard[];
  /** Files copied unchanged into the folder: their paths in the base. */
  readonly copies: readonly string[];
  /** The index to write in the folder (sharded bases only). */
  readonly index: string | null;
}

const OTHER_WEIGHT_FORMATS = /\.(bin|pt|pth|ckpt|h5|msgpack|gguf|onnx|safetensors)$/i;

/** True when `--out` names a single file (it ends in .safetensors). */
export function isFileOutput(out: string): boolean {
  return out.toLowerCase().endsWith('.safetensors');
}

/** The other files of a model folder that a merged folder keeps: regular, not hidden, not weights. */
function companionFiles(model: ModelFiles): string[] {
  if (model.kind === 'file') return model.config ? [model.config.file] : [];
  const weightFiles = new Set([...model.shards.map((s) => path.basename(s.path)), MODEL_INDEX_FILE]);
  return fs.readdirSync(model.path).sort()
    .filter((name) => !name.startsWith('.') && !weightFiles.has(name) && !OTHER_WEIGHT_FORMATS.test(name))
    .map((name) => path.join(model.path, name))
    .filter((file) => fs.statSync(file).isFile());
}

function specsOf(model: ModelFiles, names: Iterable<string>): Map<string, TensorSpec> {
  return new Map([...names].map((name) => {
    const { dtype, shape } = model.locate(name).entry;
    return [name, { dtype, shape }];
  }));
}

/** Plans the output of merging into `model`, written at `out`. */
export function planMergeOutput(model: ModelFiles, out: string): MergeOutput {
  const firstMetadata = model.shards[0].layout.metadata;
  if (isFileOutput(out)) {
    return { kind: 'file', target: out, shards: [{ name: out, specs: specsOf(model, model.names), metadata: firstMetadata }], copies: [], index: null };
  }
  const shards = model.index
    ? model.shards.map((shard) => ({ name: path.basename(shard.path), specs: specsOf(model, shard.names), metadata: shard.layout.metadata }))
    : [{ name: MODEL_WEIGHTS_FILE, specs: specsOf(model, model.names), metadata: firstMetadata }];
  return { kind: 'folder', target: out, shards, copies: companionFiles(model), index: model.index ? MODEL_INDEX_FILE : null };
}

/** The names a merged folder will hold (an existing folder holding only these may be replaced). */
export function outputNames(output: MergeOutput): Set<string> {
  return new Set([...output.shards.map((s) => s.name), ...output.copies.map((c) => path.basename(c)), ...(output.index ? [output.index] : [])]);
}

/** `model.safetensors.index.json` of the output, as transformers writes it. */
export function indexJson(model: ModelFiles, output: MergeOutput): string {
  const weightMap: Record<string, string> = {};
  for (const shard of output.shards) for (const name of shard.specs.keys()) weightMap[name] = shard.name;
  const metadata = { ...(model.index?.metadata ?? {}), total_size: model.dataBytes };
  return `${JSON.stringify({ metadata: sortKeys(metadata), weight_map: sortKeys(weightMap) }, null, 2)}\n`;
}

function sortKeys<T>(object: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Opens a writer per output shard (inside the staging folder `folder`, or at the output file); closes them
 * all on failure. A shard written into the staging folder keeps the mode and owner of the file of the same
 * name in the folder it replaces, as the output file keeps those of the file it replaces.
 */
export async function openWriters(output: MergeOutput, folder: string | null): Promise<TensorWriter[]> {
  const writers: TensorWriter[] = [];
  try {
    for (const shard of output.shards) {
      const where = folder === null
        ? { target: shard.name }
        : { target: path.join(folder, shard.name), replaces: path.join(output.target, shard.name) };
      writers.push(await TensorWriter.create(where, shard.specs, shard.metadata));
    }
    return writers;
  } catch (err) {
    for (const writer of writers) writer.abort();
    throw err;
  }
}

/**
 * Writes the index and the copied companion files into the staging folder `staging`, each flushed to disk
 * and keeping the mode and owner of the file of the same name in the folder it replaces.
 */
export function writeFolderFiles(output: MergeOutput, model: ModelFiles, staging: string): void {
  const replaced = (name: string) => ownershipOf(fs, path.join(output.target, name));
  if (output.index) writeFlushed(fs, path.join(staging, output.index), indexJson(model, output), replaced(output.index));
  for (const file of output.copies) {
    const name = path.basename(file);
    const copy = path.join(staging, name);
    fs.copyFileSync(file, copy, fs.constants.COPYFILE_EXCL);
    const fd = fs.openSync(copy, 'r+');
    try {
      applyOwnership(fs, fd, replaced(name));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Refuses an output folder that is the base folder or holds one of the inputs (replacing it would lose them). */
export function checkFolderAgainstInputs(out: string, inputs: readonly string[]): void {
  const real = (file: string) => { try { return fs.realpathSync(file); } catch { return path.resolve(file); } };
  const target = real(out);
  for (const input of inputs) {
    const where = real(input);
    if (where === target || where.startsWith(target + path.sep)) {
      throw new CliError(out, `holds the input ${input}; write the merged model to another folder`);
    }
  }
}
