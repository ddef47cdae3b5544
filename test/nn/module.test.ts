import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { assertTensorClose, check, throwsMatching } from './util';
import { randn, zeros } from '../../src/tensor/create';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { Conv1D, Dropout, LayerNorm, Linear, Module, ModuleDict, ModuleList, ReLU, Sequential, parameter } from '../../src/nn';

/** A random tree of modules: Sequential/ModuleList/ModuleDict nodes with Linear/LayerNorm/ReLU leaves. */
type Shape = { kind: 'linear' | 'norm' | 'relu' } | { kind: 'seq' | 'list' | 'dict'; children: Shape[] };
const shapeArb: fc.Arbitrary<Shape> = fc.letrec<{ node: Shape }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constantFrom<'linear' | 'norm' | 'relu'>('linear', 'norm', 'relu') }),
    fc.record({ kind: fc.constantFrom<'seq' | 'list' | 'dict'>('seq', 'list', 'dict'), children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
  ),
})).node;

function build(shape: Shape, seed: number): Module {
  const g = new Generator(seed);
  switch (shape.kind) {
    case 'linear': return new Linear(3, 3, { generator: g });
    case 'norm': return new LayerNorm(3);
    case 'relu': return new ReLU();
    case 'seq': return new Sequential(shape.children.map((c, i) => build(c, seed * 7 + i)));
    case 'list': return new ModuleList(shape.children.map((c, i) => build(c, seed * 7 + i)));
    case 'dict': return new ModuleDict(shape.children.map((c, i) => [`m${i}`, build(c, seed * 7 + i)] as [string, Module]));
  }
}

/** Expected dotted paths of a shape, depth first. */
function paths(shape: Shape, prefix = ''): string[] {
  if (!('children' in shape)) return [prefix];
  const name = (i: number) => (shape.kind === 'dict' ? `m${i}` : String(i));
  return [prefix, ...shape.children.flatMap((c, i) => paths(c, prefix ? `${prefix}.${name(i)}` : name(i)))];
}

class Block extends Module {
  declare attn: Linear;
  declare norm: LayerNorm;
  declare scale: Tensor;
  declare running: Tensor;
  declare scratch: Tensor;
  constructor() {
    super();
    this.registerModule('attn', new Linear(2, 2, { generator: new Generator(1) }));
    this.registerModule('norm', new LayerNorm(2));
    this.registerParameter('scale', parameter(randn([2], { generator: new Generator(2) })));
    this.registerBuffer('running', zeros([2]));
    this.registerBuffer('scratch', zeros([1]), false);
  }
  override forward(x: Tensor): Tensor {
    return this.norm.forward(this.attn.forward(x)).mul(this.scale).add(this.running);
  }
}

test('namedModules / namedParameters: dotted paths in registration order, containers named 0, 1, … (property)', () => {
  check(fc.property(shapeArb, fc.nat(100), (shape, seed) => {
    const root = build(shape, seed);
    assert.equal(root.namedModules().map(([p]) => p), paths(shape));
    for (const [path, m] of root.namedModules()) assert.is(root.getSubmodule(path), m);
    const params = root.namedParameters();
    for (const [name, p] of params) {
      const cut = name.lastIndexOf('.');
      const owner = root.getSubmodule(cut < 0 ? '' : name.slice(0, cut));
      assert.ok(owner.ownParameters().some(([n, q]) => n === name.slice(cut + 1) && q === p));
    }
    assert.equal(Object.keys(root.stateDict()), params.map(([n]) => n));
  }), 30);
});

test('setSubmodule: swapping a module at any path changes exactly that entry (property)', () => {
  check(fc.property(shapeArb, fc.nat(100), fc.nat(), (shape, seed, pick) => {
    const root = build(shape, seed);
    const all = root.namedModules().map(([p]) => p).filter((p) => p !== '');
    if (all.length === 0) return;
    const path = all[pick % all.length];
    const before = root.namedModules().filter(([p]) => p !== path && !p.startsWith(`${path}.`));
    const replacement = new Conv1D(3, 3);
    root.setSubmodule(path, replacement);
    assert.is(root.getSubmodule(path), replacement);
    const after = new Map(root.namedModules());
    for (const [p, m] of before) assert.is(after.get(p), m, `module at '${p}' kept`);
    assert.ok(root.stateDict()[`${path}.weight`] !== undefined);
    assert.equal([...root.getParameter(`${path}.weight`).shape], [3, 3]);
  }), 30);
  const block = new Block();
  throwsMatching(() => block.getSubmodule('attn.nope'), /getSubmodule: Linear at 'attn' has no attribute 'nope'/);
  throwsMatching(() => block.setSubmodule('missing.child', new ReLU()), /getSubmodule: Block has no attribute 'missing'/);
  throwsMatching(() => block.setSubmodule('', new ReLU()), /setSubmodule: cannot replace the root module/);
  // Surgery through the property: the registry and the attribute stay one thing.
  const twin = new Linear(2, 2);
  block.setSubmodule('attn', twin);
  assert.is(block.attn, twin);
});

