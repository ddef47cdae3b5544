import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  checkAdaptersAgree, FrodConfig, pythonFloatRepr, type FrodConfigOptions, type JsonValue,
} from '../../src/frod/config';
import { catchWarnings } from '../../src/peft/warnings';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden');
const goldenConfigs = readdirSync(GOLDEN).map((name) => ({
  name,
  json: JSON.parse(readFileSync(join(GOLDEN, name, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, JsonValue>,
}));

const moduleName = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,10}$/);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const layerList = fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 5 });
/** Random valid constructor options (any subset of the fields). */
const validOptions: fc.Arbitrary<FrodConfigOptions> = fc.record({
  taskType: nullable(fc.constantFrom('SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION' as const)),
  targetModules: fc.oneof(fc.constant(null), fc.array(moduleName, { maxLength: 4 }), fc.constantFrom('.*q_proj', String.raw`.*\.(q|v)`)),
  projectionPrngKey: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  saveProjection: fc.boolean(),
  frodDropout: fc.double({ min: 0, max: 1, noNaN: true }),
  fanInFanOut: fc.boolean(),
  bias: fc.constantFrom('none', 'all', 'frod_only' as const),
  modulesToSave: nullable(fc.array(moduleName, { maxLength: 3 })),
  initWeights: fc.boolean(),
  layersToTransform: fc.oneof(fc.constant(null), fc.nat({ max: 40 }), layerList),
  sparseRate: fc.double({ min: 0, max: 1, noNaN: true }),
  regularizationAlpha: fc.double({ min: 1e-12, max: 10, noNaN: true }),
  progressbar: fc.boolean(),
  runtimeOffloadBaseWeight: fc.boolean(),
  baseModelNameOrPath: nullable(fc.string()),
  revision: nullable(fc.string()),
  inferenceMode: fc.boolean(),
  peftVersion: nullable(fc.constantFrom('0.19.0', '0.18.1')),
  autoMapping: nullable(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 })),
}, { requiredKeys: [] }).chain((o) =>
  (o.layersToTransform === null || o.layersToTransform === undefined
    ? fc.constant(o)
    : nullable(fc.oneof(fc.constantFrom('layers', 'h'), fc.constant(['layers', 'blocks']))).map((layersPattern) => ({ ...o, layersPattern }))));

/** Extra JSON keys a newer PEFT might write. */
const extraKeys = fc.dictionary(fc.stringMatching(/^x_[a-z_]{1,8}$/), fc.jsonValue() as fc.Arbitrary<JsonValue>, { maxKeys: 4 });

test('defaults are PEFT\'s', () => {
  const c = new FrodConfig();
  assert.is(c.peftType, 'FROD');
  assert.is(c.projectionPrngKey, 0);
  assert.is(c.saveProjection, true);
  assert.is(c.frodDropout, 0);
  assert.is(c.fanInFanOut, false);
  assert.is(c.bias, 'none');
  assert.is(c.initWeights, true);
  assert.is(c.sparseRate, 0.01);
  assert.is(c.regularizationAlpha, 1e-3);
  assert.is(c.progressbar, true);
  assert.is(c.runtimeOffloadBaseWeight, false);
  assert.is(c.inferenceMode, false);
  for (const key of ['taskType', 'targetModules', 'modulesToSave', 'layersToTransform', 'layersPattern',
    'baseModelNameOrPath', 'revision', 'peftVersion', 'autoMapping'] as const) assert.is(c[key], null, key);
});

test('every golden adapter_config.json parses, and toJSON gives back exactly that object (same key set)', () => {
  for (const { name, json } of goldenConfigs) {
    const c = FrodConfig.fromJSON(json);
    assert.equal(c.toJSON(), json, name);
    assert.equal(Object.keys(c.toJSON()), Object.keys(json), name); // PEFT's dataclass order
    assert.equal(Object.keys(new FrodConfig().toJSON()).sort(), Object.keys(json).sort(), name);
    assert.is(c.sparseRate, json.sparse_rate);
    assert.equal(c.targetModules, json.target_modules);
    assert.equal(c.extra, {});
  }
});

