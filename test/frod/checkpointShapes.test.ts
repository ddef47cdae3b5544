/**
 * A checkpoint's per-category tensors read through the library (src/frod/basis.ts) — not through `frod merge`,
 * whose own layout check (src/cli/adapterLayout.ts) answers first: each way V, s_indices or s_size can have the
 * wrong shape is refused on its own, in one line naming the tensor, the category and what was expected; so are
 * categories whose members disagree on in_features. One shape fault at a time, everything else right, so that
 * each part of each check is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkpointCategoryStates, freshCategoryStates } from '../../src/frod/basis';
import { readAdapterDir, writeAdapterDir } from '../../src/frod/checkpoint';
import { FrodConfig } from '../../src/frod/config';
import { mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { projectionKey, sIndicesKey, sSizeKey } from '../../src/frod/keys';
import type { Mat } from '../../src/linalg/kernels/mat';
import { loadSafetensors } from '../../src/nn/io';
import '../../src/frod/model';
import { PeftModel } from '../../src/peft/peftModel';
import { type Tensor, tensor } from '../../src/tensor';
import { GOLDEN, moduleFromStateDict } from './helpers';

// The 'wide' golden case: one module, category self_query, in_features 24.
const DIR = join(GOLDEN, 'wide');
const CATEGORY = 'self_query';
const N = 24;
const base = loadSafetensors(join(DIR, 'base.safetensors')).tensors;
const adapter = readAdapterDir(join(DIR, 'adapter'));
const config = adapter.config.with({ progressbar: false });
const weights = weightsFromStateDict(base, config);
const nnz = adapter.tensors[sIndicesKey(CATEGORY)].shape[1];

/** The adapter with one tensor replaced. */
const withTensor = (key: string, value: Tensor) => ({ ...adapter.tensors, [key]: value });
const zeros = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(0), { dtype, shape });
/** Indices (2, nnz)-style values that are valid positions, in the given shape. */
const indexTensor = (shape: number[]) => tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % (N - 1)) + (i % 2)), { dtype: 'int32', shape });

const refuses = (tensors: Record<string, Tensor>, pattern: RegExp) => {
  let message = '';
  try {
    mergeWeightsWithAdapter(weights, tensors, config);
  } catch (err) {
    message = (err as Error).message;
  }
  assert.match(message, pattern);
  assert.not.ok(message.includes('\n'), 'one line');
};

test('the unchanged adapter merges (the cases below differ from it in one tensor only)', () => {
  assert.is(mergeWeightsWithAdapter(weights, adapter.tensors, config).size, 1);
});

for (const [what, shape] of [['3-D', [N, N, 1]], ['one row too many', [N + 1, N]], ['one column too many', [N, N + 1]], ['1-D', [N]]] as const) {
  test(`a saved V that is ${what} ${JSON.stringify(shape)} is refused, naming the category, the module and both shapes`, () => {
    refuses(withTensor(projectionKey(CATEGORY), zeros([...shape])),
      new RegExp(`saved V of category '${CATEGORY}' has shape \\(${shape.join(',')}\\) but module 'encoder\\.layer\\.0\\.attention\\.self\\.query' has a weight of shape \\(12,${N}\\) \\(out, in\\), which needs V of shape \\(${N},${N}\\)`));
  });
}

for (const [what, shape] of [['1-D with 2 entries', [2]], ['3 rows', [3, nnz]], ['(2, nnz, 1)', [2, nnz, 1]]] as const) {
  test(`s_indices ${what} is refused: it must have shape (2, nnz)`, () => {
    const key = sIndicesKey(CATEGORY);
    refuses(withTensor(key, indexTensor([...shape])), new RegExp(`FRoD: '${key.replace(/\./g, '\\.')}' must have shape \\(2, nnz\\), got \\(${shape.join(',')}\\)`));
  });
}

for (const [what, dims] of [['three entries', [N, N, N]], ['a wrong first entry', [N + 1, N]], ['a wrong second entry', [N, N + 1]], ['one entry', [N]]] as const) {
  test(`s_size with ${what} ${JSON.stringify(dims)} is refused: it must be [in, in]`, () => {
    const key = sSizeKey(CATEGORY);
    refuses(withTensor(key, tensor([...dims], { dtype: 'int32' })),
      new RegExp(`'${key.replace(/\./g, '\\.')}' is \\[${dims.join(', ')}\\] but category '${CATEGORY}' has in_features ${N} \\(expected \\[${N}, ${N}\\]\\)`));
  });
}

