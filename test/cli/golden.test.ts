/**
 * `frod merge` and `frod init` on the golden cases (test/fixtures/golden, made by the PyTorch reference):
 * merged weights, V and λ of a fresh adapter, untouched tensors byte for byte, determinism.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { encodeEntry } from '../../src/nn/io/convert';
import {
  GOLDEN, GOLDEN_CASES, bytesEqual, cleanTemp, copyGolden, frod, maxAbs, maxAbsDiff, readSafetensors, values,
} from './helpers';
import { requireGoldenCases } from '../util/golden';

interface CaseJson {
  targets: string[];
  categories: Record<string, { modules: string[]; path: 'svd' | 'qr-eig'; in: number; nnz: number }>;
  fan_in_fan_out: boolean;
}

function readCase(dir: string): CaseJson {
  return JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseJson;
}

/** Column j of a row-major (rows, cols) matrix. */
function column(data: Float64Array, rows: number, cols: number, j: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => data[i * cols + j]);
}

test.after.each(cleanTemp);
requireGoldenCases(GOLDEN_CASES, GOLDEN);

for (const name of GOLDEN_CASES) {
  test(`merge ${name}: merged weights match the reference, other tensors are byte-identical`, async () => {
    const dir = copyGolden(name);
    const out = path.join(dir, 'merged.safetensors');
    const result = await frod(['merge', '--base', path.join(dir, 'base.safetensors'), '--adapter', path.join(dir, 'adapter'), '--out', out, '--safe']);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stderr, '');
    const info = readCase(dir);
    const base = readSafetensors(path.join(dir, 'base.safetensors'));
    const expected = readSafetensors(path.join(dir, 'expected.safetensors'));
    const merged = readSafetensors(out);
    assert.equal([...merged.entries.keys()].sort(), [...base.entries.keys()].sort(), 'same tensor names');
    assert.equal(merged.metadata, base.metadata, 'metadata kept');
    for (const [tensorName, entry] of base.entries) {
      const got = merged.entries.get(tensorName)!;
      assert.is(got.dtype, entry.dtype, `${tensorName}: dtype kept`);
      assert.equal(got.shape, entry.shape, `${tensorName}: shape kept`);
      const module = tensorName.slice(0, -'.weight'.length);
      if (tensorName.endsWith('.weight') && info.targets.includes(module)) {
        const want = values(expected, `${module}.merged_weight`);
        assert.equal(want.shape, entry.shape, `${module}: expected merged weight in the stored orientation`);
        const error = maxAbsDiff(values(merged, tensorName).data, want.data);
        assert.ok(error <= 2e-6 * Math.max(1, maxAbs(want.data)), `${module}: merged weight off by ${error}`);
        assert.ok(maxAbsDiff(values(base, tensorName).data, want.data) > 1e-3, `${module}: the adapter changes the weight`);
      } else {
        assert.ok(bytesEqual(got.bytes, entry.bytes), `${tensorName}: copied byte for byte`);
      }
    }
  });

  test(`init ${name}: V (sign-free) and λ of a fresh adapter match the reference`, async () => {
    const dir = copyGolden(name);
    const out = path.join(dir, 'fresh');
    const result = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out', out]);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stderr, '');
    const info = readCase(dir);
    assert.equal(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const adapter = readSafetensors(path.join(out, 'adapter_model.safetensors'));
    const expected = readSafetensors(path.join(dir, 'expected.safetensors'));
    const golden = readSafetensors(path.join(dir, 'adapter', 'adapter_model.safetensors'));
    assert.equal(adapter.metadata, { format: 'pt' });
    const categoryCount = Object.keys(info.categories).length;
    const moduleCount = info.targets.length;
    assert.is(adapter.entries.size, 3 * categoryCount + 2 * moduleCount, 'V, indices, size per category; λ, S per module');
    for (const [category, spec] of Object.entries(info.categories)) {
      const n = spec.in;
      const v = values(adapter, `base_model.frod_V.${category}`);
      const want = values(expected, `${category}.v_init`);
      assert.equal(v.shape, [n, n]);
      const rows = spec.modules.length * (values(expected, `${spec.modules[0]}.merged_weight`).data.length / n);
      const checked = spec.path === 'svd' ? Math.min(rows, n) : n;
      for (let j = 0; j < checked; j++) {
        const a = column(v.data, n, n, j);
        const b = column(want.data, n, n, j);
        const dot = a.reduce((sum, x, i) => sum + x * b[i], 0);
        const signed = a.map((x) => (dot < 0 ? -x : x));
        const error = maxAbsDiff(signed, b);
        assert.ok(error <= 1e-5 * Math.max(1, maxAbs(b)), `${category}: column ${j} of V off by ${error}`);
      }
      assert.equal(adapter.entries.get(`base_model.frod_s_indices.${category}`)!.shape, [2, spec.nnz]);
      assert.is(adapter.entries.get(`base_model.frod_s_indices.${category}`)!.dtype, 'I64');
      assert.equal(Array.from(values(adapter, `base_model.frod_s_size.${category}`).data), [n, n]);
      assert.equal(golden.entries.get(`base_model.frod_s_size.${category}`)!.dtype, adapter.entries.get(`base_model.frod_s_size.${category}`)!.dtype);
      for (const module of spec.modules) {
        const lambda = values(adapter, `base_model.model.${module}.frod_lambda_l`);
        const lambdaWant = values(expected, `${module}.lambda_init`);
        assert.equal(lambda.shape, [n]);
        // Only the checked columns of V are determined; λ of null-space columns are ~0 either way.
        const error = maxAbsDiff(lambda.data.slice(0, checked), lambdaWant.data.slice(0, checked));
        assert.ok(error <= 1e-5 * Math.max(1, maxAbs(lambdaWant.data)), `${module}: λ off by ${error}`);
        const sValues = values(adapter, `base_model.model.${module}.frod_lambda_s_values`);
        assert.equal(sValues.shape, [spec.nnz]);
        assert.ok(sValues.data.every((x) => x === 0), `${module}: S starts at zero`);
      }
    }
    const written = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    const given = JSON.parse(fs.readFileSync(path.join(dir, 'adapter', 'adapter_config.json'), 'utf8'));
    assert.equal(written, given, 'the config is written back unchanged');
  });

  test(`init ${name} then merge: a fresh adapter leaves every weight as it was (to float32 rounding)`, async () => {
    const dir = copyGolden(name);
    const base = path.join(dir, 'base.safetensors');
    const fresh = path.join(dir, 'fresh');
    const out = path.join(dir, 'merged.safetensors');
    assert.is((await frod(['init', '--base', base, '--config', path.join(dir, 'adapter', 'adapter_config.json'), '--out', fresh])).code, 0);
    const result = await frod(['merge', '--base', base, '--adapter', fresh, '--out', out]);
    assert.is(result.code, 0, result.stderr);
    const before = readSafetensors(base);
    const after = readSafetensors(out);
    for (const [tensorName] of before.entries) {
      const a = values(before, tensorName).data;
      const error = maxAbsDiff(values(after, tensorName).data, a);
      assert.ok(error <= 1e-5 * Math.max(1, maxAbs(a)), `${tensorName}: changed by ${error}`);
    }
  });

  test(`${name}: two runs of init and of merge give identical bytes`, async () => {
    const dir = copyGolden(name);
    const base = path.join(dir, 'base.safetensors');
    const config = path.join(dir, 'adapter', 'adapter_config.json');
    for (const run of ['1', '2']) {
      assert.is((await frod(['init', '--base', base, '--config', config, '--out', path.join(dir, `init${run}`)])).code, 0);
      assert.is((await frod(['merge', '--base', base, '--adapter', path.join(dir, 'adapter'), '--out', path.join(dir, `merged${run}.safetensors`)])).code, 0);
    }
    for (const file of ['adapter_model.safetensors', 'adapter_config.json']) {
      assert.ok(bytesEqual(fs.readFileSync(path.join(dir, 'init1', file)), fs.readFileSync(path.join(dir, 'init2', file))), `init: ${file} identical`);
    }
    assert.ok(bytesEqual(fs.readFileSync(path.join(dir, 'merged1.safetensors')), fs.readFileSync(path.join(dir, 'merged2.safetensors'))), 'merge: identical');
  });
}

