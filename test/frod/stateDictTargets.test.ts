/**
 * Which weights of a state dict the functional API adapts (weightsFromStateDict, selectWeightPaths in
 * src/frod/functional.ts): the module paths a config targets that hold a `.weight`, in sorted order; a name
 * that does not end in `.weight` makes no weight. And the portability warning an adapter saved without
 * projections gives, word for word.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { initAdapterFromWeights, selectWeightPaths, weightsFromStateDict } from '../../src/frod/functional';
import { ones } from '../../src/tensor';

const weight = () => ones([2, 2]);

test('the adapted paths come back sorted, whatever order the state dict lists them in', () => {
  const config = new FrodConfig({ targetModules: ['lin'] });
  const weights = weightsFromStateDict({ 'b.lin.weight': weight(), 'a.lin.weight': weight() }, config);
  assert.equal([...weights.keys()], ['a.lin', 'b.lin']);
});

test('a targeted module with no .weight tensor is not adapted, even when another name is as long as one', () => {
  // 'a.lin.scales' minus 7 characters ('.weight'.length) is 'a.lin': only the suffix may make a weight.
  const config = new FrodConfig({ targetModules: ['lin'] });
  assert.equal(selectWeightPaths(['a.lin.scales', 'b.lin.weight'], config), ['b.lin']);
  assert.throws(() => selectWeightPaths(['a.lin.scales'], config),
    /^FRoD: target_modules \["lin"\] matched no module among 0 module paths; check target_modules/);
});

test('an adapter saved without projections warns with the whole portability reason', () => {
  const config = new FrodConfig({ targetModules: ['lin'], saveProjection: false });
  const warnings: string[] = [];
  initAdapterFromWeights(weightsFromStateDict({ 'a.lin.weight': weight() }, config), config, { warn: (m) => warnings.push(m) });
  assert.equal(warnings, ['FRoD adapter is saved without its projections (save_projection: false): V\'s column signs and the '
    + 'sparse pattern are regenerated from the base weights, which only the implementation that wrote the adapter '
    + 'reproduces (frod-ts: seeded sampler, canonical signs; PEFT: torch\'s RNG, LAPACK\'s signs); save_projection: true '
    + '(the default) is the portable choice (docs/frod-math.md, "Differences from PEFT")']);
});

test.run();
