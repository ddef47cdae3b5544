/**
 * The fresh adapter of the functional API (src/frod/functional.ts), piece by piece: initAdapterFromWeights's
 * refusal of no weights, its warning and its tensors with and without saved projections; the initial λ and S
 * of `init_weights: false`; when loading regenerates projections; which extra model tensors (modules_to_save,
 * biases) go into the adapter; and the checks of a trained adapter's vectors before a merge. The CLI tests reach these through a spawned `frod`, which mutation testing
 * cannot see, so each is pinned here directly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import {
  baseTensorName, extraModelTensors, initAdapterFromWeights, initNoiseGenerator, initialLayerValues, mergeWeightsWithAdapter,
  regeneratesProjections, weightsFromStateDict,
} from '../../src/frod/functional';
import { lambdaKey, projectionKey, sValuesKey } from '../../src/frod/keys';
import { roundToDType } from '../../src/frod/weights';
import { ones, type Tensor } from '../../src/tensor';

const stateDict = () => ({ 'a.q.weight': ones([2, 2]), 'a.k.weight': ones([2, 2]) });

test('initAdapterFromWeights refuses an empty set of weights with the no-targets message', () => {
  const config = new FrodConfig({ targetModules: ['q'] });
  assert.throws(() => initAdapterFromWeights(new Map(), config), /^FRoD: target_modules \["q"\] matched no module; check target_modules/);
});

test('an adapter that saves its projections warns of nothing and holds V, s_indices and s_size', () => {
  const config = new FrodConfig({ targetModules: ['q'] });
  const warnings: string[] = [];
  const tensors = initAdapterFromWeights(weightsFromStateDict(stateDict(), config), config, { warn: (m) => warnings.push(m) });
  assert.equal(warnings, []);
  assert.equal(Object.keys(tensors).filter((k) => k.includes('_q')).sort(),
    ['base_model.frod_V.a_q', 'base_model.frod_s_indices.a_q', 'base_model.frod_s_size.a_q']);
});

test('an adapter without saved projections holds only λ and the S values', () => {
  const config = new FrodConfig({ targetModules: ['q'], saveProjection: false });
  const tensors = initAdapterFromWeights(weightsFromStateDict(stateDict(), config), config, { warn: () => {} });
  assert.equal(Object.keys(tensors).sort(), ['base_model.model.a.q.frod_lambda_l', 'base_model.model.a.q.frod_lambda_s_values']);
});

test('init_weights: false draws S = 0.1·N(0, 1) for each pattern entry, then adds 0.1·N(0, 1) to each λ, from the layer\'s generator', () => {
  const config = new FrodConfig({ targetModules: ['q'], initWeights: false });
  const lambda = Float64Array.from([3, -2]);
  const { lambda: out, sValues } = initialLayerValues(lambda, 3, config, 'a.q', 1);
  const generator = initNoiseGenerator(config, 'a.q', 1);
  const s = [0, 1, 2].map(() => 0.1 * generator.normal());
  assert.equal([...sValues], s);
  assert.equal([...out], [3 + 0.1 * generator.normal(), -2 + 0.1 * generator.normal()]);
  assert.equal([...lambda], [3, -2], 'the decomposition\'s λ is left alone');
});

test('over float16 weights with autocast, the noise S values are drawn in float16 and held in float32, as PEFT', () => {
  const config = new FrodConfig({ targetModules: ['q'], initWeights: false });
  const weights = weightsFromStateDict({ 'a.q.weight': ones([2, 2]).to('float16') }, config);
  const s = initAdapterFromWeights(weights, config)[sValuesKey('a.q')];
  assert.is(s.dtype, 'float32');
  const values = Float64Array.from(s.data());
  assert.ok(values.some((v) => v !== 0));
  assert.equal([...roundToDType(values, 'float16')], [...values], 'every S value is a float16 value');
});

test('init_weights: true keeps λ as decomposed and S at zero, in a new array', () => {
  const config = new FrodConfig({ targetModules: ['q'] });
  const lambda = Float64Array.from([3, -2]);
  const { lambda: out, sValues } = initialLayerValues(lambda, 2, config, 'a.q', 0);
  assert.equal([...out], [3, -2]);
  assert.equal([...sValues], [0, 0]);
  assert.is.not(out, lambda);
});

test('loading regenerates projections only under save_projection: false, and only when some category lacks its V', () => {
  const paths = ['a.q', 'a.k'];
  const withV = { [projectionKey('a_q')]: 1, [projectionKey('a_k')]: 1 };
  const oneV = { [projectionKey('a_q')]: 1 };
  const noProjection = new FrodConfig({ targetModules: ['q', 'k'], saveProjection: false });
  assert.is(regeneratesProjections(paths, {}, new FrodConfig({ targetModules: ['q', 'k'] })), false, 'save_projection: true');
  assert.is(regeneratesProjections(paths, withV, noProjection), false, 'every V saved');
  assert.is(regeneratesProjections(paths, oneV, noProjection), true, 'one category without V');
  assert.is(regeneratesProjections(paths, {}, noProjection), true, 'no V at all');
});

test('a modules_to_save entry saves every tensor below the module it names, at any depth, under its own name', () => {
  const config = new FrodConfig({ targetModules: ['q'], modulesToSave: ['head.dense'] });
  const sd = { 'head.dense.sub.weight': ones([1]), 'head.other.weight': ones([1]), 'body.weight': ones([1]) };
  assert.equal(Object.keys(extraModelTensors(sd, [], config)), ['base_model.model.head.dense.sub.weight']);
});

test('modules_to_save names modules: a parameter whose own name ends with an entry is not saved for it', () => {
  const config = new FrodConfig({ targetModules: ['q'], modulesToSave: ['scale'] });
  const sd = { 'norm.scale': ones([1]), 'scale.weight': ones([1]) };
  assert.equal(Object.keys(extraModelTensors(sd, [], config)), ['base_model.model.scale.weight']);
});

/** A merge of one 2×2 module `a.q` with a fresh adapter whose tensors `edit` changes first. */
function mergeEdited(edit: (tensors: Record<string, Tensor>) => void): void {
  const config = new FrodConfig({ targetModules: ['q'] });
  const weights = weightsFromStateDict({ 'a.q.weight': ones([2, 2]) }, config);
  const tensors = initAdapterFromWeights(weights, config);
  edit(tensors);
  mergeWeightsWithAdapter(weights, tensors, config);
}

