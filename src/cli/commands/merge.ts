/**
 * `frod merge --base model.safetensors --adapter DIR --out merged.safetensors [--safe]`: the base file with
 * every adapted weight replaced by W' = U (S + diag λ) Vᵀ (spec §1) — same dtype and orientation as in the
 * base file — and the adapter's other tensors (modules_to_save copies, trained biases) put in place; every
 * other tensor is copied byte for byte and the metadata is kept. The output is a deterministic function of
 * the inputs.
 */
import { Command } from 'commander';
import { mergeWeightsWithAdapter } from '../../frod/functional';
import type { RawEntry } from '../../nn/io/format';
import { firstNonFinite } from '../../nn/io/finite';
import { type AdapterLayout, readAdapterLayout } from '../adapterLayout';
import { checkOutputFile, readAdapterDir, writeOutputFile } from '../files';
import { formatBytes } from '../format';
import { CliError, about } from '../io';
import type { CliCommand, CliContext } from '../program';
import { lazyStateDict, readBaseWeights, replaceTensors } from '../tensors';
import { escapeControl } from '../../util/escape';

interface MergeOptions {
  base: string;
  adapter: string;
  out: string;
  safe?: boolean;
  adapterName: string;
}

/**
 * `--safe` on what is written: every replaced tensor (merged weights, modules_to_save copies, trained biases)
 * must be finite in the base file's dtype, after rounding (a large F16 or near-maximum F32 weight can merge to
 * a finite float64 that rounds to infinity).
 */
function safeCheck(options: MergeOptions, layout: AdapterLayout): (name: string, stored: RawEntry) => void {
  const adapted = new Set(layout.modules.map((m) => `${m.path}.weight`));
  return (name, stored) => {
    if (firstNonFinite(stored) < 0) return;
    const what = adapted.has(name) ? `module '${name.slice(0, -'.weight'.length)}' merges to` : `the adapter's tensor for '${name}' (a modules_to_save copy or trained bias) holds`;
    throw new CliError(options.adapter, `--safe: ${what} NaN or infinite values when stored as ${stored.dtype} (the dtype of ${options.base}); nothing was written`);
  };
}

async function merge(options: MergeOptions, context: CliContext): Promise<void> {
  const adapter = readAdapterDir(options.adapter);
  const layout = readAdapterLayout(adapter.model, adapter.modelFile);
  checkOutputFile(options.out, [options.base, adapter.modelFile, adapter.configFile]);
  const { base, stateDict, weights } = readBaseWeights(options.base, adapter.config);
  for (const { path } of layout.modules) {
    if (weights.has(path)) continue;
    const problem = Object.hasOwn(stateDict, `${path}.weight`)
      ? `adapts module '${path}', which the target_modules of ${adapter.configFile} do not select in ${options.base}`
      : `adapts module '${path}', but ${options.base} has no tensor '${path}.weight'`;
    throw new CliError(adapter.modelFile, problem);
  }
  const adapterTensors = lazyStateDict(adapter.model, adapter.modelFile);
  const warn = (message: string) => context.io.stderr(`frod merge: warning: ${message}\n`);
  const merged = about(options.adapter, () => mergeWeightsWithAdapter(weights, adapterTensors, adapter.config, {
    safe: options.safe === true, adapterName: options.adapterName, warn,
  }));
  const bytes = replaceTensors(base, merged, options.base, options.safe === true ? safeCheck(options, layout) : undefined);
  await writeOutputFile(options.out, bytes);
  const others = merged.size - layout.modules.length;
  context.io.stdout(escapeControl(`frod merge: wrote ${options.out} (${formatBytes(bytes.length)}): ${layout.modules.length} adapted weights `
    + `in ${layout.categories.length} categories merged${others > 0 ? `, ${others} other tensors from the adapter` : ''}, `
    + `${base.entries.size - merged.size} tensors copied unchanged`) + '\n');
}

const mergeCommand: CliCommand = {
  create(context) {
    return new Command('merge')
      .summary('merge an adapter into the base weights (a new safetensors file)')
      .description('Write a copy of the base safetensors file in which every weight the adapter adapts is replaced by '
        + 'the merged weight W\' = U (S + diag(lambda)) V^T, in the dtype and orientation of the base file, and the '
        + 'adapter\'s modules_to_save copies and trained biases are put in place. Every other tensor is copied byte '
        + 'for byte and the metadata is kept; the output is deterministic. An existing output file is replaced '
        + 'atomically; nothing is written when anything fails.')
      .requiredOption('--base <file>', 'the base model weights (.safetensors) the adapter was made for')
      .requiredOption('--adapter <dir>', 'the adapter directory (adapter_config.json + adapter_model.safetensors)')
      .requiredOption('--out <file>', 'the merged .safetensors file to write')
      .option('--safe', 'refuse to write weights that are NaN or infinite (names the module)')
      .option('--adapter-name <name>', 'the adapter\'s name, used in messages', 'default')
      .addHelpText('after', '\nExample:\n  frod merge --base model.safetensors --adapter my-adapter --out merged.safetensors --safe\n')
      .action((options: MergeOptions) => merge(options, context));
  },
};

export default mergeCommand;
