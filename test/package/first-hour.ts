/**
 * A user's first program beside the examples, type-checked and run by pack.test.ts inside a fresh project
 * that installed the packed frod-ts: the habits of a PyTorch + PEFT user, with no casts.
 */
import { FrodConfig, getPeftModel, Module, nn, ones, optim, parameter, randn, tensor, type Tensor } from 'frod-ts';

/** A model written as in PyTorch: assigned children and a parameter register themselves. */
class Net extends Module {
  fc1 = new nn.Linear(8, 32);
  fc2: nn.Linear;
  scale = parameter(ones(3));

  constructor() {
    super();
    this.fc2 = new nn.Linear(32, 3);
  }

  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu()).mul(this.scale);
  }
}

const x = randn(4, 8);
const w = randn([2], { requiresGrad: true });
const y = w.add(1).mul(2).sum();
y.backward();
console.log(`dy/dw = ${w.grad?.toArray()}`);

const seq = new nn.Sequential(new nn.Linear(8, 4), new nn.ReLU(), new nn.Linear(4, 2));
const adaptedSeq = getPeftModel(seq, new FrodConfig({ targetModules: ['0'] }));
const out: Tensor = adaptedSeq.forward(x);

const peft = getPeftModel(new Net(), new FrodConfig({ targetModules: ['fc1'] }));
const opt = new optim.AdamW(peft.parameters().filter((p) => p.requiresGrad), 1e-2);
opt.zeroGrad();
nn.functional.crossEntropy(peft.forward(x), tensor([0, 2, 1, 0], { dtype: 'int32' })).backward();
opt.step();

console.log(String(peft).split('\n').slice(0, 4).join('\n'));
console.log(`sequential output ${out.shape.join('x')}`);
