/**
 * mergeWeightsWithAdapter and inspectAdapter (src/frod/functional.ts) on hand-made adapters: the refusals and
 * their wording, the default adapter name in warnings and safe-merge errors, plain tensors that only look like
 * a weight, and the order inspectAdapter reports categories and modules in. The CLI tests reach most of this
 * through a spawned `frod`, which mutation testing cannot see.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { initAdapterFromWeights, inspectAdapter, mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { lambdaKey, sValuesKey } from '../../src/frod/keys';
import { ones, type Tensor } from '../../src/tensor';

const config = new FrodConfig({ targetModules: ['q'] });
const weightsOf = (...paths: string[]) => weightsFromStateDict(Object.fromEntries(paths.map((p) => [`${p}.weight`, ones([2, 2])])), config);
const freshAdapter = (...paths: string[]) => initAdapterFromWeights(weightsOf(...paths), config);

test('an adapter without any λ adapts nothing and is refused', () => {
  assert.throws(() => mergeWeightsWithAdapter(weightsOf('a.q'), {}, config), /^FRoD: the adapter has no frod_lambda_l tensors: it adapts no module$/);
});

test('of two modules the base lacks, the merge names the first in sorted order', () => {
  const fresh = freshAdapter('a.q', 'b.q');
  const adapter = Object.fromEntries(Object.entries(fresh).sort(([x], [y]) => (x < y ? 1 : -1))); // b.q's keys first
  assert.ok(Object.keys(adapter)[0].includes('b.q') || Object.keys(adapter)[0].includes('b_q'), Object.keys(adapter)[0]);
  assert.throws(() => mergeWeightsWithAdapter(weightsOf('c.q'), adapter, config),
    /^FRoD: the adapter adapts module 'a\.q' but the base model has no 2-D weight 'a\.q\.weight'$/);
});

test('a plain tensor whose name only starts like an adapted module is carried over, not taken for its weight', () => {
  const adapter = { ...freshAdapter('a.q'), 'base_model.model.a.q.scales': ones([1]) };
  const merged = mergeWeightsWithAdapter(weightsOf('a.q'), adapter, config);
  assert.equal([...merged.keys()].sort(), ['a.q.scales', 'a.q.weight']);
});

test('loading an adapter without projections warns under the adapter name default when none is given', () => {
  const noProjection = new FrodConfig({ targetModules: ['q'], saveProjection: false });
  const weights = weightsFromStateDict({ 'a.q.weight': ones([2, 2]) }, noProjection);
  const adapter = initAdapterFromWeights(weights, noProjection, { warn: () => {} });
  const warnings: string[] = [];
  mergeWeightsWithAdapter(weights, adapter, noProjection, { warn: (m) => warnings.push(m) });
  assert.is(warnings.length, 1);
  assert.ok(warnings[0].startsWith('FRoD adapter \'default\' is loaded without saved projections (save_projection: false): '), warnings[0]);
});

test('a safe merge names the adapter default when none is given, for a broken module and for a broken plain tensor', () => {
  const broken = freshAdapter('a.q');
  broken[lambdaKey('a.q')] = ones([2]).mul(Number.NaN);
  assert.throws(() => mergeWeightsWithAdapter(weightsOf('a.q'), broken, config, { safe: true }),
    /^FRoD: safe merge of adapter 'default' into module 'a\.q' gives NaN or infinite weights/);
  const plain = { ...freshAdapter('a.q'), 'base_model.model.head.weight': ones([1]).mul(Number.NaN) };
  assert.throws(() => mergeWeightsWithAdapter(weightsOf('a.q'), plain, config, { safe: true }),
    /^FRoD: safe merge of adapter 'default': its tensor 'base_model\.model\.head\.weight' \(a modules_to_save copy or trained bias\)/);
});

test('inspectAdapter lists categories by name and each category\'s modules in sorted order', () => {
  // Path order puts category k (x.0.k) before j (x.1.j); the report sorts by category name.
  const adapter: Record<string, Tensor> = {};
  for (const path of ['x.1.j', 'x.3.k', 'x.0.k']) {
    adapter[lambdaKey(path)] = ones([2]);
    adapter[sValuesKey(path)] = ones([1]);
  }
  const summary = inspectAdapter(adapter);
  assert.equal(summary.categories.map((c) => [c.name, c.modules]), [['j', ['x.1.j']], ['k', ['x.0.k', 'x.3.k']]]);
});

test.run();