test('PeftModel.fromPretrained refuses the same faults (the Module API reads the checkpoint the same way)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-shapes-'));
  try {
    writeAdapterDir(dir, config, withTensor(projectionKey(CATEGORY), zeros([N + 1, N])));
    assert.throws(() => PeftModel.fromPretrained(moduleFromStateDict(base, 'float32'), dir), /saved V of category 'self_query' has shape \(25,24\)/);
    writeAdapterDir(dir, config, adapter.tensors);
    assert.ok(PeftModel.fromPretrained(moduleFromStateDict(base, 'float32'), dir), 'the good adapter loads');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- categories whose members disagree -------------------------------------------------------------

const mat = (rows: number, cols: number): Mat => ({ rows, cols, data: Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i + rows)) });

test('a category whose members have different in_features is refused, naming both modules and sizes', () => {
  const paths = ['model.layers.0.mlp.up_proj', 'model.layers.1.mlp.up_proj'];
  const mixed = new Map([[paths[0], mat(6, 4)], [paths[1], mat(6, 5)]]);
  const cfg = new FrodConfig({ targetModules: ['up_proj'], progressbar: false });
  const expected = /category 'mlp_up_proj' mixes in_features 4 \('model\.layers\.0\.mlp\.up_proj'\) and 5 \('model\.layers\.1\.mlp\.up_proj'\); modules that share a category need the same in_features/;
  assert.throws(() => freshCategoryStates(paths, mixed, cfg, { dtype: 'float64', progress: false }), expected);
  assert.throws(() => checkpointCategoryStates(paths, mixed, {}, cfg.with({ saveProjection: false }), { dtype: 'float64', progress: false }), expected);
  const same = new Map([[paths[0], mat(6, 4)], [paths[1], mat(3, 4)]]);
  assert.is(freshCategoryStates(paths, same, cfg, { dtype: 'float64', progress: false })[0].paths.length, 2, 'different out_features are fine');
});

test('a module without a base weight is named', () => {
  const cfg = new FrodConfig({ targetModules: ['up_proj'], progressbar: false });
  assert.throws(() => freshCategoryStates(['a.up_proj'], new Map(), cfg, { dtype: 'float64', progress: false }), /FRoD: no base weight for module 'a\.up_proj'/);
});


// ---- save_projection false, with some per-category tensors in the file ------------------------------

/** Two categories (up_proj, down_proj) of a small float64 model and a fresh adapter for them, projections saved. */
function twoCategories() {
  const cfg = new FrodConfig({ targetModules: ['up_proj', 'down_proj'], sparseRate: 0.3, progressbar: false });
  const paths = ['model.layers.0.mlp.down_proj', 'model.layers.0.mlp.up_proj'];
  const mats = new Map([[paths[0], mat(4, 8)], [paths[1], mat(8, 4)]]);
  const saved = Object.assign({}, ...freshCategoryStates(paths, mats, cfg, { dtype: 'float64', progress: false }).map((s) => s.checkpointTensors()));
  return { cfg: cfg.with({ saveProjection: false }), paths, mats, saved: saved as Record<string, Tensor> };
}

for (const kept of ['frod_V', 'frod_s_indices', 'frod_s_size'] as const) {
  test(`save_projection false: a file holding only the ${kept} of one of two categories gets the warning`, () => {
    const { cfg, paths, mats, saved } = twoCategories();
    const key = `base_model.${kept}.mlp_up_proj`;
    const warnings: string[] = [];
    checkpointCategoryStates(paths, mats, { [key]: saved[key] }, cfg, { dtype: 'float64', progress: false, warn: (m) => warnings.push(m) });
    assert.equal(warnings, ['FRoD: adapter_config.json says save_projection: false but adapter_model.safetensors contains projections; using the saved ones']);
  });
}

test('save_projection false and no per-category tensor at all: no warning', () => {
  const { cfg, paths, mats } = twoCategories();
  const warnings: string[] = [];
  checkpointCategoryStates(paths, mats, {}, cfg, { dtype: 'float64', progress: false, warn: (m) => warnings.push(m) });
  assert.equal(warnings, []);
});

test.run();
