/**
 * A category's state (src/frod/basis.ts): the tensors it hands the layers, per dtype and device, and the
 * fresh and checkpoint builders, checked against values computed here from the inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CategoryState } from '../../src/frod/basis';
import { samplePattern } from '../../src/frod/pattern';
import { randomMat } from './helpers';

/** A state of one 5-wide category with a float64 V and a pattern of 6 entries. */
function smallState(): CategoryState {
  const v = randomMat(5, 5, 3);
  return new CategoryState('mlp_up_proj', ['model.layers.0.mlp.up_proj'], v, 'float64', samplePattern(5, 0.25, 0, 'mlp_up_proj'), 'qr-eig', null);
}

test('tensors() gives V in each dtype asked for, not the one asked for first', () => {
  const state = smallState();
  const wide = state.tensors('float64');
  const narrow = state.tensors('float32');
  assert.is(wide.v.dtype, 'float64');
  assert.is(narrow.v.dtype, 'float32');
  assert.equal(Array.from(narrow.v.data()), Array.from(state.v.data, Math.fround));
});

test.run();
