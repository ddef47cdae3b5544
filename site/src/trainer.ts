/**
 * The Train panel's recipe, written against frod-ts's public API as any user would: the same recipe as
 * `frod demo` (src/demo: the seeded 5-way head, the seeded batch order, AdamW with linear warm-up and cosine
 * decay, gradients clipped at 1, the demo's learning rates), so a run here starts from Node's first loss —
 * test/browser checks that it does. Only the training loop yields to the browser between steps.
 */
import {
  FrodConfig, Generator, LoraConfig, PeftModel, fromTypedArray, getPeftModel, nn, noGrad, optim,
  type Device, type Module, type Tensor,
} from 'frod-ts';
import { baseTensors, type BaseModelFiles, type DigitSet } from './assets';

export type MethodId = 'frod' | 'lora' | 'linear-probe';

/** A model made ready for one method. */
export interface Prepared {
  module: Module;
  logits: (pixels: Tensor) => Tensor;
  trainable: Tensor[];
  /** FRoD's S values, which may train at their own rate. */
  sValues: Tensor[];
  trainableParams: number;
  totalParams: number;
}

export interface MethodSpec {
  id: MethodId;
  name: string;
  /** The demo's rate (docs/demo.md: chosen on the validation split). */
  learningRate: number;
  prepare(model: nn.ViTForImageClassification): Prepared;
}

const HEAD = ['classifier'];

function fromModule(module: Module, forward: (pixels: Tensor) => Tensor): Prepared {
  const named = module.namedParameters();
  const trainable = named.filter(([, p]) => p.requiresGrad).map(([, p]) => p);
  const sValues = named.filter(([name, p]) => p.requiresGrad && name.split('.').includes('frod_lambda_s_values')).map(([, p]) => p);
  const count = (ps: readonly Tensor[]) => ps.reduce((n, p) => n + p.numel(), 0);
  // A PeftModel counts as PEFT does (print_trainable_parameters), as `frod demo` reports.
  const [trainableParams, totalParams] = module instanceof PeftModel ? module.getNbTrainableParameters() : [count(trainable), count(named.map(([, p]) => p))];
  return { module, logits: forward, trainable, sValues, trainableParams, totalParams };
}

/** FRoD and LoRA on query/value with the head trainable (modules_to_save), and the linear probe. */
export const METHODS: readonly MethodSpec[] = [
  {
    id: 'frod', name: 'FRoD (query, value)', learningRate: 0.1,
    prepare: (model) => {
      const peft = getPeftModel(model, new FrodConfig({ targetModules: ['query', 'value'], modulesToSave: HEAD, sparseRate: 0.01, progressbar: false }));
      return fromModule(peft, (pixels) => peft.forward(pixels as never) as Tensor);
    },
  },
  {
    id: 'lora', name: 'LoRA (query, value, r = 1)', learningRate: 0.03,
    prepare: (model) => {
      const peft = getPeftModel(model, new LoraConfig({ r: 1, loraAlpha: 2, targetModules: ['query', 'value'], modulesToSave: HEAD }));
      return fromModule(peft, (pixels) => peft.forward(pixels as never) as Tensor);
    },
  },
  {
    id: 'linear-probe', name: 'linear probe (head only)', learningRate: 1,
    prepare: (model) => {
      model.requiresGrad_(false);
      model.classifier.requiresGrad_(true);
      return fromModule(model, (pixels) => model.forward(pixels));
    },
  },
];

/** The base ViT with a fresh 5-way head initialised as Hugging Face does, from a generator seeded by `seed`. */
export function freshModel(files: BaseModelFiles, seed: number): nn.ViTForImageClassification {
  const model = new nn.ViTForImageClassification(nn.vitConfigFromHf(files.config));
  model.loadHf(baseTensors(files));
  const generator = new Generator(`classifier-${seed}`);
  const head = new nn.Linear(model.config.hiddenSize, 5, { generator });
  noGrad(() => {
    nn.init.truncNormal_(head.weight, 0, model.config.initializerRange, -2, 2, generator);
    if (head.bias) nn.init.zeros_(head.bias);
  });
  model.registerModule('classifier', head);
  return model;
}