test('toJSONString is PEFT\'s json.dumps(indent=2, sort_keys=True) with Python floats', () => {
  const text = new FrodConfig({ targetModules: ['q', 'v'], sparseRate: 0.5, regularizationAlpha: 1e-5 }).toJSONString();
  const lines = text.split('\n');
  assert.is(lines[0], '{');
  assert.ok(lines.includes('  "frod_dropout": 0.0,'));
  assert.ok(lines.includes('  "regularization_alpha": 1e-05,'));
  assert.ok(lines.includes('  "sparse_rate": 0.5,'));
  assert.ok(lines.includes('  "projection_prng_key": 0,'));
  assert.ok(lines.includes('  "target_modules": ['));
  assert.ok(lines.includes('    "q",'));
  assert.ok(lines.includes('  "auto_mapping": null,'));
  const keys = lines.filter((l) => /^ {2}"/.test(l)).map((l) => l.slice(3, l.indexOf('"', 3)));
  assert.equal(keys, [...keys].sort());
  assert.is(new FrodConfig({}, { x_name: 'é' }).toJSONString().includes('"x_name": "\\u00e9"'), true);
});

test('pythonFloatRepr writes floats as Python\'s repr and round-trips (property)', () => {
  const cases: [number, string][] = [[0, '0.0'], [-0, '-0.0'], [1, '1.0'], [0.001, '0.001'], [1e-4, '0.0001'], [1e-5, '1e-05'],
    [0.5, '0.5'], [100, '100.0'], [1e15, '1000000000000000.0'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [-2.5e-7, '-2.5e-07'],
    [0.1 + 0.2, '0.30000000000000004'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'],
    [123.456, '123.456'], [1e22, '1e+22']];
  for (const [x, text] of cases) assert.is(pythonFloatRepr(x), text, String(x));
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
    const text = pythonFloatRepr(x);
    assert.ok(Object.is(Number(text), x), text);
    assert.match(text, /^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$/);
  }));
});

test('random valid configs survive toJSON → fromJSON, JSON text, and toJSONString (property)', () => {
  fc.assert(fc.property(validOptions, extraKeys, (options, extra) => catchWarnings(() => {
    const c = new FrodConfig(options, extra);
    const json = c.toJSON();
    const back = FrodConfig.fromJSON(JSON.parse(JSON.stringify(json)));
    assert.equal(back.toJSON(), json);
    assert.equal(back.options(), c.options());
    assert.equal(back.extra, { ...extra });
    for (const [key, value] of Object.entries(extra)) assert.equal(json[key], value);
    assert.equal(FrodConfig.fromJSON(JSON.parse(c.toJSONString())).toJSON(), json);
    assert.equal(c.with({}).toJSON(), json);
  }).result), { numRuns: 150 });
});

test('inputs are copied, never modified; configs are immutable', () => {
  const targets = ['q', 'v'];
  const layers = [0, 1];
  const c = new FrodConfig({ targetModules: targets, layersToTransform: layers });
  targets.push('k');
  layers.push(2);
  assert.equal(c.targetModules, ['q', 'v']);
  assert.equal(c.layersToTransform, [0, 1]);
  assert.throws(() => (c.targetModules as string[]).push('x'));
  const json = { ...goldenConfigs[0].json };
  const snapshot = JSON.stringify(json);
  FrodConfig.fromJSON(json).with({ sparseRate: 0.2 });
  assert.is(JSON.stringify(json), snapshot);
  assert.is(c.with({ sparseRate: 0.2 }).sparseRate, 0.2);
  assert.is(c.sparseRate, 0.01);
});

