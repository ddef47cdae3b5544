/**
 * `frod inspect DIR|FILE [--json]`: what an adapter directory or a safetensors file holds.
 * An adapter: its config, categories (in, nnz, modules, V stored or not), per-module shapes and the number
 * of trainable parameters. Any other safetensors file: tensor names, dtypes, shapes, bytes and metadata.
 */
import { Command } from 'commander';
import type { JsonValue } from '../../frod/config';
import { SAFE_DTYPE_SIZES, type ParsedSafetensors } from '../../nn/io/format';
import { readAdapterLayout, type AdapterLayout } from '../adapterLayout';
import { ADAPTER_MODEL_FILE, isDirectory, readAdapterDir, readInputFile, parseSafetensorsFile, type AdapterDirContents } from '../files';
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

function fileReport(file: string, size: number, parsed: ParsedSafetensors) {
  const tensors = parsed.headerOrder.map((name) => {
    const entry = parsed.entries.get(name)!;
    return { name, dtype: entry.dtype, shape: entry.shape, bytes: numelOf(entry.shape) * SAFE_DTYPE_SIZES[entry.dtype] };
  });
  const elements = tensors.reduce((sum, t) => sum + numelOf(t.shape), 0);
  return { kind: 'safetensors' as const, path: file, bytes: size, metadata: parsed.metadata, elements, tensors };
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

function inspect(target: string, options: InspectOptions, context: CliContext): void {
  const write = (line: string) => context.io.stdout(`${line}\n`);
  if (isDirectory(target)) {
    const contents = readAdapterDir(target);
    const report = adapterReport(target, contents, readAdapterLayout(contents.model, contents.modelFile));
    if (options.json) write(JSON.stringify(report, null, 2));
    else printAdapter(report, (line) => write(escapeControl(line)));
    return;
  }
  const bytes = readInputFile(target);
  const report = fileReport(target, bytes.length, parseSafetensorsFile(target, bytes));
  if (options.json) write(JSON.stringify(report, null, 2));
  else printFile(report, (line) => write(escapeControl(line)));
}

const inspectCommand: CliCommand = {
  create(context) {
    return new Command('inspect')
      .summary('show what an adapter directory or a safetensors file holds')
      .description('Show an adapter directory (its config, categories with in / nnz / modules / whether V is stored, '
        + `per-module shapes, trainable parameters) or any safetensors file (tensor names, dtypes, shapes, bytes, metadata). `
        + `A directory is read as an adapter (adapter_config.json + ${ADAPTER_MODEL_FILE}); a file as plain safetensors.`)
      .argument('<path>', 'an adapter directory or a .safetensors file')
      .option('--json', 'print the report as JSON')
      .addHelpText('after', '\nExamples:\n  frod inspect out/adapter\n  frod inspect model.safetensors --json\n')
      .action((target: string, options: InspectOptions) => inspect(target, options, context));
  },
};

export default inspectCommand;
