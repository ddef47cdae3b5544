/**
 * The fresh adapter of the functional API (src/frod/functional.ts), piece by piece: initAdapterFromWeights's
 * refusal of no weights, its warning and its tensors with and without saved projections; the initial λ and S
 * of `init_weights: false`; when loading regenerates projections; which extra model tensors (modules_to_save,
 * biases) go into the adapter. The CLI tests reach these through a spawned `frod`, which mutation testing
 * cannot see, so each is pinned here directly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import {
  extraModelTensors, initAdapterFromWeights, initNoiseGenerator, initialLayerValues, regeneratesProjections, weightsFromStateDict,
} from '../../src/frod/functional';
import { projectionKey } from '../../src/frod/keys';
import { ones } from '../../src/tensor';

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

test.run();
