/**
 * Mistakes a PyTorch user makes in a first hour, each answered by an error that says what to write instead
 * (one test per message): a nested array where a Tensor belongs, float labels, a CUDA device, and optimizer
 * options that PyTorch spells differently or passes positionally.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsMatching } from './util/check';
import { FrodConfig, cat, exp, getPeftModel, nn, optim, randn, sum, tensor, type Tensor } from '../src/index';

const ARRAY = [[1, 2, 3, 4]] as unknown as Tensor;

test('forward([[…]]) on a Linear: "got Array: wrap it with tensor(…)"', () => {
  throwsMatching(() => new nn.Linear(4, 2).forward(ARRAY), /^Linear: expected a Tensor as input, got Array: wrap it with tensor\(…\)$/);
});

test('forward([[…]]) through Sequential, an activation, LayerNorm and an adapted model names the module reached', () => {
  throwsMatching(() => new nn.Sequential(new nn.ReLU(), new nn.Linear(4, 2)).forward(ARRAY), /^ReLU: expected a Tensor as input, got Array: wrap it with tensor/);
  throwsMatching(() => new nn.LayerNorm(4).forward(ARRAY), /^LayerNorm: expected a Tensor as input, got Array/);
  const peft = getPeftModel(new nn.Sequential(new nn.Linear(4, 2)), new FrodConfig({ targetModules: ['0'] }));
  throwsMatching(() => peft.forward(ARRAY), /^FrodLinear '0': expected a Tensor as input, got Array: wrap it with tensor/);
});

test('a model\'s forward with plain ids or pixels says which tensor it expects', () => {
  const bert = new nn.BertModel({ vocabSize: 10, hiddenSize: 4, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 4 });
  throwsMatching(() => bert.forward([[1, 2]] as unknown as Tensor), /^BERT: expected a Tensor as input ids \(batch, seq\) int32, got Array: wrap it with tensor/);
  throwsMatching(() => new nn.Linear(2, 2).forward(new Float32Array(2) as unknown as Tensor), /got Float32Array: wrap it with tensor/);
  throwsMatching(() => new nn.Linear(2, 2).forward(undefined as unknown as Tensor), /^Linear: expected a Tensor as input, got undefined$/);
});

test('ops with an array operand name the op and the operand', () => {
  throwsMatching(() => randn(4).add([1, 2, 3, 4] as unknown as Tensor), /^add: expected a Tensor as the other operand \(a Tensor or a number\), got Array: wrap it with tensor/);
  throwsMatching(() => randn(2, 4).matmul(ARRAY), /^matmul: expected a Tensor as the other operand, got Array/);
  throwsMatching(() => nn.functional.softmax(ARRAY), /^softmax: expected a Tensor as input, got Array/);
  throwsMatching(() => exp(ARRAY), /^exp: expected a Tensor as input, got Array: wrap it with tensor/);
  throwsMatching(() => sum(ARRAY), /^sum: expected a Tensor as input, got Array/);
  throwsMatching(() => cat([randn(1, 4), ARRAY]), /^cat: expected a Tensor as tensors\[1\], got Array/);
});

test('crossEntropy with tensor([0, 1, 2, 0]) as labels says that class indices must be int32', () => {
  throwsMatching(() => nn.functional.crossEntropy(randn(4, 3), tensor([0, 1, 2, 0])),
    /crossEntropy: target of shape \(4\) is float32: class indices must be int32: tensor\(\[…\], \{ dtype: 'int32' \}\) or target\.int\(\)/);
  const fixed = nn.functional.crossEntropy(randn(4, 3), tensor([0, 1, 2, 0]).int());
  assert.ok(Number.isFinite(fixed.item()));
});

test('crossEntropy / nllLoss with a target of neither form list both forms; a plain array target is named', () => {
  throwsMatching(() => nn.functional.crossEntropy(randn(4, 3), randn(2, 3)),
    /crossEntropy: target of shape \(2,3\) is float32: int32 class indices of shape \(4\) or float32 class probabilities of the input's shape \(4,3\) expected/);
  throwsMatching(() => nn.functional.nllLoss(randn(4, 3), tensor([0, 1, 2, 0])), /nllLoss: target must hold int32 class indices, got float32/);
  throwsMatching(() => nn.functional.crossEntropy(randn(1, 3), [0] as unknown as Tensor), /^crossEntropy: expected a Tensor as target, got Array: wrap it with tensor/);
});

test("model.to('cuda') says there is no CUDA device and what to write", () => {
  throwsMatching(() => new nn.Linear(2, 2).to('cuda' as never), /^Linear\.to: there is no device 'cuda' in frod-ts: its devices are 'cpu' and 'gpu' .*write \.to\('gpu'\)$/);
  throwsMatching(() => randn(2).to('cuda:0' as never), /^to: there is no device 'cuda:0'/);
  throwsMatching(() => randn(2).to('half' as never), /^to: unknown dtype 'half' \(expected .*\), or a device \('cpu' or 'gpu'\)$/);
});

test('new optim.AdamW(params, 0.5) uses 0.5 as the learning rate, as PyTorch\'s positional lr', () => {
  const params = new nn.Linear(2, 3).parameters();
  assert.is(new optim.AdamW(params, 0.5).paramGroups[0].lr, 0.5);
  assert.is(new optim.SGD(params, 0.1).paramGroups[0].lr, 0.1);
  assert.is(new optim.Adam(params, 0.2).defaults.lr, 0.2);
});

test('an unknown optimizer option is refused, naming the camelCase spelling of a snake_case one', () => {
  const params = new nn.Linear(2, 3).parameters();
  throwsMatching(() => new optim.SGD(params, { weight_decay: 0.1 } as never),
    /^SGD: unknown option "weight_decay" \(did you mean "weightDecay"\?\); the options are lr, momentum, dampening, weightDecay, nesterov, maximize$/);
  throwsMatching(() => new optim.AdamW(params, { learningRate: 0.1 } as never), /^AdamW: unknown option "learningRate"; the options are lr, betas/);
  throwsMatching(() => new optim.SGD([{ params, weight_decay: 0.1 }] as never), /^SGD: parameter group option "weight_decay" is not an option \(did you mean "weightDecay"\?\)/);
  throwsMatching(() => new optim.Adam(params, 'fast' as never), /^Adam: expected the options as an object \(\{ lr: 0\.01, … \}\) or the learning rate as a number, got string/);
});

test('an optimizer given a module instead of its parameters says to pass model.parameters()', () => {
  throwsMatching(() => new optim.AdamW(new nn.Linear(2, 2) as never), /^AdamW: params should be an iterable of Tensors .*model\.parameters\(\).*got Linear/);
});

test.run();
