/**
 * The input checks and fallbacks of FRoD's math that no ordinary model reaches: a non-square or singular V, an
 * empty category, a weight that is not 2-D, a V stored with an integer dtype, path parts that mix digits and
 * letters. Each states what it must do, so that dropping or loosening the check fails a test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkpointCategoryStates } from '../../src/frod/basis';
import { categoryOf, layerIndexOf } from '../../src/frod/categories';
import { FrodConfig } from '../../src/frod/config';
import { decomposeWeight, prepareBasis } from '../../src/frod/decompose';
import { projectionKey, sIndicesKey } from '../../src/frod/keys';
import { categoryProjection } from '../../src/frod/projection';
import { weightShape } from '../../src/frod/weights';
import type { Mat } from '../../src/linalg/kernels/mat';
import { tensor } from '../../src/tensor';

const matOf = (rows: number, cols: number, values: number[]): Mat => ({ rows, cols, data: Float64Array.from(values) });

test('prepareBasis refuses a V that is not square, naming its shape', () => {
  assert.throws(() => prepareBasis(matOf(2, 3, [1, 0, 0, 0, 1, 0])), /^FRoD: the basis V must be square, got \(2,3\)$/);
});

test('a V whose first pivot is exactly zero is singular: the pseudo-inverse is used, and B = W pinv(V)ᵀ', () => {
  // V = [[0, 0], [0, 1]]: rank 1, LU meets a zero pivot in its very first column.
  const v = matOf(2, 2, [0, 0, 0, 1]);
  const basis = prepareBasis(v);
  assert.ok(basis.singular, 'singular');
  assert.equal([...basis.inverse.data], [0, 0, 0, 1], 'pinv(V) = V here');
  const { lambda, u } = decomposeWeight(basis, matOf(1, 2, [3, 4]));
  assert.equal([...lambda], [0, 4], 'B = W pinv(V)ᵀ = [0, 4]');
  assert.equal([...u.data], [0, 1], 'the zero column stays zero');
});

test('a V whose last pivot is zero is singular too', () => {
  const basis = prepareBasis(matOf(2, 2, [1, 2, 2, 4]));
  assert.ok(basis.singular);
});

test('an invertible V is not treated as singular: its exact inverse is used', () => {
  const basis = prepareBasis(matOf(2, 2, [0, 1, 1, 0]));
  assert.not.ok(basis.singular);
  assert.equal([...basis.inverse.data], [0, 1, 1, 0]);
});

test('a category without weights is refused', () => {
  assert.throws(() => categoryProjection([], 1e-3), /^FRoD projection: a category needs at least one weight$/);
});

test('a weight that is not 2-D is refused, with its whole shape', () => {
  assert.throws(() => weightShape({ weight: tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 2, 2] }), fanInFanOut: false }, 'a.b'),
    /^FRoD: module 'a\.b' has a weight of shape \(2,2,2\); only 2-D Linear \/ Conv1D weights can be adapted$/);
});

test('a V saved with an integer dtype is used as float32 (the dtype V and U are computed in)', () => {
  const cfg = new FrodConfig({ targetModules: ['fc'], progressbar: false });
  const w = matOf(2, 2, [1, 2, 3, 4]);
  const tensors = {
    [projectionKey('fc')]: tensor(new Int32Array([1, 0, 0, 1]), { dtype: 'int32', shape: [2, 2] }),
    [sIndicesKey('fc')]: tensor(new Int32Array([0, 1]), { dtype: 'int32', shape: [2, 1] }),
  };
  const [state] = checkpointCategoryStates(['blocks.0.fc'], new Map([['blocks.0.fc', w]]), tensors, cfg, { dtype: 'float64', progress: false });
  assert.is(state.dtype, 'float32');
  assert.equal([...state.v.data], [1, 0, 0, 1]);
});

test('a path part that mixes digits and letters is a name, not a layer index', () => {
  assert.is(categoryOf('blocks.3a.fc'), '3a_fc');
  assert.is(categoryOf('blocks.a3.fc'), 'a3_fc');
  assert.is(categoryOf('blocks.3.fc'), 'fc');
  assert.is(layerIndexOf('model.layers.3a.fc', 7), 7);
  assert.is(layerIndexOf('model.layers.a3.fc', 7), 7);
  assert.is(layerIndexOf('model.h.2b.x.5.fc', 7), 5, 'the first part made only of digits');
});

test.run();
