/**
 * src/peft/dicts.ts: the keyed registries a tuner layer keeps one entry per adapter name in (PEFT's
 * nn.ParameterDict, BufferDict, nn.ModuleDict). Their entries are the module's own parameters, buffers and
 * children, so an adapter's tensors get PEFT's names (`<module>.<dict>.<adapter>`) and leave the state dict
 * when the adapter is deleted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Linear } from '../../src/nn/layers/linear';
import { BufferDict, ModuleMap, ParameterDict } from '../../src/peft/dicts';
import { tensor } from '../../src/tensor';

const t = (...values: number[]) => tensor(values);

test('get of a missing key names the registry, the key and the entries there are', () => {
  const dict = new ParameterDict().set('default', t(1)).set('other', t(2));
  assert.throws(() => dict.get('third'), (err: Error) => err.message === "ParameterDict: no entry 'third' (entries: default, other)");
});

test('get on an empty registry says it has no entries', () => {
  assert.throws(() => new ModuleMap().get('default'), (err: Error) => err.message === "ModuleMap: no entry 'default' (entries: none)");
});

test('get returns the entry under its own key, in each kind of registry', () => {
  const [p1, p2, b1, b2] = [t(1), t(2), t(3), t(4)];
  const [m1, m2] = [new Linear(1, 1), new Linear(1, 1)];
  const parameters = new ParameterDict().set('default', p1).set('other', p2);
  const buffers = new BufferDict().set('default', b1).set('other', b2);
  const modules = new ModuleMap().set('default', m1).set('other', m2);
  assert.ok(parameters.get('other') === p2 && parameters.get('default') === p1);
  assert.ok(buffers.get('other') === b2 && buffers.get('default') === b1);
  assert.ok(modules.get('other') === m2 && modules.get('default') === m1);
});

test('set under a key already there replaces the entry and keeps one key', () => {
  const second = t(2);
  const dict = new ParameterDict().set('default', t(1)).set('default', second);
  assert.is(dict.get('default'), second);
  assert.equal(dict.keys(), ['default']);
  assert.is(dict.size, 1);
  assert.equal(dict.namedParameters().map(([name]) => name), ['default']);
});

test('delete removes the entry from the keys, the module\'s parameters and its state dict, and says it did', () => {
  const dict = new ParameterDict().set('default', t(1)).set('other', t(2));
  assert.is(dict.delete('default'), true, 'the first key');
  assert.equal(dict.keys(), ['other']);
  assert.is(dict.size, 1);
  assert.not.ok(dict.has('default'));
  assert.equal(Object.keys(dict.stateDict()), ['other']);
  assert.equal(dict.parameters().length, 1);
  assert.throws(() => dict.get('default'), /no entry 'default' \(entries: other\)/);
});

test('delete of a key not there returns false and changes nothing', () => {
  const dict = new BufferDict().set('default', t(1));
  assert.is(dict.delete('other'), false);
  assert.equal(dict.keys(), ['default']);
  assert.equal(Object.keys(dict.stateDict()), ['default']);
});

test('keys keep insertion order; a key deleted and set again goes last', () => {
  const dict = new ParameterDict().set('a', t(1)).set('b', t(2)).set('c', t(3));
  dict.delete('a');
  dict.set('a', t(4));
  assert.equal(dict.keys(), ['b', 'c', 'a']);
});

test('keys() is a copy: changing it adds no entry', () => {
  const dict = new ParameterDict().set('default', t(1));
  dict.keys().push('intruder');
  assert.equal(dict.keys(), ['default']);
  assert.not.ok(dict.has('intruder'));
});

test('a ParameterDict entry is a parameter of the module that holds the dict, named <dict>.<key>', () => {
  const p = t(1, 2);
  const dict = new ParameterDict().set('default', p);
  const layer = new Linear(2, 2);
  layer.registerModule('frod_lambda_l', dict);
  assert.ok(layer.namedParameters().some(([name, value]) => name === 'frod_lambda_l.default' && value === p));
  assert.ok('frod_lambda_l.default' in layer.stateDict());
});

test('a BufferDict keeps its entries in the state dict by default, and out of it with persistent false', () => {
  const kept = new BufferDict().set('default', t(1));
  const transient = new BufferDict(false).set('default', t(1));
  assert.equal(Object.keys(kept.stateDict()), ['default']);
  assert.equal(Object.keys(transient.stateDict()), []);
  assert.equal(transient.namedBuffers().map(([name]) => name), ['default'], 'still a buffer of the module');
  assert.equal(transient.get('default').toArray(), [1]);
});

test('a ModuleMap entry is a child module: its parameters are the map\'s, under the key', () => {
  const child = new Linear(2, 3);
  const map = new ModuleMap<Linear>().set('default', child);
  assert.is(map.get('default'), child);
  assert.equal(map.namedChildren().map(([name]) => name), ['default']);
  assert.ok(Object.keys(map.stateDict()).includes('default.weight'));
  map.delete('default');
  assert.equal(map.namedChildren(), []);
});

test.run();