/**
 * Makes an adapter with `init` and "trains" it: λ and S values are moved by a fixed rule (the same for
 * every run), so merging it changes the weights.
 */
async function trainedAdapter(dir: string, config: Record<string, unknown>, out: string): Promise<void> {
  const configFile = `${out}.json`;
  fs.writeFileSync(configFile, JSON.stringify(config));
  const init = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', configFile, '--out', out]);
  assert.is(init.code, 0, init.stderr);
  const file = path.join(out, 'adapter_model.safetensors');
  const adapter = readSafetensors(file);
  const entries = new Map<string, RawEntry>(adapter.entries);
  for (const [key, entry] of adapter.entries) {
    if (!key.endsWith('.frod_lambda_l') && !key.endsWith('.frod_lambda_s_values')) continue;
    const moved = values(adapter, key).data.map((x, i) => 1.1 * x + 0.01 * Math.sin(i + key.length));
    entries.set(key, encodeEntry(moved, entry.shape, entry.dtype, key));
  }
  fs.writeFileSync(file, serializeSafetensors(entries, adapter.metadata));
}

for (const name of GOLDEN_CASES) {
  test(`${name}: an adapter saved without projections merges to the same bytes as one saved with them`, async () => {
    const dir = copyGolden(name);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const merged: Uint8Array[] = [];
    for (const saveProjection of [true, false]) {
      const out = path.join(dir, `adapter-${saveProjection}`);
      await trainedAdapter(dir, { ...config, save_projection: saveProjection }, out);
      const names = [...readSafetensors(path.join(out, 'adapter_model.safetensors')).entries.keys()];
      assert.is(names.some((n) => n.startsWith('base_model.frod_V.')), saveProjection, 'V stored only with save_projection');
      const file = path.join(dir, `merged-${saveProjection}.safetensors`);
      const result = await frod(['merge', '--base', path.join(dir, 'base.safetensors'), '--adapter', out, '--out', file]);
      assert.is(result.code, 0, result.stderr);
      merged.push(new Uint8Array(fs.readFileSync(file)));
    }
    assert.ok(bytesEqual(merged[0], merged[1]), 'regenerated projections are bit-for-bit the saved ones');
    assert.not.ok(bytesEqual(merged[0], new Uint8Array(fs.readFileSync(path.join(dir, 'base.safetensors')))), 'the trained adapter changes the weights');
  });
}

test.run();