test('stateDict → loadStateDict round trip: same values, same outputs, tensors keep their identity (property)', () => {
  check(fc.property(fc.nat(1000), fc.nat(1000), (s1, s2) => {
    const make = (seed: number) => new Sequential([new Linear(3, 4, { generator: new Generator(seed) }), new ReLU(), new LayerNorm(4), new Linear(4, 2, { generator: new Generator(seed + 1) })]);
    const a = make(s1);
    const b = make(s2 + 5000);
    const weightsOfB = b.parameters();
    const result = b.loadStateDict(a.stateDict());
    assert.equal(result, { missingKeys: [], unexpectedKeys: [] });
    b.parameters().forEach((p, i) => assert.is(p, weightsOfB[i]));
    for (const [k, v] of Object.entries(a.stateDict())) assertTensorClose(b.stateDict()[k], v, 0, 0, k);
    const x = randn([2, 3], { generator: new Generator(s1) });
    assertTensorClose(b.forward(x), a.forward(x), 0, 0);
    // The loaded values are copies: training a afterwards does not move b.
    a.parameters()[0].copy_(a.parameters()[0].add(1));
    assert.not.equal([...b.parameters()[0].data()], [...a.parameters()[0].data()]);
  }), 15);
});

test('buffers: persistent ones are in the state dict, non-persistent ones are not; both move with to()', () => {
  const block = new Block();
  assert.equal(Object.keys(block.stateDict()), ['scale', 'running', 'attn.weight', 'attn.bias', 'norm.weight', 'norm.bias']);
  assert.equal(block.namedBuffers().map(([n]) => n), ['running', 'scratch']);
  const params = block.parameters();
  block.to('float64');
  assert.ok(block.parameters().every((p, i) => p === params[i] && p.dtype === 'float64'));
  assert.ok(block.buffers().every((b) => b.dtype === 'float64'));
  assert.ok(block.parameters().every((p) => p.requiresGrad));
});

test('loadStateDict strict: names every missing and unexpected key; size mismatches; non-strict returns them', () => {
  const block = new Block();
  const sd = block.stateDict();
  delete sd['attn.bias'];
  delete sd.running;
  sd['attn.extra'] = zeros([1]);
  throwsMatching(() => block.loadStateDict(sd),
    /^Error\(s\) in loading state_dict for Block: Missing key\(s\) in state_dict: "running", "attn\.bias"\. Unexpected key\(s\) in state_dict: "attn\.extra"\.$/);
  const loose = block.loadStateDict(sd, { strict: false });
  assert.equal(loose, { missingKeys: ['running', 'attn.bias'], unexpectedKeys: ['attn.extra'] });
  throwsMatching(() => block.loadStateDict({ ...block.stateDict(), scale: zeros([3]) }),
    /loadStateDict: size mismatch for scale: copying a param with shape \(3\), the shape in current model is \(2\)/);
});

test('train/eval, requiresGrad_, zeroGrad, apply order, shared parameters listed once', () => {
  const seq = new Sequential([new Linear(2, 2), new Dropout(0.5), new Sequential([new Dropout(0.1)])]);
  seq.eval();
  assert.ok(seq.modules().every((m) => !m.training));
  seq.train();
  assert.ok(seq.modules().every((m) => m.training));
  seq.requiresGrad_(false);
  assert.ok(seq.parameters().every((p) => !p.requiresGrad));
  const order: string[] = [];
  seq.apply((m) => order.push(m.constructor.name));
  assert.equal(order, ['Linear', 'Dropout', 'Dropout', 'Sequential', 'Sequential']);
  const a = new Linear(2, 2);
  const b = new Linear(2, 2);
  b.registerParameter('weight', a.weight);
  const tied = new Sequential([a, b]);
  assert.equal(tied.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '1.bias']);
  assert.equal(Object.keys(tied.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias']);
  tied.forward(randn([1, 2])).sum().backward();
  assert.ok(a.weight.grad !== null);
  tied.zeroGrad();
  assert.ok(tied.parameters().every((p) => p.grad === null));
});

test('toString prints the tree like PyTorch; ModuleDict keys that shadow methods stay reachable', () => {
  const model = new Sequential([new Linear(4, 2, { bias: false }), new ReLU(), new ModuleDict({ head: new Linear(2, 1) })]);
  assert.is(model.toString(), [
    'Sequential(',
    '  (0): Linear(in_features=4, out_features=2, bias=False)',
    '  (1): ReLU()',
    '  (2): ModuleDict(',
    '    (head): Linear(in_features=2, out_features=1, bias=True)',
    '  )',
    ')',
  ].join('\n'));
  const dict = new ModuleDict({ keys: new ReLU(), train: new Linear(1, 1) });
  assert.equal(dict.keys(), ['keys', 'train']);
  assert.ok(dict.get('train') instanceof Linear);
  dict.train(false);
  assert.not.ok(dict.get('train').training);
  assert.equal(dict.namedParameters().map(([n]) => n), ['train.weight', 'train.bias']);
});

test.run();
