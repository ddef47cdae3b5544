/**
 * Modules written the PyTorch way: assigning a Module, a parameter(…) or null to a property registers it, as
 * torch.nn.Module.__setattr__ does, and the TypeScript field forms (`fc1 = new Linear(…)`, `fc1!: Linear`,
 * `declare fc1: Linear`) either work or fail at construction with a message saying what to write.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, throwsMatching } from './util';
import { ones, randn, tensor, zeros } from '../../src/tensor/create';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { LayerNorm, Linear, Module, ReLU, isParameter, parameter } from '../../src/nn';
import { FrodConfig, cloneModule, getPeftModel } from '../../src/index';

const g = () => new Generator(3);

/** The module of the issue, in the plain PyTorch form: children assigned in the constructor. */
class Assigned extends Module {
  fc1: Linear;
  act = new ReLU();
  fc2: Linear;
  constructor() {
    super();
    this.fc1 = new Linear(8, 32, { generator: g() });
    this.fc2 = new Linear(32, 3, { generator: g() });
  }
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

/** Class fields with initialisers. */
class Fields extends Module {
  fc1 = new Linear(8, 32, { generator: g() });
  fc2 = new Linear(32, 3, { generator: g() });
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** `fc1!: Linear` fields registered explicitly (the form that used to read undefined). */
class DefiniteRegistered extends Module {
  fc1!: Linear;
  fc2!: Linear;
  constructor() {
    super();
    this.registerModule('fc1', new Linear(8, 32, { generator: g() }));
    this.registerModule('fc2', new Linear(32, 3, { generator: g() }));
  }
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** Assigned and registered as well (the form whose forward used to bypass the adapter). */
class AssignedAndRegistered extends Module {
  fc1 = new Linear(8, 32, { generator: g() });
  fc2 = new Linear(32, 3, { generator: g() });
  constructor() {
    super();
    this.registerModule('fc1', this.fc1);
    this.registerModule('fc2', this.fc2);
  }
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

for (const Model of [Assigned, Fields, DefiniteRegistered, AssignedAndRegistered]) {
  test(`${Model.name}: the children are registered, in order, and getPeftModel adapts fc1 so that forward trains it`, () => {
    const model = new Model();
    assert.equal(model.namedChildren().map(([name]) => name), Model === Assigned ? ['act', 'fc1', 'fc2'] : ['fc1', 'fc2']);
    assert.equal(Object.keys(model.stateDict()), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const x = randn([4, 8], { generator: g() });
    const before = model.forward(x).data();
    const peft = getPeftModel(model, new FrodConfig({ targetModules: ['fc1'] }));
    assert.ok(peft.baseModel.tunerLayers().map(([path]) => path).includes('fc1'));
    assert.is(model.fc1.constructor.name, 'FrodLinear', 'the property reads the registry, so it sees the adapter');
    const y = peft.forward(x);
    assertClose(y.data(), before, 1e-5, 1e-5, 'a fresh adapter keeps the outputs');
    y.sum().backward();
    const trained = peft.namedParameters().filter(([, p]) => p.requiresGrad);
    assert.ok(trained.length > 0 && trained.every(([, p]) => p.grad !== null), 'gradients reach the adapter');
  });
}

test('a class field that only declares the type (`fc1!: Linear`) and is assigned later registers the child', () => {
  class Late extends Module {
    fc1!: Linear;
    norm!: LayerNorm | null;
    constructor() {
      super();
      this.fc1 = new Linear(2, 2, { generator: g() });
      this.norm = null;
    }
  }
  const m = new Late();
  assert.equal(m.namedChildren().map(([name]) => name), ['fc1']);
  assert.is(m.norm, null);
  m.norm = new LayerNorm(2);
  assert.equal(m.namedChildren().map(([name]) => name), ['fc1', 'norm']);
});

test('parameter(…) assigned to a property registers a parameter; a plain tensor stays a plain property', () => {
  class Scaled extends Module {
    scale = parameter(ones([3]));
    cache: Tensor = zeros([3]);
  }
  const m = new Scaled();
  assert.equal(m.namedParameters().map(([name]) => name), ['scale']);
  assert.ok(m.scale.requiresGrad);
  assert.ok(isParameter(m.scale) && !isParameter(m.cache));
  m.scale = tensor([1, 2, 3]);
  assert.equal(Array.from(m.getParameter('scale').data()), [1, 2, 3], 'assigning to a registered parameter replaces it');
  assert.equal(Object.keys(m.stateDict()), ['scale']);
});

test('assigning null to a registered child or parameter keeps the name with nothing in it (as PyTorch)', () => {
  const lin = new Linear(2, 3, { generator: g() });
  lin.bias = null;
  assert.is(lin.bias, null);
  assert.equal(Object.keys(lin.stateDict()), ['weight']);
  const m = new Assigned();
  (m as { fc1: Linear | null }).fc1 = null;
  assert.equal(m.namedChildren().map(([name]) => name), ['act', 'fc2']);
  assert.is(m.fc1, null);
});

test('assigning the wrong kind to a registered name is a TypeError naming what was expected', () => {
  const m = new Assigned();
  throwsMatching(() => { (m as unknown as { fc1: unknown }).fc1 = 3; },
    /Assigned: cannot assign number to 'fc1', a registered child module \(a Module or null expected\)/);
  const lin = new Linear(2, 2, { generator: g() });
  throwsMatching(() => { (lin as unknown as { weight: unknown }).weight = [[1, 2], [3, 4]]; },
    /Linear: cannot assign Array to 'weight', a registered parameter \(a Tensor or null expected\)/);
});

test('a Module or a parameter assigned to a name of another registry takes it over (as PyTorch)', () => {
  const m = new Module() as Module & { slot: unknown };
  m.registerBuffer('slot', zeros([2]));
  m.slot = parameter(ones([2]));
  assert.equal(m.namedParameters().map(([name]) => name), ['slot']);
  assert.equal(m.namedBuffers(), []);
  m.slot = new ReLU();
  assert.equal(m.namedParameters(), []);
  assert.equal(m.namedChildren().map(([name]) => name), ['slot']);
});

test('delete unregisters a child, as __delattr__', () => {
  const m = new Assigned();
  delete (m as Partial<Assigned>).fc2;
  assert.equal(m.namedChildren().map(([name]) => name), ['act', 'fc1']);
  assert.is(m.fc2, undefined);
});

test('a module assigned under a second name stays one child (the second name is a plain reference)', () => {
  class Tied extends Module {
    encoder = new Linear(2, 2, { generator: g() });
    alias = this.encoder;
  }
  const m = new Tied();
  assert.equal(m.namedChildren().map(([name]) => name), ['encoder']);
  assert.is(m.alias, m.encoder);
});

test('a property that already holds something else cannot be registered: the message says what to write', () => {
  class Clash extends Module {
    fc1 = 'not a layer';
    constructor() {
      super();
      this.registerModule('fc1', new Linear(2, 2));
    }
  }
  throwsMatching(() => new Clash(),
    /Clash: cannot register child module 'fc1': the property 'fc1' already holds string/, /declare fc1: …/);
});

test('a name cannot be registered in two registries at once (as PyTorch\'s "attribute already exists")', () => {
  const lin = new Linear(2, 2, { generator: g() });
  throwsMatching(() => lin.registerModule('weight', new ReLU()), /Linear: cannot register child module 'weight': it is already a parameter/);
});

test('a copy made by cloneModule (as modules_to_save makes) registers assignments as the original does', () => {
  const copy = cloneModule(new Assigned()) as Assigned & { extra?: Module };
  copy.fc2 = new Linear(32, 5, { generator: g() });
  copy.extra = new ReLU();
  assert.equal(copy.namedChildren().map(([name]) => name), ['act', 'fc1', 'fc2', 'extra']);
  assert.equal(copy.stateDict()['fc2.weight'].shape, [5, 32]);
});

test.run();
