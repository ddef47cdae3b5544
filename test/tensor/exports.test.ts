/** The public surface the issue lists: free functions from the package root and methods on every Tensor. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as root from '../../src';
import { tensor } from '../../src/tensor';

const FUNCTIONS = [
  'tensor', 'zeros', 'ones', 'full', 'arange', 'eye', 'rand', 'randn', 'randint', 'zerosLike', 'onesLike', 'fullLike',
  'randLike', 'randnLike', 'randintLike', 'manualSeed', 'Generator', 'Tensor', 'matmul', 'cat', 'stack', 'split',
  'chunk', 'diag', 'diagEmbed', 'tril', 'triu', 'where', 'maximum', 'minimum', 'clamp', 'softmax', 'logSoftmax',
  'oneHot', 'dropout', 'sparseMm', 'noGrad', 'gradcheck', 'add', 'mul', 'exp', 'sum', 'mean', 'gather', 'indexSelect',
];

const METHODS = [
  'add', 'sub', 'mul', 'div', 'pow', 'neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh',
  'sigmoid', 'relu', 'gelu', 'maximum', 'minimum', 'clamp', 'where', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'sum', 'mean',
  'max', 'min', 'argmax', 'var', 'std', 'norm', 'logsumexp', 'matmul', 'reshape', 'view', 'transpose', 'permute',
  'expand', 'squeeze', 'unsqueeze', 'flatten', 'cat', 'split', 'chunk', 'narrow', 'slice', 'indexSelect', 'gather',
  'scatterAdd', 'maskedFill', 'diag', 'diagEmbed', 'tril', 'triu', 'contiguous', 'softmax', 'logSoftmax', 'toArray',
  'item', 'data', 'clone', 'detach', 'to', 'toString', 'retainGrad', 'backward', 'requiresGrad_', 'numel', 'size',
];

test('every op the issue lists is exported from the package root', () => {
  const exported = root as unknown as Record<string, unknown>;
  for (const name of FUNCTIONS) assert.type(exported[name], 'function', `frod-ts exports ${name}`);
});

test('every tensor op the issue lists is a Tensor method', () => {
  const t = tensor([1]) as unknown as Record<string, unknown>;
  for (const name of METHODS) assert.type(t[name], 'function', `Tensor.${name}`);
  assert.ok(tensor([[1, 2]]).T instanceof root.Tensor);
});

test.run();