/** [camelCase field, snake_case key, invalid value, words the message must contain]. */
const INVALID: [keyof FrodConfigOptions, string, unknown, string][] = [
  ['taskType', 'task_type', 'CLS', 'null or one of "SEQ_CLS"'],
  ['targetModules', 'target_modules', 3, 'a regular expression string, a list of module names or null'],
  ['targetModules', 'target_modules', ['q', 1], 'a list of module names'],
  ['targetModules', 'target_modules', '(unclosed', 'invalid regular expression'],
  ['targetModules', 'target_modules', '(?x)a b', 'invalid regular expression'],
  ['projectionPrngKey', 'projection_prng_key', 1.5, 'an integer'],
  ['projectionPrngKey', 'projection_prng_key', '0', 'an integer'],
  ['saveProjection', 'save_projection', 'yes', 'true or false'],
  ['frodDropout', 'frod_dropout', 1.5, 'a number in [0, 1]'],
  ['frodDropout', 'frod_dropout', -0.1, 'a number in [0, 1]'],
  ['fanInFanOut', 'fan_in_fan_out', 1, 'true or false'],
  ['bias', 'bias', 'some', '"none", "all" or "frod_only"'],
  ['modulesToSave', 'modules_to_save', 'classifier', 'a list of module names or null'],
  ['initWeights', 'init_weights', null, 'true or false'],
  ['layersToTransform', 'layers_to_transform', -1, 'a non-negative integer, a list of them or null'],
  ['layersToTransform', 'layers_to_transform', [0, 1.5], 'a non-negative integer, a list of them or null'],
  ['layersPattern', 'layers_pattern', 5, 'a string, a list of strings or null'],
  ['layersPattern', 'layers_pattern', '(', 'invalid regular expression'],
  ['sparseRate', 'sparse_rate', 1.01, 'a number in [0, 1]'],
  ['sparseRate', 'sparse_rate', Number.NaN, 'a number in [0, 1]'],
  ['sparseRate', 'sparse_rate', null, 'a number in [0, 1]'],
  ['regularizationAlpha', 'regularization_alpha', 0, 'a finite number > 0'],
  ['regularizationAlpha', 'regularization_alpha', -1e-3, 'a finite number > 0'],
  ['progressbar', 'progressbar', 'false', 'true or false'],
  ['runtimeOffloadBaseWeight', 'runtime_offload_base_weight', 0, 'true or false'],
  ['baseModelNameOrPath', 'base_model_name_or_path', 7, 'a string or null'],
  ['revision', 'revision', false, 'a string or null'],
  ['inferenceMode', 'inference_mode', null, 'true or false'],
  ['peftVersion', 'peft_version', 19, 'a string or null'],
  ['autoMapping', 'auto_mapping', ['a'], 'an object or null'],
];

test('every invalid value is rejected with one line naming the field and the allowed values', () => {
  const oneLine = (field: string, words: string) => (err: Error) =>
    err.message.startsWith(`FrodConfig.${field}: `) && err.message.includes(words) && !err.message.includes('\n');
  for (const [field, key, value, words] of INVALID) {
    const extra = field === 'layersPattern' ? { layersToTransform: [0] } : {};
    const jsonExtra = field === 'layersPattern' ? { layers_to_transform: [0] } : {};
    assert.throws(() => new FrodConfig({ ...extra, [field]: value } as FrodConfigOptions), oneLine(field, words), field);
    assert.throws(() => FrodConfig.fromJSON({ ...goldenConfigs[0].json, ...jsonExtra, [key]: value }), oneLine(key, words), key);
  }
  assert.throws(() => new FrodConfig({ bias: 'some' as 'none' }), (e: Error) => e.message === 'FrodConfig.bias: expected "none", "all" or "frod_only", got "some"');
});

test('wrong JSON types are rejected for every field (property)', () => {
  const fieldKeys = [...new Set(INVALID.map(([, key]) => key))];
  const wrongType = fc.oneof(fc.constant({ nested: 1 }), fc.constant([{ a: 1 }]), fc.constant(Number.POSITIVE_INFINITY));
  fc.assert(fc.property(fc.constantFrom(...fieldKeys), wrongType, (key, value) => {
    fc.pre(!(key === 'auto_mapping' && !Array.isArray(value) && typeof value === 'object'));
    assert.throws(() => FrodConfig.fromJSON({ peft_type: 'FROD', [key]: value }), (e: Error) => e.message.startsWith(`FrodConfig.${key}: expected`));
  }), { numRuns: 60 });
});

test('layersPattern needs layersToTransform (an empty list counts, as in PEFT); peft_type must be FROD; options and JSON must be objects', () => {
  assert.throws(() => new FrodConfig({ layersPattern: 'layers' }), /^FrodConfig\.layersPattern: expected layersToTransform to be set/);
  assert.equal(new FrodConfig({ layersPattern: ['h'], layersToTransform: [] }).layersToTransform, []);
  assert.throws(() => FrodConfig.fromJSON({ peft_type: 'FROD', layers_pattern: 'h' }), /^FrodConfig\.layers_pattern: expected layers_to_transform to be set/);
  assert.equal(FrodConfig.fromJSON({ peft_type: 'FROD', layers_pattern: 'h', layers_to_transform: [] }).layersPattern, 'h');
  assert.is(new FrodConfig({ layersPattern: '', layersToTransform: null }).layersPattern, '');
  assert.is(new FrodConfig({ layersPattern: 'h', layersToTransform: 0 }).layersToTransform, 0);
  assert.throws(() => FrodConfig.fromJSON({ peft_type: 'LORA' }), /^FrodConfig\.peft_type: expected "FROD", got "LORA"$/);
  assert.throws(() => FrodConfig.fromJSON([1]), /^FrodConfig\.fromJSON: expected a JSON object/);
  assert.throws(() => FrodConfig.fromJSON(null), /^FrodConfig\.fromJSON: expected a JSON object/);
  assert.throws(() => new FrodConfig({ sparse_rate: 0.1 } as FrodConfigOptions), /^FrodConfig: unknown option "sparse_rate"$/);
  assert.is(FrodConfig.fromJSON({ peft_type: 'FROD' }).sparseRate, 0.01); // missing keys take the defaults
});

