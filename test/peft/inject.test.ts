/**
 * src/peft/inject.ts: what every method checks when it injects an adapter (PEFT's `_create_and_replace` and
 * `_create_new_module`): the targets are Linear or Conv1D (an already adapted layer stands for its base layer),
 * fan_in_fan_out follows the layer type with PEFT's warnings, and an adapter file covers exactly the targets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import { LayerNorm } from '../../src/nn/layers/normalization';
import { Module } from '../../src/nn/module';
import { type AdapterKeys, checkCheckpointCoversTargets, forcedFanInFanOut, resolveTargets } from '../../src/peft/inject';
import { catchWarnings } from '../../src/peft/warnings';
import { MLP, frodConfig } from './models';

/** lin: Linear, conv: Conv1D (GPT-2's layer), norm: LayerNorm. */
class Mixed extends Module {
  constructor() {
    super();
    this.registerModule('lin', new Linear(4, 4));
    this.registerModule('conv', new Conv1D(4, 4));
    this.registerModule('norm', new LayerNorm(4));
  }
}

const CONV1D_WARNING = 'fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.';
const LINEAR_WARNING = 'fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.';

test('resolveTargets: each path\'s module and base layer, and whether it is a Conv1D', () => {
  const model = new Mixed();
  const resolved = resolveTargets(model, ['lin', 'conv'], 'FRoD', FrodLinear);
  assert.equal([...resolved.keys()], ['lin', 'conv']);
  assert.is(resolved.get('lin')!.module, model.getSubmodule('lin'));
  assert.is(resolved.get('lin')!.base, model.getSubmodule('lin'));
  assert.is(resolved.get('lin')!.conv1d, false);
  assert.is(resolved.get('conv')!.conv1d, true);
});

test('resolveTargets: a path that holds the method\'s adapted layer resolves to the layer it wraps', () => {
  const peft = getPeftModel(new MLP(), frodConfig({ targetModules: ['lin0'] }));
  const layer = peft.model.getSubmodule('lin0');
  assert.ok(layer instanceof FrodLinear);
  const { module, base, conv1d } = resolveTargets(peft.model, ['lin0'], 'FRoD', FrodLinear).get('lin0')!;
  assert.is(module, layer);
  assert.is(base, layer.baseLayer);
  assert.ok(base instanceof Linear);
  assert.is(conv1d, false);
});

test('resolveTargets: a target that is neither Linear nor Conv1D is refused, naming the method, the path and its type', () => {
  assert.throws(() => resolveTargets(new Mixed(), ['lin', 'norm'], 'LoRA', FrodLinear), (err: Error) =>
    err.message === "LoRA: target module 'norm' is a LayerNorm; only Linear and Conv1D layers can be adapted (check target_modules)");
});

test('forcedFanInFanOut: a Conv1D target with fan_in_fan_out false turns it on, with PEFT\'s warning', () => {
  const { result, warnings } = catchWarnings(() => forcedFanInFanOut(new FrodConfig({ fanInFanOut: false }), [false, true]));
  assert.is(result.fanInFanOut, true);
  assert.equal(warnings, [CONV1D_WARNING]);
});

test('forcedFanInFanOut: only Linear targets with fan_in_fan_out true turn it off, with PEFT\'s warning', () => {
  const { result, warnings } = catchWarnings(() => forcedFanInFanOut(new FrodConfig({ fanInFanOut: true }), [false, false]));
  assert.is(result.fanInFanOut, false);
  assert.equal(warnings, [LINEAR_WARNING]);
});

test('forcedFanInFanOut: a config that agrees with its layers (or targets of both kinds with it on) is returned as it is, silently', () => {
  const cases: [boolean, boolean[]][] = [[false, [false, false]], [true, [true]], [true, [true, false]], [false, []], [true, []]];
  for (const [fanInFanOut, kinds] of cases) {
    const config = new FrodConfig({ fanInFanOut });
    const { result, warnings } = catchWarnings(() => forcedFanInFanOut(config, kinds));
    assert.is(result, config, JSON.stringify([fanInFanOut, kinds]));
    assert.equal(warnings, [], JSON.stringify([fanInFanOut, kinds]));
  }
});

/** A method whose per-module keys are `<path>.a` and `<path>.b`; any other key is not per-module. */
const KEYS: AdapterKeys = {
  pathOf: (key) => (/\.(a|b)$/.test(key) ? key.slice(0, -2) : null),
  keysOf: (path) => [`${path}.a`, `${path}.b`],
};

test('checkCheckpointCoversTargets: a file with every key of every target (and other keys) passes', () => {
  checkCheckpointCoversTargets({ 'x.a': 1, 'x.b': 2, 'y.a': 3, 'y.b': 4, 'head.weight': 5 }, ['x', 'y'], 'FRoD', KEYS);
});

test('checkCheckpointCoversTargets: a key of a module the config does not target is refused, naming key and module', () => {
  assert.throws(() => checkCheckpointCoversTargets({ 'x.a': 1, 'x.b': 2, 'z.b': 3 }, ['x'], 'FRoD', KEYS), (err: Error) =>
    err.message === "FRoD: the adapter has 'z.b' but its config does not target module 'z' in this model");
});

test('checkCheckpointCoversTargets: a target missing one of its keys is refused, naming module and key', () => {
  assert.throws(() => checkCheckpointCoversTargets({ 'x.a': 1, 'x.b': 2, 'y.a': 3 }, ['x', 'y'], 'LoRA', KEYS), (err: Error) =>
    err.message === "LoRA: the config targets module 'y' but the adapter has no 'y.b'");
});

test('checkCheckpointCoversTargets: a key inherited by the object does not count as present', () => {
  const checkpoint = Object.create({ 'x.b': 2 }) as Record<string, unknown>;
  checkpoint['x.a'] = 1;
  assert.throws(() => checkCheckpointCoversTargets(checkpoint, ['x'], 'FRoD', KEYS), /the adapter has no 'x\.b'/);
});

test.run();
