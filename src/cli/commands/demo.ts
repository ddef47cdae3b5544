/**
 * `frod demo [--quick] [--out DIR] [--seed N] [--steps N] [--device cpu|gpu|auto]`: fine-tunes the shipped
 * ViT (pretrained on digits 0–4) on digits 5–9 five ways — FRoD (query/value and all linear layers), LoRA,
 * full fine-tuning and a linear probe — and reports parameters, accuracy, loss curves and time; writes
 * results.json, loss-curves.svg, results.md and the trained FRoD adapter (PEFT layout) to DIR. See docs/demo.md.
 */
import { Command } from 'commander';
import { DEMO_PRESETS, runDemo } from '../../demo/run';
import { learningRateSweep } from '../../demo/sweep';
import { writeFileAtomic } from '../../util/node';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withProgressBars } from '../progress';
import type { CliCommand, CliContext } from '../program';
import { chooseDevice, parseInteger, parsePositive, shippedModel } from './demoShared';

interface DemoCliOptions {
  out: string;
  seed: string;
  steps?: string;
  batchSize?: string;
  device: string;
  quick?: boolean;
  model?: string;
  sweepLr?: boolean;
  sLrScale?: string;
}

async function demo(options: DemoCliOptions, context: CliContext): Promise<void> {
  const { io } = context;
  const seed = parseInteger('--seed', options.seed, 0);
  const steps = options.steps === undefined ? undefined : parseInteger('--steps', options.steps, 1);
  const batchSize = options.batchSize === undefined ? undefined : parseInteger('--batch-size', options.batchSize, 1);
  const device = await chooseDevice(options.device, (line) => io.stderr(`frod demo: warning: ${line}\n`));
  const model = options.model === undefined ? shippedModel() : { stem: options.model, name: options.model };
  const progress = context.progressEnabled();
  if (options.sweepLr) {
    const settings = { ...DEMO_PRESETS[options.quick ? 'quick' : 'default'] };
    if (steps !== undefined) settings.steps = steps;
    if (batchSize !== undefined) settings.batchSize = batchSize;
    const sweep = withProgressBars(progress ? io.progressStream : null, () => learningRateSweep({
      modelPath: model.stem, seed, settings, progress, log: (line) => io.stdout(`${line}\n`),
    }));
    mkdirSync(options.out, { recursive: true });
    writeFileAtomic(join(options.out, 'lr-sweep.json'), `${JSON.stringify({ seed, settings, ...sweep }, null, 2)}\n`, 'frod demo');
    io.stdout(`chosen: ${JSON.stringify(sweep.chosen)}\nwrote ${join(options.out, 'lr-sweep.json')}\n`);
    return;
  }
  withProgressBars(progress ? io.progressStream : null, () => runDemo({
    modelPath: model.stem, modelName: model.name, out: options.out, seed, quick: options.quick === true, steps, batchSize, device,
    progress, log: (line) => io.stdout(`${line}\n`), sLearningRateScale: options.sLrScale === undefined ? 1 : parsePositive('--s-lr-scale', options.sLrScale),
  }));
}

const demoCommand: CliCommand = {
  create(context) {
    return new Command('demo')
      .summary('fine-tune a small ViT on handwritten digits with FRoD, LoRA, full fine-tuning and a linear probe')
      .description('Fine-tune the shipped ViT (pretrained on MNIST digits 0-4 by `frod pretrain`) on digits 5-9 with a new '
        + 'classification head, five ways under the same steps, batches and schedule: FRoD on query/value, FRoD on every '
        + 'linear layer, LoRA on query/value, full fine-tuning, and a linear probe. Prints the trainable parameters of '
        + 'each method and a table (accuracy, final loss, steps to 90% of the best accuracy, seconds), and writes '
        + 'results.json, loss-curves.svg, results.md and the trained FRoD adapter (PEFT layout, reloaded and re-checked) to --out.')
      .option('--out <dir>', 'output directory', './frod-demo-out')
      .option('--seed <n>', 'seed of the data split, the new head and the batch order', '0')
      .option('--steps <n>', 'training steps per method (default 150, or 60 with --quick)')
      .option('--batch-size <n>', 'images per step (default 32, or 16 with --quick)')
      .option('--device <device>', 'cpu, gpu (gpu.js) or auto (gpu only when gpu.js finds a real GPU)', 'cpu')
      .option('--quick', 'a small run for CI: fewer steps, smaller batches and test set (under a minute on 2 cores)')
      .option('--sweep-lr', 'instead of the demo: train every method at several learning rates and pick each one\'s best by validation accuracy (how the defaults were chosen)')
      .option('--s-lr-scale <x>', 'train FRoD\'s S values at x times the learning rate of λ (the paper\'s recipes: 0.1; default 1)')
      .option('--model <path>', 'another base model: path without extension of <path>.safetensors and <path>.json')
      .addHelpText('after', '\nExamples:\n  frod demo\n  frod demo --quick --out /tmp/demo --no-progress\n')
      .action((options: DemoCliOptions) => demo(options, context));
  },
};

export default demoCommand;