/** Batches without replacement, a fresh seeded order every epoch (the demo's sampler). */
export class BatchSampler {
  private readonly generator: Generator;
  private order: Int32Array = new Int32Array(0);
  private position = 0;

  constructor(private readonly count: number, private readonly batchSize: number, seed: number) {
    this.generator = new Generator(`batches-${seed}`);
  }

  next(): Int32Array {
    if (this.position + this.batchSize > this.order.length) {
      this.order = this.generator.permutation(this.count);
      this.position = 0;
    }
    this.position += this.batchSize;
    return this.order.slice(this.position - this.batchSize, this.position);
  }
}

/** Pixels (x − 0.5) / 0.5 as `(B, 1, 28, 28)` and labels `(B,)` on `device`. */
export function makeBatch(set: DigitSet, indices: ArrayLike<number>, device: Device): { pixels: Tensor; labels: Tensor } {
  const n = indices.length;
  const pixels = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const from = indices[i] * 784;
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = (set.images[from + p] - 0.5) / 0.5;
    labels[i] = set.labels[indices[i]];
  }
  return { pixels: fromTypedArray(pixels, [n, 1, 28, 28], { device }), labels: fromTypedArray(labels, [n], { device }) };
}

export interface RunOptions {
  steps: number;
  batchSize: number;
  seed: number;
  device: Device;
  /** FRoD's S values train at this multiple of the method's rate (the paper's recipes: 0.1). */
  sLearningRateScale: number;
}

export interface StepReport {
  step: number;
  loss: number;
  /** Wall time of this step (forward, backward, clipping, optimizer), ms. */
  ms: number;
}

/** Trains `prepared` step by step; yields after each step so the page can draw. */
export async function* trainSteps(prepared: Prepared, train: DigitSet, learningRate: number, options: RunOptions): AsyncGenerator<StepReport> {
  const isS = new Set(prepared.sValues);
  const rest = prepared.trainable.filter((p) => !isS.has(p));
  const groups = [{ params: rest, lr: learningRate }];
  if (prepared.sValues.length > 0) groups.push({ params: prepared.sValues, lr: learningRate * options.sLearningRateScale });
  const optimizer = new optim.AdamW(groups, { lr: learningRate, weightDecay: 0.01 });
  const scheduler = optim.getCosineScheduleWithWarmup(optimizer, Math.round(0.1 * options.steps), options.steps);
  const sampler = new BatchSampler(train.count, options.batchSize, options.seed);
  prepared.module.train();
  for (let step = 1; step <= options.steps; step++) {
    const started = performance.now();
    const batch = makeBatch(train, sampler.next(), options.device);
    optimizer.zeroGrad();
    const loss = nn.functional.crossEntropy(prepared.logits(batch.pixels), batch.labels);
    const value = loss.item();
    if (!Number.isFinite(value)) throw new Error(`the loss became ${value} at step ${step}; lower the learning rate`);
    loss.backward();
    optim.clipGradNorm(prepared.trainable, 1);
    optimizer.step();
    scheduler.step();
    yield { step, loss: value, ms: performance.now() - started };
  }
  prepared.module.eval();
}

/** Accuracy on `set`, in batches of 250, without gradients and in eval mode. */
export function accuracy(prepared: Prepared, set: DigitSet, device: Device): number {
  prepared.module.eval();
  return noGrad(() => {
    let correct = 0;
    for (let start = 0; start < set.count; start += 250) {
      const indices = Int32Array.from({ length: Math.min(250, set.count - start) }, (_, i) => start + i);
      const predicted = prepared.logits(makeBatch(set, indices, device).pixels).argmax(-1).cpu().data();
      indices.forEach((k, i) => { if (predicted[i] === set.labels[k]) correct++; });
    }
    return correct / set.count;
  });
}
