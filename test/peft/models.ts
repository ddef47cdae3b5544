/**
 * The small models PEFT's own tests use, rebuilt with our nn under the same module names, and the helpers the
 * replayed tests share (not a test file itself). Each model takes a seed, as PEFT's tests call
 * `torch.manual_seed(0)` before building one: the same seed gives the same weights.
 *
 * - {@link MLP}: test_custom_models.py's MLP (lin0 10→20, relu, drop p=0.5, lin1 20→2, log-softmax).
 * - {@link FrodMLP}: test_frod.py's MLP (lin0 10→20, lin1 and lin2 20→20, lin3 20→2), also test_custom_models.py's
 *   MLP_2x_same_shape.
 * - {@link DeepMLP}: test_custom_models.py's DeepMLP (layers.N.{lin0, lin1} blocks, out).
 * - {@link InitMLP}: test_initialization.py's TestFrodInitialization model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { FrodConfig, type FrodConfigOptions } from '../../src/frod/config';
import { ModuleList } from '../../src/nn/layers/containers';
import { BertForSequenceClassification } from '../../src/nn/models/bert';
import { GPT2LMHeadModel } from '../../src/nn/models/gpt2';
import { ViTForImageClassification } from '../../src/nn/models/vit';
import { Dropout } from '../../src/nn/layers/dropout';
import { Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { Generator, type Tensor, tensor } from '../../src/tensor';

/** Calls the forward of the submodule at `path` of `model` on `x`. */
function call(model: Module, path: string, x: Tensor): Tensor {
  const module = model.getSubmodule(path);
  return (module.forward as (t: Tensor) => Tensor).call(module, x);
}

/** test_custom_models.py's MLP: X → lin0 → relu → drop → lin1 → log-softmax. */
export class MLP extends Module {
  constructor(options: { bias?: boolean; seed?: number } = {}) {
    super();
    const generator = new Generator(`peft-test-mlp/${options.seed ?? 0}`);
    const bias = options.bias ?? true;
    this.registerModule('lin0', new Linear(10, 20, { bias, generator }));
    this.registerModule('drop', new Dropout(0.5, { generator }));
    this.registerModule('lin1', new Linear(20, 2, { bias, generator }));
  }

  override forward(x: Tensor): Tensor {
    const h = call(this, 'drop', call(this, 'lin0', x.to('float32')).relu());
    return call(this, 'lin1', h).logSoftmax(-1);
  }
}

/** test_frod.py's MLP: lin0 10→20, lin1 and lin2 20→20 (the same shape), lin3 20→2, relu between, log-softmax. */
export class FrodMLP extends Module {
  constructor(options: { bias?: boolean; seed?: number } = {}) {
    super();
    const generator = new Generator(`peft-test-frod-mlp/${options.seed ?? 0}`);
    const bias = options.bias ?? true;
    this.registerModule('lin0', new Linear(10, 20, { bias, generator }));
    this.registerModule('lin1', new Linear(20, 20, { bias, generator }));
    this.registerModule('lin2', new Linear(20, 20, { bias, generator }));
    this.registerModule('lin3', new Linear(20, 2, { bias, generator }));
  }

  override forward(x: Tensor): Tensor {
    let h = call(this, 'lin0', x).relu();
    h = call(this, 'lin1', h).relu();
    h = call(this, 'lin2', h).relu();
    return call(this, 'lin3', h).logSoftmax(-1);
  }
}

/** test_initialization.py's TestFrodInitialization model: lin0 10→20, lin1 20→20, lin2 20→2, no activations. */
export class InitMLP extends Module {
  constructor(seed = 0) {
    super();
    const generator = new Generator(`peft-test-init-mlp/${seed}`);
    this.registerModule('lin0', new Linear(10, 20, { generator }));
    this.registerModule('lin1', new Linear(20, 20, { generator }));
    this.registerModule('lin2', new Linear(20, 2, { generator }));
  }

  override forward(x: Tensor): Tensor {
    return call(this, 'lin2', call(this, 'lin1', call(this, 'lin0', x)));
  }
}

/** test_custom_models.py's Block: lin0 → relu → drop → lin1, all size × size. */
class Block extends Module {
  constructor(size: number, generator: Generator) {
    super();
    this.registerModule('lin0', new Linear(size, size, { generator }));
    this.registerModule('drop', new Dropout(0.5, { generator }));
    this.registerModule('lin1', new Linear(size, size, { generator }));
  }

  override forward(x: Tensor): Tensor {
    return call(this, 'lin1', call(this, 'drop', call(this, 'lin0', x).relu()));
  }
}

/**
 * test_custom_models.py's DeepMLP: `layers.N` blocks and an `out` head. PEFT builds 12 blocks of size 256 (a
 * size every method accepts); the tests only look at layers 0–2, so 3 blocks of size 8 keep FRoD's
 * decompositions quick without changing what is tested.
 */
export class DeepMLP extends Module {
  constructor(options: { size?: number; numHiddenLayers?: number; seed?: number } = {}) {
    super();
    const size = options.size ?? 8;
    const generator = new Generator(`peft-test-deep-mlp/${options.seed ?? 0}`);
    const blocks = Array.from({ length: options.numHiddenLayers ?? 3 }, () => new Block(size, generator));
    this.registerModule('layers', new ModuleList(blocks));
    this.registerModule('out', new Linear(size, 2, { generator }));
  }

