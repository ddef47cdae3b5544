import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { categoryOf, groupByCategory, layerIndexOf } from '../../src/frod/categories';
import {
  formatAdapterKey, lambdaKey, parseAdapterKey, projectionKey, sIndicesKey, sSizeKey, sValuesKey,
} from '../../src/frod/keys';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden');
interface GoldenCase { targets: string[]; categories: Record<string, { modules: string[] }> }
const goldenCases = readdirSync(GOLDEN).map((name) => ({
  name,
  info: JSON.parse(readFileSync(join(GOLDEN, name, 'case.json'), 'utf8')) as GoldenCase,
}));

/** A path part that is not a layer index. */
const namePart = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/);
const indexPart = fc.nat({ max: 999 }).map(String);
const anyPart = fc.oneof(namePart, indexPart);

const categories = suite('categories');

categories('categoryOf follows the spec examples', () => {
  assert.is(categoryOf('encoder.layer.0.attention.self.query'), 'self_query');
  assert.is(categoryOf('model.layers.3.self_attn.q_proj'), 'self_attn_q_proj');
  assert.is(categoryOf('transformer.h.1.attn.c_attn'), 'attn_c_attn');
  assert.is(categoryOf('lin1'), 'lin1');
  assert.is(categoryOf('blocks.3.fc'), 'fc');
});

categories('attention.output.dense is attention_output, other output.dense stays output_dense', () => {
  assert.is(categoryOf('encoder.layer.0.attention.output.dense'), 'attention_output');
  assert.is(categoryOf('attention.output.dense'), 'attention_output');
  assert.is(categoryOf('encoder.layer.0.output.dense'), 'output_dense');
  assert.is(categoryOf('output.dense'), 'output_dense');
  assert.is(categoryOf('encoder.layer.0.crossattention.output.dense'), 'output_dense');
  assert.is(categoryOf('encoder.layer.0.attention.output.proj'), 'output_proj');
});

categories('categoryOf: a number before the last part gives the last part, else the last two joined', () => {
  fc.assert(fc.property(fc.array(anyPart, { maxLength: 4 }), indexPart, namePart, (prefix, index, name) => {
    assert.is(categoryOf([...prefix, index, name].join('.')), name);
  }));
  fc.assert(fc.property(fc.array(anyPart, { maxLength: 4 }), namePart, anyPart, (prefix, parent, last) => {
    fc.pre(!(parent === 'output' && last === 'dense'));
    assert.is(categoryOf([...prefix, parent, last].join('.')), `${parent}_${last}`);
  }));
});

categories('layerIndexOf: number after "layers", else first number, else the fallback', () => {
  assert.is(layerIndexOf('model.layers.3.self_attn.q_proj', 9), 3);
  assert.is(layerIndexOf('encoder.layer.7.attention.self.query', 9), 7);
  assert.is(layerIndexOf('model.2.layers.5.fc', 9), 5);
  assert.is(layerIndexOf('model.layers.fc.4.x', 9), 4);
  assert.is(layerIndexOf('model.layers', 9), 9);
  assert.is(layerIndexOf('lin1', 9), 9);
  assert.is(layerIndexOf('a.b01.c', 2), 2);
  assert.is(layerIndexOf('h.012.attn', 0), 12);
  fc.assert(fc.property(fc.array(anyPart, { maxLength: 3 }), fc.nat({ max: 500 }), fc.array(anyPart, { maxLength: 3 }),
    (before, n, after) => {
      fc.pre(!before.includes('layers'));
      assert.is(layerIndexOf([...before, 'layers', String(n), ...after].join('.'), -1), n);
    }));
  fc.assert(fc.property(fc.array(namePart, { minLength: 1, maxLength: 5 }), fc.nat(), (parts, fallback) => {
    assert.is(layerIndexOf(parts.join('.'), fallback), fallback);
  }));
});

categories('a path part that only starts or ends with digits is a name, not a layer index', () => {
  assert.is(categoryOf('blocks.2x.fc'), '2x_fc');
  assert.is(categoryOf('blocks.x2.fc'), 'x2_fc');
  assert.is(layerIndexOf('blocks.2x.fc', 7), 7);
  assert.is(layerIndexOf('model.layers.2x.fc.4', 9), 4);
  assert.is(layerIndexOf('model.layers.x2.fc', 9), 9);
});

categories('groupByCategory reproduces every golden case.json (names and member order)', () => {
  for (const { name, info } of goldenCases) {
    const groups = groupByCategory(info.targets);
    assert.equal(groups.map((g) => g.name), Object.keys(info.categories).sort(), name);
    for (const group of groups) assert.equal(group.paths, info.categories[group.name].modules, `${name}/${group.name}`);
  }
});

categories('groupByCategory: order of the input paths does not matter when every path has a layer index', () => {
  const targets = goldenCases.find((c) => c.name === 'bert')?.info.targets ?? [];
  const expected = groupByCategory(targets);
  fc.assert(fc.property(fc.shuffledSubarray(targets, { minLength: targets.length }), (shuffled) => {
    const copy = [...shuffled];
    assert.equal(groupByCategory(shuffled), expected);
    assert.equal(shuffled, copy); // input untouched
  }), { numRuns: 30 });
});

