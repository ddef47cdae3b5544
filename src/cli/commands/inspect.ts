/**
 * `frod inspect DIR|FILE [--json]`: what an adapter directory, a model folder or a safetensors file holds.
 * An adapter: its config, categories (in, nnz, modules, V stored or not), per-module shapes and the number
 * of trainable parameters. A model folder: its model_type, shards and tensors. Any other safetensors file:
 * tensor names, dtypes, shapes, bytes and metadata. Only headers are read (src/cli/checkpoint), so memory and
 * time do not depend on the size of the weights.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JsonValue } from '../../frod/config';
import type { PlacedEntry } from '../../nn/io/format';
import { readAdapterLayout, type AdapterLayout } from '../adapterLayout';
import { ModelFiles } from '../checkpoint/modelFiles';
import { TensorFile } from '../checkpoint/tensorFile';
import { ADAPTER_CONFIG_FILE, ADAPTER_MODEL_FILE, isDirectory, readAdapterDir, type AdapterDirContents } from '../files';
import { formatBytes, formatCount, formatTable } from '../format';
import type { CliCommand, CliContext } from '../program';
import { numelOf, shapeText } from '../tensors';
import { escapeControl } from '../../util/escape';

/** The config fields worth a line in the summary (JSON key → shown only when not the default). */
const CONFIG_LINE_KEYS = ['target_modules', 'sparse_rate', 'projection_prng_key', 'save_projection', 'fan_in_fan_out',
  'bias', 'regularization_alpha', 'init_weights', 'layers_to_transform', 'layers_pattern', 'modules_to_save',
  'frod_dropout', 'task_type', 'base_model_name_or_path'];

function adapterReport(dir: string, contents: AdapterDirContents, layout: AdapterLayout) {
  const config = contents.config.toJSON() as unknown as Record<string, JsonValue>;
  return {
    kind: 'adapter' as const,
    path: dir,
    config,
    categories: layout.categories.map((c) => ({
      name: c.name, in: c.inFeatures, nnz: c.nnz, modules: c.modules, projectionStored: c.projectionStored,
    })),
    modules: layout.modules.map((m) => ({
      path: m.path, category: m.category, lambdaShape: m.lambda.shape, lambdaDtype: m.lambda.dtype,
      sValuesShape: m.sValues.shape, sValuesDtype: m.sValues.dtype,
    })),
    otherTensors: [...layout.otherTensors].map(([name, e]) => ({ name, dtype: e.dtype, shape: e.shape })),
    trainableParameters: layout.trainableParameters,
  };
}

function printAdapter(report: ReturnType<typeof adapterReport>, write: (line: string) => void): void {
  write(`adapter ${report.path} (FRoD, ${report.modules.length} modules in ${report.categories.length} categories)`);
  const settings = CONFIG_LINE_KEYS.filter((key) => report.config[key] !== null && report.config[key] !== undefined)
    .map((key) => `${key}=${JSON.stringify(report.config[key])}`);
  write(`config: ${settings.join(' ')}`);
  write('');
  const categoryRows = report.categories.map((c) => [
    escapeControl(c.name), String(c.in), String(c.nnz), String(c.modules.length), c.projectionStored ? 'stored' : 'regenerated at load',
  ]);
  for (const line of formatTable(['category', 'in', 'nnz', 'modules', 'V'], categoryRows, [1, 2, 3])) write(line);
  write('');
  const moduleRows = report.modules.map((m) => [
    escapeControl(m.path), escapeControl(m.category), `${shapeText(m.lambdaShape)} ${m.lambdaDtype}`, `${shapeText(m.sValuesShape)} ${m.sValuesDtype}`,
  ]);
  for (const line of formatTable(['module', 'category', 'frod_lambda_l', 'frod_lambda_s_values'], moduleRows)) write(line);
  if (report.otherTensors.length > 0) {
    write('');
    write(`other trained tensors (modules_to_save copies, biases): ${report.otherTensors.length}`);
    for (const t of report.otherTensors) write(`  ${t.name} ${shapeText(t.shape)} ${t.dtype}`);
  }
  write('');
  write(`trainable params: ${formatCount(report.trainableParameters)}`);
}

function fileReport(file: TensorFile) {
  const tensors = file.names.map((name) => {
    const entry = file.entry(name) as PlacedEntry;
    return { name, dtype: entry.dtype, shape: entry.shape, bytes: entry.end - entry.begin };
  });
  const elements = tensors.reduce((sum, t) => sum + numelOf(t.shape), 0);
  return { kind: 'safetensors' as const, path: file.path, bytes: file.size, metadata: file.layout.metadata, elements, tensors };
}

