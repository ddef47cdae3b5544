import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { FrodConfig } from '../../src/frod/config';
import {
  compileFullMatch, isModuleToSave, layerIndexForFilter, matchesTarget, noTargetsMessage, selectTargets,
} from '../../src/peft/targets';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden');

/** Module paths of a Hugging Face safetensors file: every `<module>.weight` key, sorted (as make_golden does). */
function modulePathsOf(file: string): string[] {
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as object;
  return Object.keys(header).filter((k) => k.endsWith('.weight')).map((k) => k.slice(0, -'.weight'.length)).sort();
}

/** Module paths of a llama-like stack: `model.layers.<i>.<module>` for every layer and module. */
function stackPaths(layers: number, modules: string[], prefix = 'model.layers'): string[] {
  const out: string[] = [];
  for (let i = 0; i < layers; i++) for (const m of modules) out.push(`${prefix}.${i}.${m}`);
  return out.sort();
}

const config = (options: ConstructorParameters<typeof FrodConfig>[0]) => new FrodConfig(options);

test('selectTargets reproduces the targets of every golden case from its base.safetensors and adapter_config.json', () => {
  for (const name of readdirSync(GOLDEN)) {
    const paths = modulePathsOf(join(GOLDEN, name, 'base.safetensors'));
    const json = JSON.parse(readFileSync(join(GOLDEN, name, 'adapter', 'adapter_config.json'), 'utf8')) as unknown;
    const expected = (JSON.parse(readFileSync(join(GOLDEN, name, 'case.json'), 'utf8')) as { targets: string[] }).targets;
    assert.equal(selectTargets(paths, FrodConfig.fromJSON(json)), expected, name);
  }
});

test('layersToTransform with layersPattern (the "subset" golden recipe)', () => {
  const paths = stackPaths(5, ['self_attn.k_proj', 'self_attn.o_proj', 'mlp.gate_proj']);
  const cfg = config({ targetModules: ['k_proj', 'gate_proj'], layersToTransform: [0, 2, 3], layersPattern: 'layers' });
  assert.equal(selectTargets(paths, cfg), [0, 2, 3].flatMap((i) => [`model.layers.${i}.mlp.gate_proj`, `model.layers.${i}.self_attn.k_proj`]));
  const single = config({ targetModules: ['o_proj'], layersToTransform: 4 });
  assert.equal(selectTargets(paths, single), ['model.layers.4.self_attn.o_proj']);
});

test('a regex target must match the whole path, Python spellings included (the "regex" golden recipe)', () => {
  const paths = stackPaths(3, ['self_attn.q_proj', 'self_attn.k_proj', 'mlp.up_proj']);
  const expected = [0, 1, 2].flatMap((i) => [`model.layers.${i}.mlp.up_proj`, `model.layers.${i}.self_attn.q_proj`]);
  assert.equal(selectTargets(paths, config({ targetModules: String.raw`.*\.(q_proj|up_proj)` })), expected);
  assert.equal(selectTargets(paths, config({ targetModules: String.raw`.*\.(?P<kind>q|up)_proj` })), expected);
  assert.equal(selectTargets(paths, config({ targetModules: String.raw`\A.*\.(q_proj|up_proj)\Z` })), expected);
  assert.equal(selectTargets(paths, config({ targetModules: String.raw`(?i).*\.(Q_PROJ|UP_PROJ)` })), expected);
  assert.equal(selectTargets(paths, config({ targetModules: 'q_proj' })), []); // not a search: the whole path
  assert.equal(selectTargets(paths, config({ targetModules: String.raw`model\.layers\.1\..*` })),
    ['model.layers.1.mlp.up_proj', 'model.layers.1.self_attn.k_proj', 'model.layers.1.self_attn.q_proj']);
  // a regex target ignores layersToTransform, as in PEFT and the reference
  assert.equal(selectTargets(paths, config({ targetModules: '.*q_proj', layersToTransform: [0] })).length, 3);
  assert.ok(compileFullMatch(String.raw`(?P<a>x)(?P=a)`).fullMatch('xx'));
  assert.ok(compileFullMatch('[]a]+').fullMatch(']a]'));
});

test('a list matches a path equal to an entry or ending in ".entry"', () => {
  const cfg = config({ targetModules: ['q_proj', 'mlp.fc', 'lin1'] });
  assert.ok(matchesTarget('model.layers.0.self_attn.q_proj', cfg));
  assert.ok(matchesTarget('q_proj', cfg));
  assert.ok(matchesTarget('lin1', cfg));
  assert.ok(matchesTarget('h.3.mlp.fc', cfg));
  assert.not.ok(matchesTarget('model.layers.0.self_attn.xq_proj', cfg));
  assert.not.ok(matchesTarget('h.3.xmlp.fc', cfg));
  assert.not.ok(matchesTarget('model.q_proj.inner', cfg));
});

