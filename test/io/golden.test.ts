// Reads the safetensors files written by Python (PyTorch reference + PEFT layout) in the golden cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeEntry } from '../../src/nn/io/convert';
import { parseSafetensors, serializeSafetensors, type ParsedSafetensors, type RawEntry } from '../../src/nn/io/format';
import { bytesEqual } from './util';

const GOLDEN = fileURLToPath(new URL('../fixtures/golden', import.meta.url));

interface CaseJson {
  targets: string[];
  categories: Record<string, { modules: string[]; path: string; in: number; nnz: number }>;
  fan_in_fan_out: boolean;
}

const cases = readdirSync(GOLDEN).sort();

function read(file: string): { bytes: Uint8Array; parsed: ParsedSafetensors } {
  const bytes = new Uint8Array(readFileSync(`${GOLDEN}/${file}`));
  return { bytes, parsed: parseSafetensors(bytes, file) };
}

function entry(parsed: ParsedSafetensors, name: string): RawEntry {
  const found = parsed.entries.get(name);
  assert.ok(found, `missing tensor '${name}'`);
  return found as RawEntry;
}

test('the golden cases are present', () => {
  assert.equal(cases, ['bert', 'gpt2', 'stack', 'wide']);
});

for (const name of cases) {
  const spec = JSON.parse(readFileSync(`${GOLDEN}/${name}/case.json`, 'utf8')) as CaseJson;
  const files = ['base.safetensors', 'adapter/adapter_model.safetensors', 'expected.safetensors'];

  test(`${name}: re-serialising each file gives identical bytes`, () => {
    for (const file of files) {
      const { bytes, parsed } = read(`${name}/${file}`);
      assert.ok(bytesEqual(serializeSafetensors(parsed.entries, parsed.metadata), bytes), file);
      const sorted = [...parsed.headerOrder].sort();
      assert.equal(parsed.headerOrder, sorted, `${file} lists tensors in name order`);
    }
  });

  test(`${name}: base weights are F32 with the input width of case.json`, () => {
    const { parsed } = read(`${name}/base.safetensors`);
    assert.is(parsed.metadata, null);
    for (const e of parsed.entries.values()) assert.is(e.dtype, 'F32');
    for (const category of Object.values(spec.categories)) {
      for (const module of category.modules) {
        const weight = entry(parsed, `${module}.weight`);
        assert.is(weight.shape.length, 2);
        assert.is(weight.shape[spec.fan_in_fan_out ? 0 : 1], category.in, `${module}.weight input width`);
        const bias = parsed.entries.get(`${module}.bias`);
        if (bias) assert.equal(bias.shape, [weight.shape[spec.fan_in_fan_out ? 1 : 0]]);
        const values = decodeEntry(weight, module).data;
        assert.is(values.length, weight.shape[0] * weight.shape[1]);
        assert.ok(values.every(Number.isFinite), `${module}.weight is finite`);
      }
    }
  });

  test(`${name}: adapter tensors (F32 and I64) have the PEFT layout of case.json`, () => {
    const { parsed } = read(`${name}/adapter/adapter_model.safetensors`);
    assert.equal(parsed.metadata, { format: 'pt' });
    for (const [category, info] of Object.entries(spec.categories)) {
      const v = entry(parsed, `base_model.frod_V.${category}`);
      assert.is(v.dtype, 'F32');
      assert.equal(v.shape, [info.in, info.in]);
      const indices = entry(parsed, `base_model.frod_s_indices.${category}`);
      assert.is(indices.dtype, 'I64');
      assert.equal(indices.shape, [2, info.nnz]);
      const decodedIndices = decodeEntry(indices, category);
      assert.is(decodedIndices.dtype, 'int32');
      assert.ok(decodedIndices.data.every((i) => i >= 0 && i < info.in), 'indices inside (in, in)');
      const size = decodeEntry(entry(parsed, `base_model.frod_s_size.${category}`), category);
      assert.is(size.dtype, 'int32');
      assert.equal([...size.data], [info.in, info.in]);
      for (const module of info.modules) {
        const prefix = `base_model.model.${module}`;
        assert.equal(entry(parsed, `${prefix}.frod_lambda_l`).shape, [info.in]);
        assert.equal(entry(parsed, `${prefix}.frod_lambda_s_values`).shape, [info.nnz]);
      }
    }
  });

  test(`${name}: expected values are F64 with shapes matching case.json`, () => {
    const { parsed } = read(`${name}/expected.safetensors`);
    const base = read(`${name}/base.safetensors`).parsed;
    for (const [tensorName, e] of parsed.entries) {
      assert.is(e.dtype, 'F64');
      const decoded = decodeEntry(e, tensorName);
      assert.is(decoded.dtype, 'float64');
      assert.ok(decoded.data.every(Number.isFinite), `${tensorName} is finite`);
    }
    for (const [category, info] of Object.entries(spec.categories)) {
      assert.equal(entry(parsed, `${category}.v_init`).shape, [info.in, info.in]);
      for (const module of info.modules) {
        assert.equal(entry(parsed, `${module}.lambda_init`).shape, [info.in]);
        assert.equal(entry(parsed, `${module}.grad_s_values`).shape, [info.nnz]);
        assert.equal(entry(parsed, `${module}.merged_weight`).shape, entry(base, `${module}.weight`).shape);
        assert.is(entry(parsed, `${module}.x`).shape[1], info.in);
      }
    }
  });
}

test.run();