function modelReport(model: ModelFiles) {
  const tensors = model.names.map((name) => {
    const { shard, entry } = model.locate(name);
    return { name, dtype: entry.dtype, shape: entry.shape, bytes: entry.end - entry.begin, shard: path.basename(shard.path) };
  });
  return {
    kind: 'model' as const,
    path: model.path,
    modelType: model.config?.modelType ?? null,
    architectures: model.config?.architectures ?? [],
    index: model.index === null ? null : path.basename(model.index.file),
    shards: model.shards.map((s) => ({ file: path.basename(s.path), bytes: s.size, tensors: s.names.length, metadata: s.layout.metadata })),
    bytes: model.shards.reduce((sum, s) => sum + s.size, 0),
    elements: tensors.reduce((sum, t) => sum + numelOf(t.shape), 0),
    tensors,
  };
}

function printModel(report: ReturnType<typeof modelReport>, write: (line: string) => void): void {
  const type = report.modelType === null ? 'no config.json' : [report.modelType, ...report.architectures].join(', ');
  write(`model ${report.path} (${type}; ${report.shards.length} file${report.shards.length === 1 ? '' : 's'}, `
    + `${formatBytes(report.bytes)}, ${report.tensors.length} tensors, ${formatCount(report.elements)} elements)`);
  if (report.index !== null) write(`index: ${report.index}`);
  write('');
  const shardRows = report.shards.map((s) => [s.file, String(s.tensors), formatCount(s.bytes)]);
  for (const line of formatTable(['file', 'tensors', 'bytes'], shardRows, [1, 2])) write(line);
  write('');
  const rows = report.tensors.map((t) => [t.name, t.dtype, shapeText(t.shape), formatCount(t.bytes), t.shard]);
  for (const line of formatTable(['tensor', 'dtype', 'shape', 'bytes', 'file'], rows, [3])) write(line);
}

function printFile(report: ReturnType<typeof fileReport>, write: (line: string) => void): void {
  write(`safetensors ${report.path} (${formatBytes(report.bytes)}, ${report.tensors.length} tensors, ${formatCount(report.elements)} elements)`);
  const metadata = report.metadata === null ? 'none'
    : Object.entries(report.metadata).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') || '{}';
  write(`metadata: ${metadata}`);
  write('');
  const rows = report.tensors.map((t) => [escapeControl(t.name), t.dtype, shapeText(t.shape), formatCount(t.bytes)]);
  for (const line of formatTable(['tensor', 'dtype', 'shape', 'bytes'], rows, [3])) write(line);
}

interface InspectOptions {
  json?: boolean;
}

/** True for a directory that holds an adapter (either of its files), rather than a model. */
function isAdapterDirectory(dir: string): boolean {
  return [ADAPTER_CONFIG_FILE, ADAPTER_MODEL_FILE].some((name) => fs.existsSync(path.join(dir, name)));
}

function inspect(target: string, options: InspectOptions, context: CliContext): void {
  const write = (line: string) => context.io.stdout(`${line}\n`);
  const show = <R>(report: R, print: (report: R, write: (line: string) => void) => void) => {
    if (options.json) write(JSON.stringify(report, null, 2));
    else print(report, (line) => write(escapeControl(line)));
  };
  if (isDirectory(target) && isAdapterDirectory(target)) {
    const contents = readAdapterDir(target);
    show(adapterReport(target, contents, readAdapterLayout(contents.model, contents.modelFile)), printAdapter);
    return;
  }
  const opened = isDirectory(target) ? ModelFiles.open(target) : TensorFile.open(target);
  try {
    if (opened instanceof ModelFiles) show(modelReport(opened), printModel);
    else show(fileReport(opened), printFile);
  } finally {
    opened.close();
  }
}

const inspectCommand: CliCommand = {
  create(context) {
    return new Command('inspect')
      .summary('show what an adapter directory, a model folder or a safetensors file holds')
      .description('Show an adapter directory (its config, categories with in / nnz / modules / whether V is stored, '
        + 'per-module shapes, trainable parameters), a Hugging Face model folder (model_type, shards, tensors) or any '
        + 'safetensors file (tensor names, dtypes, shapes, bytes, metadata). A directory holding adapter_config.json or '
        + `${ADAPTER_MODEL_FILE} is read as an adapter; any other directory as a model folder. Only headers are read.`)
      .argument('<path>', 'an adapter directory, a model folder or a .safetensors file')
      .option('--json', 'print the report as JSON')
      .addHelpText('after', '\nExamples:\n  frod inspect out/adapter\n  frod inspect model.safetensors --json\n  frod inspect Llama-3.2-1B/\n')
      .action((target: string, options: InspectOptions) => inspect(target, options, context));
  },
};

export default inspectCommand;
