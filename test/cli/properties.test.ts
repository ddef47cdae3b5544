/**
 * Properties of `frod` on generated inputs: a fresh adapter made by `init` leaves every weight unchanged
 * when merged (random layer counts, shapes, targets, sparse rates, orientations), and a damaged base
 * file never crashes the tool: it either still parses, or fails with one line and writes nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import {
  GOLDEN, assertOneLineFailure, assertUnchanged, bytesEqual, cleanTemp, frod, maxAbs, maxAbsDiff, readSafetensors, snapshot, tempDir, values,
} from './helpers';

test.after.each(cleanTemp);

/** A small model: `layers` blocks, each with the given (out, in) projections, plus a 1-D norm weight. */
const modelArb = fc.record({
  layers: fc.integer({ min: 1, max: 3 }),
  projections: fc.uniqueArray(fc.record({
    name: fc.constantFrom('q_proj', 'k_proj', 'up_proj', 'down_proj'),
    outFeatures: fc.integer({ min: 1, max: 10 }),
    inFeatures: fc.integer({ min: 2, max: 10 }),
  }), { minLength: 1, maxLength: 3, selector: (p) => p.name }),
  fanInFanOut: fc.boolean(),
  sparseRate: fc.constantFrom(0, 0.05, 0.2, 1),
  saveProjection: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

type Model = typeof modelArb extends fc.Arbitrary<infer T> ? T : never;

function f32(shape: number[], next: () => number): RawEntry {
  const data = Float32Array.from({ length: shape[0] * (shape[1] ?? 1) }, next);
  return { dtype: 'F32', shape, bytes: new Uint8Array(data.buffer) };
}

function writeModel(dir: string, model: Model): { base: string; config: string } {
  let state = model.seed;
  const next = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647 - 0.5;
  };
  const entries = new Map<string, RawEntry>();
  for (let layer = 0; layer < model.layers; layer++) {
    for (const p of model.projections) {
      const shape = model.fanInFanOut ? [p.inFeatures, p.outFeatures] : [p.outFeatures, p.inFeatures];
      entries.set(`model.layers.${layer}.mlp.${p.name}.weight`, f32(shape, next));
      entries.set(`model.layers.${layer}.mlp.${p.name}.bias`, f32([p.outFeatures], next));
    }
    entries.set(`model.layers.${layer}.norm.weight`, f32([4], next));
  }
  const base = path.join(dir, 'base.safetensors');
  fs.writeFileSync(base, serializeSafetensors(entries, { format: 'pt' }));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    peft_type: 'FROD', target_modules: model.projections.map((p) => p.name), fan_in_fan_out: model.fanInFanOut,
    sparse_rate: model.sparseRate, save_projection: model.saveProjection,
  }));
  return { base, config };
}

test('init then merge on random models: every tensor keeps its value (to float32 rounding)', async () => {
  await fc.assert(fc.asyncProperty(modelArb, async (model) => {
    const dir = tempDir();
    const { base, config } = writeModel(dir, model);
    const init = await frod(['init', '--base', base, '--config', config, '--out', path.join(dir, 'adapter')]);
    assert.is(init.code, 0, init.stderr);
    const adapter = readSafetensors(path.join(dir, 'adapter', 'adapter_model.safetensors'));
    const projections = [...adapter.entries.keys()].filter((k) => k.startsWith('base_model.frod_V.'));
    assert.is(projections.length, model.saveProjection ? model.projections.length : 0, 'V stored per category as configured');
    const out = path.join(dir, 'merged.safetensors');
    const merge = await frod(['merge', '--base', base, '--adapter', path.join(dir, 'adapter'), '--out', out, '--safe']);
    assert.is(merge.code, 0, merge.stderr);
    const before = readSafetensors(base);
    const after = readSafetensors(out);
    for (const [name, entry] of before.entries) {
      const got = after.entries.get(name)!;
      if (!name.endsWith('proj.weight')) {
        assert.ok(bytesEqual(got.bytes, entry.bytes), `${name} copied byte for byte`);
        continue;
      }
      const w = values(before, name).data;
      const error = maxAbsDiff(values(after, name).data, w);
      assert.ok(error <= 1e-5 * Math.max(1, maxAbs(w)), `${name}: a fresh adapter changed the weight by ${error}`);
    }
  }), { numRuns: 12, seed: 424242 });
});

test('a damaged base file: either it still parses, or one line, status 1, nothing written', async () => {
  const original = new Uint8Array(fs.readFileSync(path.join(GOLDEN, 'wide', 'base.safetensors')));
  const config = JSON.stringify({ target_modules: ['query'], sparse_rate: 0.02 });
  const damage = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: original.length - 1 }), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('header' as const), at: fc.integer({ min: 0, max: 200 }), value: fc.integer({ min: 0, max: 255 }) }),
  );
  await fc.assert(fc.asyncProperty(damage, async ({ kind, at, value }) => {
    const dir = tempDir();
    const bytes = kind === 'truncate' ? original.slice(0, at) : original.slice();
    if (kind === 'header') bytes[at] = value;
    fs.writeFileSync(path.join(dir, 'base.safetensors'), bytes);
    fs.writeFileSync(path.join(dir, 'config.json'), config);
    const before = snapshot(dir);
    const result = await frod(['init', '--base', path.join(dir, 'base.safetensors'), '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'out')]);
    if (result.code === 0) {
      assert.ok(fs.existsSync(path.join(dir, 'out', 'adapter_model.safetensors')));
      return;
    }
    assertOneLineFailure(result, 1, /^frod init: /);
    assertUnchanged(dir, before);
  }), { numRuns: 40, seed: 99 });
});

test.run();