test('a merge refuses S values without their λ, naming both keys', () => {
  assert.throws(() => mergeEdited((t) => { delete t[lambdaKey('a.q')]; }),
    /^FRoD: the adapter has 'base_model\.model\.a\.q\.frod_lambda_s_values' but no 'base_model\.model\.a\.q\.frod_lambda_l'$/);
});

test('a merge refuses a λ that is not the vector (in,), even with in_features values', () => {
  assert.throws(() => mergeEdited((t) => { t[lambdaKey('a.q')] = t[lambdaKey('a.q')].reshape([2, 1]); }),
    /^FRoD: 'base_model\.model\.a\.q\.frod_lambda_l' has shape \(2,1\) but module 'a\.q' has in_features 2 \(expected \(2\)\)$/);
});

test('a merge refuses S values that are not the vector (nnz,), whether by rank or by length', () => {
  const config = new FrodConfig({ targetModules: ['q'] });
  const nnz = initAdapterFromWeights(weightsFromStateDict({ 'a.q.weight': ones([2, 2]) }, config), config)[sValuesKey('a.q')].shape[0];
  const shapeError = (shape: string) => new RegExp(`^FRoD: 'base_model\\.model\\.a\\.q\\.frod_lambda_s_values' has shape \\(${shape}\\) but the pattern of category 'a_q' has ${nnz} entries$`);
  assert.throws(() => mergeEdited((t) => { t[sValuesKey('a.q')] = t[sValuesKey('a.q')].reshape([1, nnz]); }), shapeError(`1,${nnz}`));
  assert.throws(() => mergeEdited((t) => { t[sValuesKey('a.q')] = ones([nnz + 1]); }), shapeError(`${nnz + 1}`));
});

test('baseTensorName maps only a .base_layer. name of an adapted module back to the base file\'s name', () => {
  const adapted = new Set(['a.q']);
  assert.is(baseTensorName('a.q.base_layer.bias', adapted), 'a.q.bias');
  assert.is(baseTensorName('b.q.base_layer.bias', adapted), 'b.q.base_layer.bias');
  assert.is(baseTensorName('a.qX', adapted), 'a.qX', 'no .base_layer. in the name (its last character dropped would be an adapted path)');
});

test.run();
