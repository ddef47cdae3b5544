/**
 * `frod merge --base MODEL --adapter DIR --out OUT [--safe]`: the base with every adapted weight replaced by
 * W' = U (S + diag λ) Vᵀ (docs/frod-math.md §8) — same dtype (half precision rounded as PyTorch rounds) and
 * orientation as in the base — and the adapter's other tensors (modules_to_save copies, trained biases) put
 * in place; every other tensor is copied byte for byte and the metadata is kept. MODEL is a safetensors file
 * or a model folder; OUT is one file (`*.safetensors`) or a folder with the base's sharding
 * (src/cli/checkpoint/mergeOutput.ts). Weights are read, merged and written one at a time, so memory does
 * not grow with the model. The output is a deterministic function of the inputs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { FrodConfig } from '../../frod/config';
import { mergeWeightsOneByOne, type BaseWeight } from '../../frod/functional';
import { encodeEntry } from '../../nn/io/convert';
import type { Tensor } from '../../tensor';
import { warn } from '../../peft/warnings';
import { readAdapterLayout, type AdapterLayout } from '../adapterLayout';
import {
  checkFolderAgainstInputs, openWriters, outputNames, planMergeOutput, writeFolderFiles, type MergeOutput,
} from '../checkpoint/mergeOutput';
import { ModelFiles } from '../checkpoint/modelFiles';
import { planTargets } from '../checkpoint/modelTargets';
import type { TensorWriter } from '../checkpoint/tensorWriter';
import { checkNotAnInput, checkOutputDir, checkOutputFile, fillOutputDir, readAdapterDir, type AdapterDirContents } from '../files';
import { formatBytes } from '../format';
import { CliError, about } from '../io';
import type { CliCommand, CliContext } from '../program';
import { lazyStateDict, shapeText } from '../tensors';
import { firstNonFinite } from '../../nn/io/finite';
import { escapeControl } from '../../util/escape';

interface MergeOptions {
  base: string;
  adapter: string;
  out: string;
  safe?: boolean;
  adapterName: string;
}

/** Checks that every module the adapter adapts is a targeted weight of the base. */
function checkAdaptedModules(layout: AdapterLayout, targets: ReadonlySet<string>, model: ModelFiles, adapter: AdapterDirContents): void {
  for (const { path: module } of layout.modules) {
    if (targets.has(module)) continue;
    const problem = model.tensors.has(`${module}.weight`)
      ? `adapts module '${module}', which the target_modules of ${adapter.configFile} do not select in ${model.path}`
      : `adapts module '${module}', but ${model.path} has no tensor '${module}.weight'`;
    throw new CliError(adapter.modelFile, problem);
  }
}

/** The adapted weights, each read from the base file only when the merge reaches it. */
function lazyWeights(model: ModelFiles, paths: readonly string[], config: FrodConfig): Map<string, BaseWeight> {
  return new Map(paths.map((module) => {
    const name = `${module}.weight`;
    const shape = model.locate(name).entry.shape;
    return [module, { get weight() { return model.decode(name); }, fanInFanOut: config.fanInFanOut, shape }];
  }));
}

/** Counts of what a merge did. */
interface MergeCounts { merged: number; fromAdapter: number; copied: number }

/**
 * Merges into the open `writers` (one per output shard): each merged tensor is encoded in the base's dtype
 * and written at its place as soon as it is computed, then every other tensor is copied in chunks.
 */
async function mergeInto(writers: readonly TensorWriter[], output: MergeOutput, model: ModelFiles, adapter: AdapterDirContents,
  config: FrodConfig, layout: AdapterLayout, options: MergeOptions, paths: readonly string[]): Promise<MergeCounts> {
  const writerOf = new Map<string, TensorWriter>();
  output.shards.forEach((shard, i) => { for (const name of shard.specs.keys()) writerOf.set(name, writers[i]); });
  const replaced = new Set<string>();
  const write = async (name: string, value: Tensor) => {
    const found = model.tensors.get(name);
    if (!found) throw new CliError(model.path, `has no tensor '${name}' for the adapter to replace`);
    const { shape, dtype } = found.entry;
    if (value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
      throw new CliError(model.path, `tensor '${name}' has shape ${shapeText(shape)} but the merged tensor has shape ${shapeText(value.shape)}`);
    }
    const stored = encodeEntry(value.contiguous().data(), shape, dtype, name);
    // --safe on what is written: finite in the base's dtype after rounding (an F16 weight merging to 70,000 is not).
    if (options.safe && firstNonFinite(stored) >= 0) {
      const what = name.endsWith('.weight') && paths.includes(name.slice(0, -'.weight'.length))
        ? `module '${name.slice(0, -'.weight'.length)}' merges to`
        : `the adapter's tensor for '${name}' (a modules_to_save copy or trained bias) holds`;
      throw new CliError(options.adapter, `--safe: ${what} NaN or infinite values when stored as ${dtype} (the dtype of ${options.base}); nothing was written`);
    }
    await (writerOf.get(name) as TensorWriter).write(name, stored.bytes);
    replaced.add(name);
  };
  // One merged tensor at a time, each written before the next is computed: the awaits between them let a
  // Ctrl-C be handled (src/cli/interrupt.ts deletes the temporary files) while the merge runs.
  const merged = mergeWeightsOneByOne(lazyWeights(model, paths, config), lazyStateDict(adapter.model, adapter.modelFile),
    config, { safe: options.safe === true, adapterName: options.adapterName, warn });
  for (;;) {
    const next = about(options.adapter, () => merged.next());
    if (next.done) break;
    await write(...next.value);
  }
  let copied = 0;
  for (const name of [...writerOf.keys()].sort()) {
    if (replaced.has(name)) continue;
    await (writerOf.get(name) as TensorWriter).copy(name, model.locate(name).shard);
    copied++;
  }
  return { merged: layout.modules.length, fromAdapter: replaced.size - layout.modules.length, copied };
}

