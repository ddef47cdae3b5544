/**
 * `--random K`: K seeded cases of random shapes and options — the property-test half of the kit. Each is a
 * few categories of `model.layers.<i>.<block>.<name>` layers of random heights (so both decomposition
 * paths, single-layer and square stacks turn up), all Linear or all Conv1D, random biases, bias mode,
 * sparse rate, key and a random subset of the categories targeted. Bases are float64 or float32.
 */
import type { FrodBias } from '../frod/config';
import type { CaseSpec, ModuleSpec } from './cases';
import { Draws } from './values';

const NAMES: readonly [string, string][] = [
  ['attn', 'q_proj'], ['attn', 'k_proj'], ['attn', 'v_proj'], ['mlp', 'fc1'], ['mlp', 'fc2'], ['output', 'dense'],
];

/** Random case `index` of the suite with seed `seed`. */
export function randomCase(seed: number, index: number): CaseSpec {
  const id = `random-${index}`;
  const draws = new Draws(seed, id, 'shape');
  const conv1d = draws.uniform(0, 1) < 0.25;
  const pool = [...NAMES];
  const categoryCount = draws.int(1, 4);
  const modules: ModuleSpec[] = [];
  const names: string[] = [];
  for (let c = 0; c < categoryCount; c++) {
    const [block, name] = pool.splice(draws.int(0, pool.length), 1)[0];
    names.push(name);
    const inFeatures = draws.int(2, 9);
    const count = draws.int(1, 5);
    for (let i = 0; i < count; i++) {
      modules.push({
        path: `model.layers.${i}.${block}.${name}`, kind: conv1d ? 'conv1d' : 'linear', inFeatures,
        outFeatures: draws.int(1, 11), bias: conv1d || draws.uniform(0, 1) < 0.6,
      });
    }
  }
  const targets = names.filter((_, i) => i === 0 || draws.uniform(0, 1) < 0.7);
  const bias = draws.pick<FrodBias>(['none', 'none', 'none', 'all', 'frod_only']);
  return {
    id,
    title: `random: ${categoryCount} categor${categoryCount === 1 ? 'y' : 'ies'}, ${modules.length} ${conv1d ? 'Conv1D' : 'Linear'} layers`,
    teaches: 'a seeded random model: whatever it exercises must hold too',
    dtype: draws.pick(['float64', 'float32'] as const),
    modules: modules.sort((a, b) => (a.path < b.path ? -1 : 1)),
    adapters: [{
      name: 'default',
      config: {
        targetModules: targets, bias, fanInFanOut: conv1d, sparseRate: draws.pick([0, 0.05, 0.2, 0.5]),
        projectionPrngKey: draws.int(0, 1000),
      },
    }],
    batch: [draws.int(1, 5)],
  };
}
