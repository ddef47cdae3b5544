/**
 * src/peft/modulesToSave.ts on its own: the ModulesToSaveWrapper that `modules_to_save` puts around a module
 * (PEFT's utils/other.py ModulesToSaveWrapper). The original stays as it is and never trains; each adapter has
 * its own copy; forward runs the active adapter's copy, or the original when there is none or adapters are
 * disabled. (The tuner-level behaviour, with several adapters, is in modulesToSave.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { Linear } from '../../src/nn/layers/linear';
import { ModulesToSaveWrapper } from '../../src/peft/modulesToSave';
import { type Tensor, tensor } from '../../src/tensor';

const X = tensor([[1, 2]]);
const trains = (module: { parameters(): Tensor[] }) => module.parameters().every((p) => p.requiresGrad);
const frozen = (module: { parameters(): Tensor[] }) => module.parameters().every((p) => !p.requiresGrad);
const out = (wrapper: ModulesToSaveWrapper) => (wrapper.forward as (x: Tensor) => Tensor).call(wrapper, X).toArray();

/** A wrapper around a 2→1 Linear with a copy per name, the i-th with weights i + 1 and bias 0 (the original keeps its own). */
function wrapped(...names: string[]): { wrapper: ModulesToSaveWrapper; original: Linear } {
  const original = new Linear(2, 1);
  const wrapper = new ModulesToSaveWrapper(original, names[0]);
  names.forEach((name, i) => {
    wrapper.update(name);
    const copy = wrapper.copies.get(name) as Linear;
    noGrad(() => { copy.weight.fill_(i + 1); (copy.bias as Tensor).zero_(); });
  });
  return { wrapper, original };
}
const originalOut = (original: Linear) => (original.forward as (x: Tensor) => Tensor).call(original, X).toArray();

test('a new wrapper runs and trains the adapter\'s copy; the original is frozen and unchanged', () => {
  const original = new Linear(2, 1);
  const before = original.weight.toArray();
  const wrapper = new ModulesToSaveWrapper(original, 'default');
  assert.is(wrapper.activeAdapter, 'default');
  assert.is(wrapper.currentModule(), wrapper.copies.get('default'));
  assert.ok(trains(wrapper.copies.get('default')));
  assert.ok(frozen(original));
  assert.equal(wrapper.copies.get('default').stateDict().weight.toArray(), before, 'the copy starts from the original');
  assert.is.not(wrapper.copies.get('default'), original);
  assert.equal(Object.keys(wrapper.stateDict()).sort(), ['modules_to_save.default.bias', 'modules_to_save.default.weight', 'original_module.bias', 'original_module.weight']);
});

test('forward runs the active adapter\'s copy, not the original', () => {
  const { wrapper, original } = wrapped('default');
  assert.equal(out(wrapper), [[1 * 1 + 2 * 1]]);
  assert.not.equal(originalOut(original), [[3]]);
});

test('update of an adapter that has a copy keeps that copy (its training is not lost)', () => {
  const { wrapper } = wrapped('default');
  const copy = wrapper.copies.get('default');
  wrapper.update('default');
  assert.is(wrapper.copies.get('default'), copy);
  assert.equal((copy as Linear).weight.toArray(), [[1, 1]]);
});

test('update adds a copy for a new adapter without activating it: the active copy still runs and trains alone (as PEFT\'s update)', () => {
  const { wrapper } = wrapped('default');
  wrapper.update('other');
  assert.equal(wrapper.copies.keys(), ['default', 'other']);
  assert.is(wrapper.activeAdapter, 'default');
  assert.ok(trains(wrapper.copies.get('default')));
  assert.ok(frozen(wrapper.copies.get('other')), 'a copy trains only while its adapter is active');
});

test('setAdapter switches the copy that runs and the one that trains', () => {
  const { wrapper, original } = wrapped('default', 'other');
  wrapper.setAdapter('other');
  assert.is(wrapper.activeAdapter, 'other');
  assert.is(wrapper.currentModule(), wrapper.copies.get('other'));
  assert.ok(trains(wrapper.copies.get('other')));
  assert.ok(frozen(wrapper.copies.get('default')));
  assert.ok(frozen(original));
});

test('setAdapter of an adapter without a copy, or of null, runs the original and trains nothing', () => {
  for (const name of ['missing', null]) {
    const { wrapper, original } = wrapped('default');
    wrapper.setAdapter(name);
    assert.is(wrapper.activeAdapter, null);
    assert.is(wrapper.currentModule(), original);
    assert.equal(out(wrapper), originalOut(original));
    assert.ok(frozen(wrapper), `${name}: every parameter frozen`);
  }
});

test('setAdapter freezes the original again if something unfroze it', () => {
  const { wrapper, original } = wrapped('default');
  original.requiresGrad_(true);
  wrapper.setAdapter('default');
  assert.ok(frozen(original));
});

test('setDisabled(true) runs the original; setDisabled(false) runs the active copy again', () => {
  const { wrapper, original } = wrapped('default');
  wrapper.setDisabled(true);
  assert.is(wrapper.currentModule(), original);
  assert.equal(out(wrapper), originalOut(original));
  wrapper.setDisabled(false);
  assert.is(wrapper.currentModule(), wrapper.copies.get('default'));
});

test('deleting the active adapter drops its copy and runs the original', () => {
  const { wrapper, original } = wrapped('default', 'other');
  wrapper.deleteAdapter('default');
  assert.equal(wrapper.copies.keys(), ['other']);
  assert.is(wrapper.activeAdapter, null);
  assert.is(wrapper.currentModule(), original);
});

test('deleting another adapter keeps the active copy running', () => {
  const { wrapper } = wrapped('default', 'other');
  wrapper.deleteAdapter('other');
  assert.equal(wrapper.copies.keys(), ['default']);
  assert.is(wrapper.activeAdapter, 'default');
  assert.is(wrapper.currentModule(), wrapper.copies.get('default'));
});

test.run();
