/**
 * `frod init --base MODEL --config adapter_config.json --out DIR`: a fresh FRoD adapter for the weights of a
 * Hugging Face model — one safetensors file, or a model folder (config.json + model.safetensors or shards
 * with model.safetensors.index.json) — written in the PEFT layout (docs/frod-math.md §10, "What gets saved").
 * Every 2-D `<path>.weight` whose `<path>` the config targets is treated as an nn.Linear weight `(out, in)`,
 * or as a GPT-2 Conv1D weight `(in, out)` when `fan_in_fan_out` is set (forced as PEFT does when config.json
 * says the model is GPT-2).
 * The base is read one category at a time (src/cli/checkpoint/initStream.ts).
 */
import { Command } from 'commander';
import type { FrodConfig } from '../../frod/config';
import { parseSafetensors } from '../../nn/io/format';
import { adapterFiles } from '../../frod/checkpoint';
import { addedParameters, readAdapterLayout, type AdapterLayout } from '../adapterLayout';
import { ModelFiles } from '../checkpoint/modelFiles';
import { initAdapterStreaming } from '../checkpoint/initStream';
import { planTargets } from '../checkpoint/modelTargets';
import { ADAPTER_CONFIG_FILE, ADAPTER_MODEL_FILE, checkOutputDir, readConfigFile, writeOutputDir } from '../files';
import { formatBytes, formatTable, trainableLine } from '../format';
import { about } from '../io';
import type { CliCommand, CliContext } from '../program';
import { withProgressBars } from '../progress';
import { numelOf } from '../tensors';
import { escapeControl } from '../../util/escape';

interface InitOptions {
  base: string;
  config: string;
  out: string;
  adapterName: string;
  autocastAdapterDtype: boolean;
}

function printSummary(options: InitOptions, config: FrodConfig, layout: AdapterLayout, paths: Map<string, string>,
  model: ModelFiles, modelBytes: number, write: (line: string) => void): void {
  write(`frod init: wrote adapter '${options.adapterName}' to ${options.out} (${ADAPTER_CONFIG_FILE}, ${ADAPTER_MODEL_FILE} ${formatBytes(modelBytes)})`);
  write(`${layout.modules.length} modules in ${layout.categories.length} categories; projections ${config.saveProjection ? 'saved' : 'not saved (regenerated at load)'}`);
  const rows = layout.categories.map((c) => [c.name, paths.get(c.name) ?? '?', String(c.inFeatures), String(c.nnz), String(c.modules.length)]);
  for (const line of formatTable(['category', 'path', 'in', 'nnz', 'modules'], rows, [2, 3, 4])) write(line);
  let baseParameters = 0;
  for (const { entry } of model.tensors.values()) baseParameters += numelOf(entry.shape);
  write(trainableLine(layout.trainableParameters, baseParameters + addedParameters(layout, config)));
}

function init(options: InitOptions, context: CliContext): void {
  const read = readConfigFile(options.config);
  checkOutputDir(options.out);
  const model = ModelFiles.open(options.base);
  try {
    const { config, paths } = planTargets(model, read, options.config);
    const progress = context.progressEnabled();
    const adapter = about(options.base, () => withProgressBars(progress ? context.io.progressStream : null,
      () => initAdapterStreaming(model, paths, config, {
        adapterName: options.adapterName, progress, autocastAdapterDtype: options.autocastAdapterDtype,
      })));
    const files = about(options.out, () => adapterFiles(config, adapter.tensors, adapter.dtypes));
    const layout = readAdapterLayout(parseSafetensors(files.safetensors, ADAPTER_MODEL_FILE), ADAPTER_MODEL_FILE);
    writeOutputDir(options.out, files);
    printSummary(options, config, layout, adapter.projectionPaths, model, files.safetensors.length,
      (line) => context.io.stdout(`${escapeControl(line)}\n`));
  } finally {
    model.close();
  }
}

const initCommand: CliCommand = {
  create(context) {
    return new Command('init')
      .summary('create a fresh FRoD adapter for a safetensors model (file or Hugging Face folder)')
      .description('Create a fresh FRoD adapter for a Hugging Face model and write it in the PEFT layout '
        + `(DIR/${ADAPTER_CONFIG_FILE} + DIR/${ADAPTER_MODEL_FILE}). The base is a .safetensors file or a model folder `
        + '(config.json with model.safetensors, or shards listed in model.safetensors.index.json). Every 2-D '
        + '"<module>.weight" whose module path the config targets is adapted as an nn.Linear weight (out, in), or as '
        + 'a GPT-2 Conv1D weight (in, out) when fan_in_fan_out is set. Without target_modules, config.json\'s model_type '
        + 'gives PEFT\'s default targets. DIR must not exist, be empty, or hold only a previous adapter (which is '
        + 'replaced); nothing is written when anything fails.')
      .requiredOption('--base <path>', 'the base model: a .safetensors file or a Hugging Face model folder')
      .requiredOption('--config <file>', 'the adapter configuration (adapter_config.json, PEFT\'s FrodConfig fields)')
      .requiredOption('--out <dir>', 'the adapter directory to write')
      .option('--adapter-name <name>', 'the adapter\'s name, used in messages (PEFT never stores it in the files)', 'default')
      .option('--no-autocast-adapter-dtype', 'for an F16/BF16 base, store lambda and S in the base dtype instead of float32 (PEFT\'s autocast_adapter_dtype=False)')
      .addHelpText('after', '\nExamples:\n  frod init --base model.safetensors --config adapter_config.json --out my-adapter\n'
        + '  frod init --base Llama-3.2-1B/ --config adapter_config.json --out my-adapter\n')
      .action((options: InitOptions) => init(options, context));
  },
};

export default initCommand;