categories('groupByCategory: categories sorted, members by layer index, fallback = position among targets', () => {
  const groups = groupByCategory(['net.layers.10.fc', 'net.layers.2.fc', 'b.m.proj', 'a.m.proj', 'lin1']);
  assert.equal(groups.map((g) => g.name), ['fc', 'lin1', 'm_proj']);
  assert.equal(groups[0].paths, ['net.layers.2.fc', 'net.layers.10.fc']);
  assert.equal(groups[0].layerIndices, [2, 10]);
  assert.equal(groups[2].paths, ['b.m.proj', 'a.m.proj']); // positions 2 and 3
  assert.equal(groups[2].layerIndices, [2, 3]);
  // equal layer indices: ties broken by path
  assert.equal(groupByCategory(['z.3.fc', 'a.3.fc'])[0].paths, ['a.3.fc', 'z.3.fc']);
  assert.throws(() => groupByCategory(['a.fc', 'a.fc']), /"a\.fc" is listed twice/);
});

categories('groupByCategory: a partition of the paths, each group one category, indices non-decreasing', () => {
  const path = fc.array(anyPart, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.'));
  fc.assert(fc.property(fc.uniqueArray(path, { maxLength: 12 }), (paths) => {
    const groups = groupByCategory(paths);
    assert.equal(groups.flatMap((g) => g.paths).sort(), [...paths].sort());
    assert.equal(groups.map((g) => g.name), [...new Set(paths.map(categoryOf))].sort());
    for (const g of groups) {
      assert.ok(g.paths.every((p) => categoryOf(p) === g.name));
      assert.ok(g.layerIndices.every((v, i) => i === 0 || g.layerIndices[i - 1] <= v));
      g.paths.forEach((p, i) => assert.is(g.layerIndices[i], layerIndexOf(p, paths.indexOf(p))));
    }
  }));
});

const keys = suite('checkpoint keys');

keys('key builders follow docs/frod-math.md §10', () => {
  assert.is(lambdaKey('model.layers.0.self_attn.q_proj'), 'base_model.model.model.layers.0.self_attn.q_proj.frod_lambda_l');
  assert.is(sValuesKey('lin1'), 'base_model.model.lin1.frod_lambda_s_values');
  assert.is(projectionKey('self_attn_q_proj'), 'base_model.frod_V.self_attn_q_proj');
  assert.is(sIndicesKey('attention_output'), 'base_model.frod_s_indices.attention_output');
  assert.is(sSizeKey('fc'), 'base_model.frod_s_size.fc');
  assert.throws(() => projectionKey('a.b'), /projectionKey: expected a category name without dots/);
  assert.throws(() => lambdaKey(''), /lambdaKey: expected a dotted module path/);
  assert.throws(() => sValuesKey('a..b'), /sValuesKey/);
});

keys('parseAdapterKey classifies every tensor of the golden adapters, consistent with their case.json', () => {
  for (const { name, info } of goldenCases) {
    const file = readFileSync(join(GOLDEN, name, 'adapter', 'adapter_model.safetensors'));
    const headerLength = Number(file.readBigUInt64LE(0));
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const parsed = names.map(parseAdapterKey);
    const cats = Object.keys(info.categories).sort();
    for (const kind of ['projection', 'sIndices', 'sSize'] as const) {
      assert.equal(parsed.flatMap((p) => (p.kind === kind ? [p.category] : [])).sort(), cats, `${name} ${kind}`);
    }
    for (const kind of ['lambda', 'sValues'] as const) {
      assert.equal(parsed.flatMap((p) => (p.kind === kind ? [p.path] : [])).sort(), [...info.targets].sort(), `${name} ${kind}`);
    }
    names.forEach((key, i) => assert.is(formatAdapterKey(parsed[i]), key));
  }
});

keys('parseAdapterKey: model tensors pass, unknown keys give one clear line', () => {
  assert.equal(parseAdapterKey('base_model.model.classifier.weight'), { kind: 'modelTensor', name: 'classifier.weight' });
  assert.equal(parseAdapterKey('base_model.model.frod_head.weight'), { kind: 'modelTensor', name: 'frod_head.weight' });
  for (const bad of ['model.layers.0.q_proj.weight', 'base_model.frod_V.', 'base_model.frod_V.a.b', 'base_model.frod_X.a',
    'base_model.model.q.frod_lambda_l.default', 'base_model.model.frod_lambda_l', 'base_model.model.q.frod_V',
    'base_model.model.', 'base_model.model.a..b', '']) {
    assert.throws(() => parseAdapterKey(bad), (err: Error) =>
      err.message.startsWith(`adapter tensor ${JSON.stringify(bad)}: expected`) && !err.message.includes('\n'), bad);
  }
});

keys('parseAdapterKey inverts the builders (property)', () => {
  const path = fc.array(anyPart, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.'));
  fc.assert(fc.property(path, namePart, (p, category) => {
    assert.equal(parseAdapterKey(lambdaKey(p)), { kind: 'lambda', path: p });
    assert.equal(parseAdapterKey(sValuesKey(p)), { kind: 'sValues', path: p });
    assert.equal(parseAdapterKey(projectionKey(category)), { kind: 'projection', category });
    assert.equal(parseAdapterKey(sIndicesKey(category)), { kind: 'sIndices', category });
    assert.equal(parseAdapterKey(sSizeKey(category)), { kind: 'sSize', category });
    assert.equal(parseAdapterKey(projectionKey(categoryOf(p))), { kind: 'projection', category: categoryOf(p) });
  }));
});

categories.run();
keys.run();
