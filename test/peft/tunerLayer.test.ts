/**
 * src/peft/tunerLayer.ts: which modules are tuner layers, and the adapter-name rule. An adapter name becomes
 * part of parameter paths (`lin0.frod_lambda_l.<name>`) and a sub-directory name when several adapters are saved,
 * so a name that would add a path level, leave the directory or hide in a terminal is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { checkAdapterName, isTunerLayer } from '../../src/peft/tunerLayer';
import { MLP, frodConfig } from './models';

test('isTunerLayer: an adapted layer is one; its base Linear and a module with a truthy non-true flag are not', () => {
  const peft = getPeftModel(new MLP(), frodConfig({ targetModules: ['lin0'] }));
  const layer = peft.model.getSubmodule('lin0') as FrodLinear;
  assert.ok(isTunerLayer(layer));
  assert.not.ok(isTunerLayer(layer.baseLayer));
  assert.not.ok(isTunerLayer(new Linear(2, 2)));
  const impostor = Object.assign(new Module(), { isTunerLayer: 'yes' });
  assert.not.ok(isTunerLayer(impostor));
});

test('checkAdapterName accepts ordinary names, spaces, "~" and non-ASCII letters', () => {
  for (const name of ['default', 'other', 'my-adapter_2', 'with space', 'tilde~', 'ü', 'x\u0080']) checkAdapterName(name);
});

const message = (name: unknown) => `adapter name must be a non-empty string without '.', '/', '\\' or control characters, got ${JSON.stringify(name)}`;

test('checkAdapterName refuses the empty name', () => {
  assert.throws(() => checkAdapterName(''), (err: Error) => err.message === message(''));
});

test('checkAdapterName refuses a name with a dot (it would add a level to parameter paths), also "." and ".."', () => {
  for (const name of ['a.b', '.', '..', 'end.']) assert.throws(() => checkAdapterName(name), (err: Error) => err.message === message(name), name);
});

test('checkAdapterName refuses a name with "/" or "\\" (it would leave the save directory)', () => {
  for (const name of ['a/b', '/', 'a\\b', '\\']) assert.throws(() => checkAdapterName(name), (err: Error) => err.message === message(name), name);
});

test('checkAdapterName refuses control characters: U+0000 to U+001F and DEL (U+007F)', () => {
  for (const name of ['a\u0000', '\u0001', 'tab\there', 'new\nline', 'x\u001f', 'del\u007f']) {
    assert.throws(() => checkAdapterName(name), (err: Error) => err.message === message(name), JSON.stringify(name));
  }
});

test('checkAdapterName refuses a name that is not a string (from JavaScript or a parsed file)', () => {
  for (const name of [undefined, null, 3, ['default']]) {
    assert.throws(() => checkAdapterName(name as unknown as string), (err: Error) => err.message === message(name), String(name));
  }
});

test.run();
