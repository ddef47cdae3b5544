/**
 * `frod pretrain [--out STEM] [--seed N] [--steps N] [--batch-size N] [--lr X] [--device …]`: trains the
 * demo's base model, a small ViT with Hugging Face's module names, from scratch on MNIST digits 0–4 and
 * writes STEM.safetensors and STEM.json (the shipped model is `models/vit-mnist-0to4`, made with the defaults).
 */
import { Command } from 'commander';
import { PRETRAIN_DEFAULTS, pretrain } from '../../demo/pretrain';
import { createProgress } from '../../util/progress';
import { withProgressBars } from '../progress';
import type { CliCommand, CliContext } from '../program';
import { chooseDevice, parseInteger, parsePositive, SHIPPED_MODEL } from './demoShared';

interface PretrainCliOptions {
  out: string;
  seed: string;
  steps: string;
  batchSize: string;
  lr: string;
  device: string;
}

async function run(options: PretrainCliOptions, context: CliContext): Promise<void> {
  const { io } = context;
  const seed = parseInteger('--seed', options.seed, 0);
  const steps = parseInteger('--steps', options.steps, 1);
  const batchSize = parseInteger('--batch-size', options.batchSize, 1);
  const learningRate = parsePositive('--lr', options.lr);
  const device = await chooseDevice(options.device, (line) => io.stderr(`frod pretrain: warning: ${line}\n`));
  const progress = context.progressEnabled();
  const command = `frod pretrain --seed ${seed} --steps ${steps} --batch-size ${batchSize} --lr ${learningRate}`;
  io.stdout(`pretraining on digits 0-4: ${steps} steps of ${batchSize} images, learning rate ${learningRate}, seed ${seed}\n`);
  const result = withProgressBars(progress ? io.progressStream : null, () => {
    const bar = createProgress({ enabled: progress }).start('pretrain', steps);
    try {
      return pretrain({ out: options.out, seed, steps, batchSize, learningRate, device, command,
        onStep: (step, loss) => bar.update(step, `loss ${loss.toFixed(4)}`) });
    } finally {
      bar.stop();
    }
  });
  const { record, files } = result;
  io.stdout(`test accuracy on held-out digits 0-4: ${(100 * record.testAccuracy).toFixed(2)}% (${record.testSamples} images), `
    + `${result.parameters.toLocaleString('en-US')} parameters, ${record.seconds} s\n`);
  if (files) io.stdout(`wrote ${files.weights} and ${files.config}\n`);
}

const pretrainCommand: CliCommand = {
  create(context) {
    return new Command('pretrain')
      .summary('train the demo\'s base ViT on MNIST digits 0-4 (reproducible from a seed)')
      .description('Train the small Vision Transformer the demo fine-tunes (Hugging Face ViT module names; 2 layers, '
        + 'hidden size 64, 7x7 patches) from scratch on MNIST digits 0-4 with AdamW and a warm-up + cosine schedule, '
        + 'then write <out>.safetensors (Hugging Face layout) and <out>.json (its config.json plus the settings used). '
        + 'The shipped models/vit-mnist-0to4 was made with the defaults.')
      .option('--out <stem>', 'output path without extension', SHIPPED_MODEL)
      .option('--seed <n>', 'seed of the weights, the data split and the batch order', String(PRETRAIN_DEFAULTS.seed))
      .option('--steps <n>', 'training steps', String(PRETRAIN_DEFAULTS.steps))
      .option('--batch-size <n>', 'images per step', String(PRETRAIN_DEFAULTS.batchSize))
      .option('--lr <x>', 'peak learning rate', String(PRETRAIN_DEFAULTS.learningRate))
      .option('--device <device>', 'cpu, gpu (gpu.js) or auto', 'cpu')
      .addHelpText('after', '\nExample (what made the shipped model):\n  frod pretrain --out models/vit-mnist-0to4\n')
      .action((options: PretrainCliOptions) => run(options, context));
  },
};

export default pretrainCommand;