test('a JSON config without peft_type is refused, as PEFT refuses it (test_config: MIN_EXPECTED_CONFIG_KEYS)', () => {
  assert.throws(() => FrodConfig.fromJSON({}), /^FrodConfig: adapter_config\.json has no "peft_type" \(expected "FROD"\)/);
  assert.throws(() => FrodConfig.fromJSON({ sparse_rate: 0.1, target_modules: ['q'] }), /has no "peft_type"/);
});

test('unknown JSON keys are kept and written back, with one warning naming them', () => {
  const json = { ...goldenConfigs[0].json, x_new_option: [1, { a: 'b' }], another_option: { t: true } };
  const { result: c, warnings } = catchWarnings(() => FrodConfig.fromJSON(json));
  assert.equal(warnings, ['FrodConfig: adapter_config.json has keys this version does not know ("another_option", "x_new_option"); they are kept and written back but have no effect']);
  assert.equal(c.extra, { x_new_option: [1, { a: 'b' }], another_option: { t: true } });
  assert.equal(c.toJSON(), json);
  assert.equal(JSON.parse(c.toJSONString()), json);
  const tricky = catchWarnings(() => FrodConfig.fromJSON(JSON.parse('{"peft_type": "FROD", "__proto__": {"polluted": 1}, "sparse_rate": 0.2}'))).result;
  assert.equal(Object.keys(tricky.extra), ['__proto__']);
  assert.equal(Object.keys(tricky.toJSON()).slice(-1), ['__proto__']);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('checkAdaptersAgree names the field and both adapters', () => {
  const a = new FrodConfig({ targetModules: ['q'] });
  checkAdaptersAgree({ default: a, other: a.with({ sparseRate: 0.5, targetModules: ['v'] }) });
  checkAdaptersAgree(new Map([['only', a]]));
  const cases: [FrodConfigOptions, string][] = [
    [{ projectionPrngKey: 3 }, 'FrodConfig.projectionPrngKey must be the same for all adapters of a model: adapter "default" has 0, adapter "b" has 3'],
    [{ saveProjection: false }, 'FrodConfig.saveProjection must be the same for all adapters of a model: adapter "default" has true, adapter "b" has false'],
    [{ runtimeOffloadBaseWeight: true }, 'FrodConfig.runtimeOffloadBaseWeight must be the same for all adapters of a model: adapter "default" has false, adapter "b" has true'],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => checkAdaptersAgree(new Map([['default', a], ['ok', a], ['b', a.with(change)]])), (e: Error) => e.message === message);
  }
});

test('toJSONString writes whole-number sparse_rate, regularization_alpha and frod_dropout as Python floats (1.0, not 1)', () => {
  const lines = new FrodConfig({ sparseRate: 1, regularizationAlpha: 2, frodDropout: 1 }).toJSONString().split('\n');
  assert.ok(lines.includes('  "sparse_rate": 1.0,'), 'sparse_rate');
  assert.ok(lines.includes('  "regularization_alpha": 2.0,'), 'regularization_alpha');
  assert.ok(lines.includes('  "frod_dropout": 1.0,'), 'frod_dropout');
});

test('checkAdaptersAgree refuses two adapters that disagree, and accepts none at all', () => {
  const a = new FrodConfig({ targetModules: ['q'] });
  assert.throws(() => checkAdaptersAgree({ default: a, b: a.with({ projectionPrngKey: 1 }) }),
    (e: Error) => e.message === 'FrodConfig.projectionPrngKey must be the same for all adapters of a model: adapter "default" has 0, adapter "b" has 1');
  assert.throws(() => checkAdaptersAgree(new Map([['default', a], ['b', a.with({ saveProjection: false })]])), /FrodConfig\.saveProjection must be the same/);
  checkAdaptersAgree({});
  checkAdaptersAgree(new Map());
});

test.run();