/** Runs the merge into a fresh file or folder (written aside and moved into place only when complete). */
async function writeMerged(output: MergeOutput, model: ModelFiles, run: (writers: TensorWriter[]) => Promise<MergeCounts>): Promise<MergeCounts> {
  const writeShards = async (folder: string | null) => {
    const writers = await openWriters(output, folder);
    try {
      const counts = await run(writers);
      for (const writer of writers) await writer.commit();
      return counts;
    } finally {
      for (const writer of writers) writer.abort();
    }
  };
  if (output.kind === 'file') return writeShards(null);
  let counts: MergeCounts | null = null;
  await fillOutputDir(output.target, 'model folder', async (staging) => {
    counts = await writeShards(staging);
    writeFolderFiles(output, model, staging);
  });
  return counts as unknown as MergeCounts;
}

function outputBytes(output: MergeOutput): number {
  if (output.kind === 'file') return fs.statSync(output.target).size;
  return output.shards.reduce((sum, shard) => sum + fs.statSync(path.join(output.target, shard.name)).size, 0);
}

async function merge(options: MergeOptions, context: CliContext): Promise<void> {
  const adapter = readAdapterDir(options.adapter);
  const layout = readAdapterLayout(adapter.model, adapter.modelFile);
  const model = ModelFiles.open(options.base);
  try {
    const inputs = [...model.shards.map((s) => s.path), adapter.modelFile, adapter.configFile];
    checkNotAnInput(options.out, inputs); // whatever the output's kind (a file or a folder)
    const output = planMergeOutput(model, options.out);
    if (output.kind === 'file') checkOutputFile(options.out, inputs);
    else {
      checkOutputDir(options.out, outputNames(output));
      checkFolderAgainstInputs(options.out, inputs);
    }
    const { config, paths } = planTargets(model, adapter.config, adapter.configFile);
    checkAdaptedModules(layout, new Set(paths), model, adapter);
    const adapted = layout.modules.map((m) => m.path);
    const counts = await writeMerged(output, model, (writers) => mergeInto(writers, output, model, adapter, config, layout, options, adapted));
    const shards = output.kind === 'folder' ? `, ${output.shards.length} shard${output.shards.length === 1 ? '' : 's'}` : '';
    context.io.stdout(`frod merge: wrote ${options.out} (${formatBytes(outputBytes(output))}${shards}): ${counts.merged} adapted weights `
      + `in ${layout.categories.length} categories merged${counts.fromAdapter > 0 ? `, ${counts.fromAdapter} other tensors from the adapter` : ''}, `
      + `${counts.copied} tensors copied unchanged\n`);
  } finally {
    model.close();
  }
}

const mergeCommand: CliCommand = {
  create(context) {
    return new Command('merge')
      .summary('merge an adapter into the base weights (a new safetensors file or model folder)')
      .description('Write a copy of the base model (a .safetensors file or a Hugging Face model folder) in which every '
        + 'weight the adapter adapts is replaced by the merged weight W\' = U (S + diag(lambda)) V^T, in the dtype and '
        + 'orientation of the base, and the adapter\'s modules_to_save copies and trained biases are put in place. Every '
        + 'other tensor is copied byte for byte and the metadata is kept; the output is deterministic. --out ending in '
        + '.safetensors is one file; any other --out is a folder with the base\'s sharding, its index and config.json. '
        + 'Weights are read and written one at a time; an existing output is replaced only when the new one is complete.')
      .requiredOption('--base <path>', 'the base model the adapter was made for: a .safetensors file or a model folder')
      .requiredOption('--adapter <dir>', 'the adapter directory (adapter_config.json + adapter_model.safetensors)')
      .requiredOption('--out <path>', 'the merged model: FILE.safetensors, or a folder')
      .option('--safe', 'refuse to write weights that are NaN or infinite (names the module)')
      .option('--adapter-name <name>', 'the adapter\'s name, used in messages', 'default')
      .addHelpText('after', '\nExamples:\n  frod merge --base model.safetensors --adapter my-adapter --out merged.safetensors --safe\n'
        + '  frod merge --base Llama-3.2-1B/ --adapter my-adapter --out Llama-3.2-1B-merged/\n')
      .action((options: MergeOptions) => merge(options, context));
  },
};

export default mergeCommand;
