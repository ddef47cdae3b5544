/**
 * `frod init --base model.safetensors --config adapter_config.json --out DIR`: a fresh FRoD adapter for
 * the weights of a Hugging Face safetensors file, written in the PEFT layout (spec §6). Every 2-D
 * `<path>.weight` whose `<path>` the config targets is treated as an nn.Linear weight `(out, in)`, or as a
 * GPT-2 Conv1D weight `(in, out)` when the config says `fan_in_fan_out: true`.
 */
import { Command } from 'commander';
import { categoryOf } from '../../frod/categories';
import { adapterFiles } from '../../frod/checkpoint';
import type { FrodConfig } from '../../frod/config';
import { initAdapterFromWeights } from '../../frod/functional';
import { isModuleToSave } from '../../peft/targets';
import type { BaseWeights } from '../../frod/weights';
import type { Tensor } from '../../tensor';
import { parseSafetensors, type ParsedSafetensors } from '../../nn/io/format';
import { addedParameters, readAdapterLayout, type AdapterLayout } from '../adapterLayout';
import { ADAPTER_CONFIG_FILE, ADAPTER_MODEL_FILE, checkOutputDir, readConfigFile, writeOutputDir } from '../files';
import { formatBytes, formatTable, trainableLine } from '../format';
import { about } from '../io';
import type { CliCommand, CliContext } from '../program';
import { withProgressBars } from '../progress';
import { numelOf, readBaseWeights } from '../tensors';
import { escapeControl } from '../../util/escape';

interface InitOptions {
  base: string;
  config: string;
  out: string;
  adapterName: string;
}

/** 'svd' when the category's stacked weights have fewer rows than columns, else 'qr-eig' (spec §2). */
function projectionPaths(weights: BaseWeights): Map<string, string> {
  const rows = new Map<string, { rows: number; cols: number }>();
  for (const [path, { weight, fanInFanOut }] of weights) {
    const [a, b] = weight.shape;
    const [outFeatures, inFeatures] = fanInFanOut ? [b, a] : [a, b];
    const category = categoryOf(path);
    const sum = rows.get(category) ?? { rows: 0, cols: inFeatures };
    rows.set(category, { rows: sum.rows + outFeatures, cols: inFeatures });
  }
  return new Map([...rows].map(([name, { rows: r, cols }]) => [name, r < cols ? 'svd' : 'qr-eig']));
}

function printSummary(options: InitOptions, config: FrodConfig, layout: AdapterLayout, paths: Map<string, string>,
  base: ParsedSafetensors, modelBytes: number, write: (line: string) => void): void {
  write(`frod init: wrote adapter '${options.adapterName}' to ${options.out} (${ADAPTER_CONFIG_FILE}, ${ADAPTER_MODEL_FILE} ${formatBytes(modelBytes)})`);
  write(`${layout.modules.length} modules in ${layout.categories.length} categories; projections ${config.saveProjection ? 'saved' : 'not saved (regenerated at load)'}`);
  const rows = layout.categories.map((c) => [c.name, paths.get(c.name) ?? '?', String(c.inFeatures), String(c.nnz), String(c.modules.length)]);
  for (const line of formatTable(['category', 'path', 'in', 'nnz', 'modules'], rows, [2, 3, 4])) write(line);
  let baseParameters = 0;
  for (const entry of base.entries.values()) baseParameters += numelOf(entry.shape);
  write(trainableLine(layout.trainableParameters, baseParameters + addedParameters(layout, config)));
}

/**
 * The part of the state dict that can add tensors to a fresh adapter: biases (when `bias` trains any) and
 * tensors under a `modules_to_save` module. Passing only these keeps init from decoding the whole model.
 */
function extraTensorSource(stateDict: Readonly<Record<string, Tensor>>, config: FrodConfig): Readonly<Record<string, Tensor>> | undefined {
  const wantsBiases = config.bias !== 'none';
  if (!wantsBiases && config.modulesToSave === null) return undefined;
  const selected = Object.keys(stateDict).filter((name) => {
    const parts = name.split('.');
    if (wantsBiases && parts[parts.length - 1] === 'bias') return true;
    return parts.slice(0, -1).some((_, i) => isModuleToSave(parts.slice(0, i + 1).join('.'), config.modulesToSave));
  });
  const subset: Record<string, Tensor> = {};
  for (const name of selected) Object.defineProperty(subset, name, { enumerable: true, get: () => stateDict[name] });
  return subset;
}

function init(options: InitOptions, context: CliContext): void {
  const config = readConfigFile(options.config);
  checkOutputDir(options.out);
  const { base, stateDict, weights } = readBaseWeights(options.base, config);
  const progress = context.progressEnabled();
  const tensors = about(options.base, () => withProgressBars(progress ? context.io.progressStream : null,
    () => initAdapterFromWeights(weights, config, {
      stateDict: extraTensorSource(stateDict, config), progress, warn: (message) => context.io.stderr(`frod init: warning: ${message}\n`),
    })));
  const files = about(options.out, () => adapterFiles(config, tensors));
  const layout = readAdapterLayout(parseSafetensors(files.safetensors, ADAPTER_MODEL_FILE), ADAPTER_MODEL_FILE);
  writeOutputDir(options.out, files);
  printSummary(options, config, layout, projectionPaths(weights), base, files.safetensors.length,
    (line) => context.io.stdout(`${escapeControl(line)}\n`));
}

const initCommand: CliCommand = {
  create(context) {
    return new Command('init')
      .summary('create a fresh FRoD adapter for the weights of a safetensors model')
      .description('Create a fresh FRoD adapter for a Hugging Face safetensors model and write it in the PEFT layout '
        + `(DIR/${ADAPTER_CONFIG_FILE} + DIR/${ADAPTER_MODEL_FILE}). Every 2-D "<module>.weight" whose module path `
        + 'the config targets is adapted as an nn.Linear weight (out, in), or as a GPT-2 Conv1D weight (in, out) '
        + 'when the config sets fan_in_fan_out. DIR must not exist, be empty, or hold only a previous adapter '
        + '(which is replaced); nothing is written when anything fails.')
      .requiredOption('--base <file>', 'the base model weights (.safetensors)')
      .requiredOption('--config <file>', 'the adapter configuration (adapter_config.json, PEFT\'s FrodConfig fields)')
      .requiredOption('--out <dir>', 'the adapter directory to write')
      .option('--adapter-name <name>', 'the adapter\'s name, used in messages (PEFT never stores it in the files)', 'default')
      .addHelpText('after', '\nExample:\n  frod init --base model.safetensors --config adapter_config.json --out my-adapter\n')
      .action((options: InitOptions) => init(options, context));
  },
};

export default initCommand;
