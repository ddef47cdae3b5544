/**
 * nn.Sequential built as torch.nn.Sequential is: modules as arguments, one array (or iterable), or named
 * modules (an OrderedDict in PyTorch, an object here); its forward is typed Tensor → Tensor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsMatching } from './util';
import { randn } from '../../src/tensor/create';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { GELU, Linear, Module, ReLU, Sequential } from '../../src/nn';
import { FrodConfig, getPeftModel } from '../../src/index';

const layers = () => [new Linear(4, 8, { generator: new Generator(1) }), new ReLU(), new Linear(8, 2, { generator: new Generator(2) })] as const;

test('new Sequential(a, b, c) and new Sequential([a, b, c]) build the same model, children named 0, 1, 2', () => {
  const spread = new Sequential(...layers());
  const listed = new Sequential(layers());
  assert.equal(spread.namedChildren().map(([name]) => name), ['0', '1', '2']);
  assert.is(spread.toString(), listed.toString());
  const x = randn(3, 4, { generator: new Generator(3) });
  assert.equal(Array.from(spread.forward(x).data()), Array.from(listed.forward(x).data()));
});

test('new Sequential({ fc1, act, fc2 }) names the children as given (PyTorch\'s OrderedDict form)', () => {
  const [fc1, act, fc2] = layers();
  const named = new Sequential({ fc1, act, fc2 });
  assert.equal(Object.keys(named.stateDict()), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  const x = randn(3, 4, { generator: new Generator(3) });
  assert.equal(Array.from(named.forward(x).data()), Array.from(fc2.forward(act.forward(fc1.forward(x))).data()));
});

test('a single module, a generator of modules and no module at all are accepted', () => {
  assert.equal(new Sequential(new GELU()).namedChildren().map(([n]) => n), ['0']);
  function* gen(): Iterable<Module> { yield new ReLU(); yield new GELU(); }
  assert.equal(new Sequential(gen()).children().map((m) => m.constructor.name), ['ReLU', 'GELU']);
  assert.is(new Sequential().children().length, 0);
});

test('a non-module is a TypeError naming its position and the accepted forms', () => {
  const make = Sequential as unknown as new (...args: unknown[]) => Sequential;
  throwsMatching(() => new make(new ReLU(), 3), /Sequential: number at '1' is not a Module \(expected new Sequential\(a, b, …\)/);
  throwsMatching(() => new make([new ReLU(), 'x']), /Sequential: string at '1' is not a Module/);
});

test('PeftModel over a Sequential returns a Tensor from forward (typed, no cast)', () => {
  const peft = getPeftModel(new Sequential(...layers()), new FrodConfig({ targetModules: ['0'] }));
  const y: Tensor = peft.forward(randn(3, 4));
  assert.equal(y.shape, [3, 2]);
});

test.run();