  override forward(x: Tensor): Tensor {
    let h = x.to('float32');
    for (const block of this.getSubmodule('layers').children()) h = (block as Block).forward(h);
    return call(this, 'out', h).logSoftmax(-1);
  }
}

/**
 * Stand-ins for PEFT's hub test models ("tiny-random-GPT2LMHeadModel", "tiny-random-BertModel", …): our
 * models with Hugging Face's module names and model_type, shrunk so FRoD's decompositions take milliseconds.
 * Dropout is off, as the tests compare outputs across calls.
 */
export const tinyGpt2 = (seed = 0) => new GPT2LMHeadModel({
  vocabSize: 16, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2, residPdrop: 0, embdPdrop: 0, attnPdrop: 0, seed,
});
export const tinyBert = (seed = 0) => new BertForSequenceClassification({
  vocabSize: 16, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 8,
  hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, numLabels: 3, seed,
});
export const tinyVit = (seed = 0) => new ViTForImageClassification({
  imageSize: 8, patchSize: 4, numChannels: 1, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16,
  numLabels: 3, seed,
});

/** PEFT's decoder / encoder test inputs: input_ids [[1, 1, 1], [1, 2, 1]] with attention mask [[1, 1, 1], [1, 0, 1]]. */
export function textInputs(): { inputIds: Tensor; attentionMask: Tensor } {
  return {
    inputIds: tensor([1, 1, 1, 1, 2, 1], { shape: [2, 3], dtype: 'int32' }),
    attentionMask: tensor([1, 1, 1, 1, 0, 1], { shape: [2, 3], dtype: 'int32' }),
  };
}

/** PEFT's `prepare_inputs_for_testing` of the custom models: X = arange(90).view(9, 10). */
export function customInputs(): Tensor {
  return tensor(Array.from({ length: 90 }, (_, i) => i), { shape: [9, 10], dtype: 'float32' });
}

/** A FrodConfig without the progress bar (tests run without a terminal anyway). */
export function frodConfig(options: FrodConfigOptions = {}): FrodConfig {
  return new FrodConfig({ progressbar: false, ...options });
}

/** Runs `fn` with a fresh temporary directory, removed afterwards (also when `fn` throws). */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'frod-peft-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `model` on `x`, recording gradients (for training steps). */
export function forward(model: Module, x: Tensor): Tensor {
  return (model.forward as (t: Tensor) => Tensor).call(model, x);
}

/** Runs `model` on `x` without recording gradients. */
export function run(model: Module, x: Tensor): Tensor {
  return noGrad(() => forward(model, x));
}

/** torch.allclose: |a − b| ≤ atol + rtol·|b| everywhere (same length). */
export function allclose(a: Tensor | ArrayLike<number>, b: Tensor | ArrayLike<number>, atol = 1e-8, rtol = 1e-5): boolean {
  const x = 'data' in a && typeof a.data === 'function' ? (a as Tensor).data() : (a as ArrayLike<number>);
  const y = 'data' in b && typeof b.data === 'function' ? (b as Tensor).data() : (b as ArrayLike<number>);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(Number(x[i]) - Number(y[i])) <= atol + rtol * Math.abs(Number(y[i])))) return false;
  }
  return true;
}

/** Asserts allclose(a, b) with the tolerances, naming what is compared. */
export function assertAllclose(a: Tensor | ArrayLike<number>, b: Tensor | ArrayLike<number>, what: string, atol = 1e-8, rtol = 1e-5): void {
  assert.ok(allclose(a, b, atol, rtol), `${what}: not allclose (atol ${atol}, rtol ${rtol})`);
}

/** Asserts that a and b differ beyond the tolerances (PEFT's `assert not torch.allclose(...)`). */
export function assertNotAllclose(a: Tensor | ArrayLike<number>, b: Tensor | ArrayLike<number>, what: string, atol = 1e-8, rtol = 1e-5): void {
  assert.not.ok(allclose(a, b, atol, rtol), `${what}: expected a difference beyond atol ${atol}, rtol ${rtol}`);
}

/** A copy of every tensor of the state dict (values frozen at this moment). */
export function snapshot(model: Module): Map<string, Float64Array> {
  return new Map(Object.entries(model.stateDict()).map(([k, v]) => [k, Float64Array.from(v.data(), Number)]));
}

/** The FRoD rows of test_custom_models.py's TEST_CASES (all on the MLP). */
export const CUSTOM_FROD_ROWS: readonly (readonly [string, FrodConfigOptions])[] = [
  ['Vanilla MLP 1 FRoD', { targetModules: 'lin0' }],
  ['Vanilla MLP 2 FRoD', { targetModules: ['lin0'] }],
  ['Vanilla MLP 3 FRoD', { targetModules: ['lin1'] }],
  ['Vanilla MLP 4 FRoD', { targetModules: ['lin0', 'lin1'] }],
  ['Vanilla MLP 5 FRoD', { targetModules: ['lin0'], modulesToSave: ['lin1'] }],
];

/** testing_utils.py's set_init_weights_false: the row's options with `init_weights: false`. */
export function initWeightsFalse(options: FrodConfigOptions): FrodConfigOptions {
  return { ...options, initWeights: false };
}

/** The values of a tensor as float64, e.g. for comparing with values taken earlier. */
export function values(t: Tensor): Float64Array {
  return Float64Array.from(t.data(), Number);
}
