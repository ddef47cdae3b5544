/**
 * PEFT's tests/test_config.py with its FrodConfig row (ALL_CONFIG_CLASSES: `(FrodConfig, {})`), replayed on
 * FrodConfig. PEFT's `save_pretrained` / `from_pretrained` of a config are `toJSONString()` /
 * `FrodConfig.fromJSON(JSON.parse(text))` here.
 *
 * Followed differently, on purpose:
 * - test_from_pretrained_forward_compatible: PEFT drops unknown keys with one warning; frod-ts keeps them (written
 *   back unchanged, so a newer PEFT's config survives a round trip) with one warning naming them.
 * - test_peft_version_is_stored: a stored peft_version round-trips; frod-ts does not fill in a PEFT version of its
 *   own (it is not PEFT), so a new config writes null, which PEFT reads as "unknown".
 * Not replayed: hub downloads (test_from_pretrained*, cache_dir), test_set_attributes (peft_type "test"),
 * test_from_peft_type (PEFT's class table), the pickle/copy tests beyond `with` (configs are immutable here).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { TASK_TYPES } from '../../src/peft/config';
import { catchWarnings } from '../../src/peft/warnings';

/** PEFT's save_pretrained → from_pretrained of a config, through the text of adapter_config.json. */
const roundTrip = (config: FrodConfig) => FrodConfig.fromJSON(JSON.parse(config.toJSONString()));

for (const taskType of [...TASK_TYPES, null]) {
  test(`test_config.py::TestPeftConfig::test_valid_task_type[FrodConfig-${taskType}] — accepted`, () => {
    assert.is(new FrodConfig({ taskType }).taskType, taskType);
  });
}

test('test_config.py::TestPeftConfig::test_invalid_task_type[FrodConfig] — refused with the value and every valid task type', () => {
  assert.throws(() => new FrodConfig({ taskType: 'invalid-task-type' as never }), (err: Error) =>
    err.message.includes('"invalid-task-type"') && TASK_TYPES.every((t) => err.message.includes(t)));
});

test('test_config.py::TestPeftConfig::test_save_pretrained[FrodConfig] — saved and loaded back, to_dict is the same', () => {
  const config = new FrodConfig();
  assert.equal(roundTrip(config).toJSON(), config.toJSON());
});

test('test_config.py::TestPeftConfig::test_from_json_file[FrodConfig] — a runtime_config in the file is dropped with PEFT\'s warning', () => {
  const config = new FrodConfig();
  const json = { ...JSON.parse(config.toJSONString()), runtime_config: { ephemeral_gpu_offload: true } };
  const { result, warnings } = catchWarnings(() => FrodConfig.fromJSON(json));
  assert.equal(result.toJSON(), config.toJSON());
  assert.equal(warnings, ['The configuration file contains a `runtime_config` key. This is ignored. Runtime configurations are only valid at runtime.']);
});

test('test_config.py::TestPeftConfig::test_to_dict[FrodConfig] — a plain object with every field of adapter_config.json', () => {
  const json = new FrodConfig().toJSON();
  assert.is(Object.getPrototypeOf(json), Object.prototype);
  assert.is(json.peft_type, 'FROD');
});

test('test_config.py::TestPeftConfig::test_config_copy[FrodConfig] — a copy (with no changes) has the same to_dict', () => {
  const config = new FrodConfig({ targetModules: ['q_proj'], sparseRate: 0.05 });
  assert.equal(config.with({}).toJSON(), config.toJSON());
});

test('test_config.py::TestPeftConfig::test_from_pretrained_forward_compatible[FrodConfig] — unknown keys give one warning naming them; the known fields load as saved (frod-ts keeps the unknown ones)', () => {
  const config = new FrodConfig();
  const json = { ...JSON.parse(config.toJSONString()), foobar: 'baz', spam: 123 };
  const { result, warnings } = catchWarnings(() => FrodConfig.fromJSON(json));
  assert.is(warnings.length, 1);
  assert.ok(warnings[0].includes('"foobar"') && warnings[0].includes('"spam"'), warnings[0]);
  assert.ok(result instanceof FrodConfig);
  const { foobar, spam, ...known } = result.toJSON();
  assert.equal([foobar, spam], ['baz', 123], 'kept and written back');
  assert.equal(known, config.toJSON());
});

test('test_config.py::TestPeftConfig::test_from_pretrained_sanity_check[FrodConfig] — a JSON that is no PEFT config (no peft_type) is refused', () => {
  assert.throws(() => FrodConfig.fromJSON({ foo: 'bar', baz: 123 }), /peft_type/);
});

test('test_config.py::TestPeftConfig::test_lora_config_layers_to_transform_validation (FrodConfig has the same rule) — layers_pattern needs layers_to_transform', () => {
  assert.throws(() => new FrodConfig({ targetModules: ['query', 'value'], layersPattern: 'model.layers' }), /layersToTransform/);
  const both = new FrodConfig({ targetModules: ['query', 'value'], layersToTransform: [0, 1, 2], layersPattern: 'model.layers' });
  assert.equal([both.layersToTransform, both.layersPattern], [[0, 1, 2], 'model.layers']);
  const neither = new FrodConfig({ targetModules: ['query', 'value'] });
  assert.equal([neither.layersToTransform, neither.layersPattern], [null, null]);
});

test('test_config.py::TestPeftConfig::test_config_layers_to_transform_index_zero[FrodConfig] — layers_to_transform 0 is an index, not "unset"', () => {
  const config = new FrodConfig({ layersToTransform: 0, layersPattern: 'model.layers' });
  assert.equal([config.layersToTransform, config.layersPattern], [0, 'model.layers']);
});

for (const version of ['0.10', '0.17.0', '1']) {
  test(`test_config.py::TestPeftConfig::test_peft_version_is_stored[FrodConfig-${version}] — the file's peft_version is written and read back`, () => {
    const config = new FrodConfig({ peftVersion: version });
    const json = JSON.parse(config.toJSONString());
    assert.is(json.peft_version, version);
    assert.is(FrodConfig.fromJSON(json).peftVersion, version);
  });
}

test.run();