test('list matching agrees with "some dotted suffix of the path equals an entry" (property)', () => {
  const part = fc.constantFrom('model', 'layers', '0', '1', 'q_proj', 'attn', 'q', 'proj', 'mlp');
  const path = fc.array(part, { minLength: 1, maxLength: 5 }).map((p) => p.join('.'));
  fc.assert(fc.property(fc.uniqueArray(path, { maxLength: 20 }), fc.array(path, { minLength: 1, maxLength: 3 }), (paths, targets) => {
    const cfg = config({ targetModules: targets });
    const copy = [...paths];
    const selected = selectTargets(paths, cfg);
    assert.equal(paths, copy);
    const suffixes = (p: string) => p.split('.').map((_, i, parts) => parts.slice(i).join('.'));
    assert.equal(selected, paths.filter((p) => suffixes(p).some((s) => targets.includes(s))));
  }));
});

test('the layer index for layersToTransform: pattern(s) first, else the first ".<name>.<n>." with a trailing part', () => {
  assert.is(layerIndexForFilter('model.layers.1.blocks.2.fc', 'blocks'), 2);
  assert.is(layerIndexForFilter('model.layers.1.blocks.2.fc', null), 1);
  assert.is(layerIndexForFilter('model.layers.1.blocks.2.fc', ['h', 'blocks', 'layers']), 2);
  assert.is(layerIndexForFilter('transformer.h.11.attn.c_attn', 'h'), 11);
  assert.is(layerIndexForFilter('transformer.h.11.attn.c_attn', 'layers'), null);
  assert.is(layerIndexForFilter('model.layers.3', null), null); // the index must be followed by a part
  assert.is(layerIndexForFilter('layers.0.fc', null), null); // a part must precede the name
  assert.is(layerIndexForFilter('layers.0.fc', 'layers'), null);
  assert.is(layerIndexForFilter('m.layers.0.fc', ''), 0); // "" means no pattern
  assert.is(layerIndexForFilter('m.decoder.layers.4.fc', 'decoder.layers'), 4);
});

test('layersToTransform filters list targets by that index; an empty list filters nothing', () => {
  const paths = [...stackPaths(3, ['attn.q']), ...stackPaths(3, ['attn.q'], 'enc.blocks'), 'head.q'];
  const byPattern = config({ targetModules: ['q'], layersToTransform: [1], layersPattern: ['blocks'] });
  assert.equal(selectTargets(paths, byPattern), ['enc.blocks.1.attn.q']);
  const anyName = config({ targetModules: ['q'], layersToTransform: [1] });
  assert.equal(selectTargets(paths, anyName), ['model.layers.1.attn.q', 'enc.blocks.1.attn.q']);
  assert.equal(selectTargets(paths, config({ targetModules: ['q'], layersToTransform: [] })).length, 7);
  assert.equal(selectTargets(paths, config({ targetModules: ['q'], layersToTransform: 7 })), []);
});

test('modulesToSave are never adapted, nor anything inside them (PEFT suffix rule)', () => {
  const paths = ['pre_classifier', 'classifier', 'classifier.dense', 'encoder.layer.0.dense', 'score.dense'];
  const cfg = config({ targetModules: ['dense', 'classifier'], modulesToSave: ['classifier'] });
  assert.equal(selectTargets(paths, cfg), ['encoder.layer.0.dense', 'score.dense']);
  assert.ok(isModuleToSave('pre_classifier', ['classifier']));
  assert.not.ok(isModuleToSave('classifier.dense', ['classifier']));
  assert.not.ok(isModuleToSave('classifier', null));
  assert.equal(selectTargets(['', 'a.fc'], config({ targetModules: '.*' })), ['a.fc']); // never the root module
});

test('no targetModules is an error; matching nothing gives a message that lists target_modules', () => {
  assert.throws(() => selectTargets(['a.fc'], config({})), /target_modules is null and the model does not say its model type/);
  const cfg = config({ targetModules: ['q_proj', 'v_proj'], layersToTransform: [0, 1], layersPattern: 'layers' });
  assert.equal(selectTargets(['fc1', 'fc2'], cfg), []);
  const message = noTargetsMessage('FRoD', cfg, 2);
  assert.is(message, 'FRoD: target_modules ["q_proj","v_proj"] with layers_to_transform [0,1] and layers_pattern "layers" matched no module among 2 module paths; check target_modules against the model\'s module names');
  assert.match(noTargetsMessage('FRoD', config({ targetModules: 'x.*' })), /^FRoD: target_modules regex "x\.\*" matched no module;/);
});

test.run();
