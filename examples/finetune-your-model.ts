/**
 * Fine-tune your own model with FRoD: define a Module, train it on one task, then adapt it to a related
 * task by training only FRoD's λ and sparse S (plus a new head), save the adapter in Hugging Face PEFT's
 * layout, and load it back.
 *
 *   npx tsx examples/finetune-your-model.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrodConfig, Generator, getPeftModel, Module, nn, noGrad, optim, PeftModel, randn, type Tensor,
} from 'frod-ts';

/**
 * Your model: any Module tree whose layers to adapt are nn.Linear (or GPT-2 Conv1D). Written as in PyTorch:
 * assigning a Module to a property registers it as a child (here `encoder` and `head`).
 */
class Classifier extends Module {
  encoder: nn.Sequential;
  head: nn.Linear;

  constructor(generator: Generator) {
    super();
    this.encoder = new nn.Sequential(
      new nn.Linear(8, 32, { generator }), new nn.GELU(), new nn.Linear(32, 32, { generator }), new nn.GELU(),
    );
    this.head = new nn.Linear(32, 3, { generator });
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x));
  }
}

/** A toy task: 8-d points, labelled by which of 3 random directions they point most along. */
function task(seed: number, count: number): { x: Tensor; y: Tensor } {
  const generator = new Generator(seed);
  const directions = randn([3, 8], { generator: new Generator(seed * 1000) });
  const x = randn([count, 8], { generator });
  return { x, y: x.matmul(directions.t()).argmax(-1) };
}

/** Full-batch training with AdamW; returns the final loss. */
function train(model: Module, forward: (x: Tensor) => Tensor, data: { x: Tensor; y: Tensor }, lr: number, steps: number): number {
  const trainable = model.parameters().filter((p) => p.requiresGrad);
  const optimizer = new optim.AdamW(trainable, { lr });
  let loss = 0;
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const l = nn.functional.crossEntropy(forward(data.x), data.y);
    l.backward();
    optimizer.step();
    loss = l.item();
  }
  return loss;
}

const accuracy = (forward: (x: Tensor) => Tensor, data: { x: Tensor; y: Tensor }) => noGrad(() =>
  forward(data.x).argmax(-1).eq(data.y).float().mean().item());

// 1. "Pretrain" the whole model on task A.
const model = new Classifier(new Generator(0));
const taskA = task(1, 512);
train(model, (x) => model.forward(x), taskA, 1e-2, 150);
console.log(`task A accuracy after pretraining: ${(100 * accuracy((x) => model.forward(x), taskA)).toFixed(1)}%`);

// 2. A related task B: the pretrained model does poorly on it as is.
const taskB = task(2, 512);
const testB = task(2, 2048);
console.log(`task B accuracy before fine-tuning: ${(100 * accuracy((x) => model.forward(x), testB)).toFixed(1)}%`);

// Keep a copy of the pretrained weights, to show loading the adapter into a fresh model later.
const pretrained = Object.fromEntries(Object.entries(model.stateDict()).map(([name, t]) => [name, t.clone()]));

// 3. FRoD on both encoder Linears (paths "encoder.0" and "encoder.2"), with the head trained in full.
const config = new FrodConfig({ targetModules: ['encoder.0', 'encoder.2'], modulesToSave: ['head'], sparseRate: 0.05 });
const peft = getPeftModel(model, config);
peft.printTrainableParameters();
const forward = (x: Tensor) => peft.forward(x);
const loss = train(peft, forward, taskB, 2e-2, 150);
console.log(`task B accuracy after FRoD: ${(100 * accuracy(forward, testB)).toFixed(1)}% (final loss ${loss.toFixed(4)})`);

// 4. Save the adapter (adapter_config.json + adapter_model.safetensors, as PEFT writes them) and load it
//    into a fresh copy of the pretrained model.
const dir = mkdtempSync(join(tmpdir(), 'my-frod-adapter-'));
peft.savePretrained(dir);
const fresh = new Classifier(new Generator(123));
fresh.loadStateDict(pretrained);
const reloaded = PeftModel.fromPretrained(fresh, dir);
const same = noGrad(() => forward(testB.x).sub(reloaded.forward(testB.x)).abs().max().item());
console.log(`saved to ${dir}; the reloaded model's outputs differ by at most ${same.toExponential(1)}`);

// 5. Or fold the adapter into plain weights: an ordinary Classifier again.
const merged = peft.mergeAndUnload();
console.log(`merged model accuracy on task B: ${(100 * accuracy((x) => merged.forward(x), testB)).toFixed(1)}%`);
