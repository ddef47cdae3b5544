/**
 * A category's state (src/frod/basis.ts): the tensors it hands the layers, per dtype and device, and the
 * fresh and checkpoint builders, checked against values computed here from the inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CategoryState, checkpointCategoryStates, freshCategoryStates } from '../../src/frod/basis';
import { FrodConfig } from '../../src/frod/config';
import { samplePattern } from '../../src/frod/pattern';
import { stackWeights } from '../../src/frod/projection';
import { mat, matmul, transpose } from '../../src/linalg/kernels/mat';
import { type ProgressReporter, setProgressFactory } from '../../src/util/progress';
import { randomMat } from './helpers';

const UP = ['model.layers.0.mlp.up_proj', 'model.layers.1.mlp.up_proj'];
const upConfig = new FrodConfig({ targetModules: ['up_proj'], progressbar: false });

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

test('freshCategoryStates passes overwriteWeights on: a category lying back to back in one buffer gets Q written over it', () => {
  const stack = stackWeights([randomMat(6, 3, 31), randomMat(4, 3, 32)]);
  const weights = new Map([[UP[0], mat(6, 3, stack.data.subarray(0, 18))], [UP[1], mat(4, 3, stack.data.subarray(18))]]);
  freshCategoryStates(UP, weights, upConfig, { dtype: 'float64', progress: false, overwriteWeights: true });
  const q = mat(10, 3, stack.data);
  const qtq = matmul(transpose(q), q);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(qtq.data[i * 3 + j] - (i === j ? 1 : 0)) < 1e-12, `QᵀQ[${i},${j}] = ${qtq.data[i * 3 + j]}`);
  }
});

test('a V read from a checkpoint keeps the dtype it was saved in (float64 stays float64 and is saved again bit for bit)', () => {
  const weights = new Map([[UP[0], randomMat(6, 3, 41)], [UP[1], randomMat(4, 3, 42)]]);
  const [fresh] = freshCategoryStates(UP, weights, upConfig, { dtype: 'float64', progress: false });
  const saved = fresh.checkpointTensors();
  const [state] = checkpointCategoryStates(UP, weights, saved, upConfig, { dtype: 'float64', progress: false });
  assert.is(state.dtype, 'float64');
  const again = state.checkpointTensors()['base_model.frod_V.mlp_up_proj'];
  assert.is(again.dtype, 'float64');
  assert.equal(Array.from(again.data()), Array.from(fresh.v.data));
});

test('regenerating the projections of a checkpoint shows progress unless told not to (the default is on, as for a fresh adapter)', () => {
  const events: string[] = [];
  const recorder: ProgressReporter = { start: (title, total) => { events.push(`start ${title} ${total}`); return { update: () => {}, stop: () => {} }; } };
  const before = process.env.FROD_PROGRESS;
  delete process.env.FROD_PROGRESS;
  setProgressFactory(() => recorder);
  try {
    const weights = new Map([[UP[0], randomMat(6, 3, 51)], [UP[1], randomMat(4, 3, 52)]]);
    const config = new FrodConfig({ targetModules: ['up_proj'], saveProjection: false });
    checkpointCategoryStates(UP, weights, {}, config, { dtype: 'float64' });
    assert.equal(events, ['start FRoD projection 1']);
  } finally {
    setProgressFactory(null);
    if (before !== undefined) process.env.FROD_PROGRESS = before;
  }
});

test.run();
