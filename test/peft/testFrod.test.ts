/**
 * PEFT's tests/test_frod.py (class TestFrod) and the TestFrodInitialization tests of tests/test_initialization.py,
 * replayed on frod-ts with the same models (test/peft/models.ts). Each test names the PEFT test it replays.
 *
 * Not replayed here: test_frod_autocast_keeps_frozen_u_in_base_dtype and the float16/bfloat16 rows of
 * test_frod_dtypes (half precision is issue 10 item 12, done separately).
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodLinear } from '../../src/frod/layer';
import { loadSafetensors } from '../../src/nn/io';
import { getPeftModel } from '../../src/frod/model';
import { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { Generator, randn, sparseMm, tensor } from '../../src/tensor';
import { TinyModel } from '../frod/helpers';
import { FrodMLP, InitMLP, assertAllclose, assertNotAllclose, frodConfig, run, withTempDir } from './models';

const layer = (peft: PeftModel, path: string) => peft.model.getSubmodule(path) as FrodLinear;
const inputs = (seed: string) => randn([5, 10], { generator: new Generator(seed) });


/** The `mlp_same_prng` fixture: lin1 and lin2 adapted twice ("default" and "other") with the same key. */
function mlpSamePrng(): PeftModel {
  const peft = getPeftModel(new FrodMLP(), frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false }));
  peft.addAdapter('other', frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false }));
  return peft;
}

test('test_frod.py::TestFrod::test_multiple_adapters_save_load_save_projection_false — two adapters without projections reload to the same outputs', () => {
  withTempDir((dir) => catchWarnings(() => {
    const config = () => frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false, saveProjection: false });
    const peft = getPeftModel(new FrodMLP(), config(), 'first');
    peft.addAdapter('second', config());
    peft.eval();
    const x = inputs('save-projection-false');
    peft.setAdapter('first');
    const first = run(peft, x);
    peft.setAdapter('second');
    const second = run(peft, x);
    assertNotAllclose(first, second, 'first vs second adapter', 1e-3, 1e-3);

    peft.savePretrained(dir);
    const loaded = PeftModel.fromPretrained(new FrodMLP(), join(dir, 'first'), { adapterName: 'first' });
    loaded.loadAdapter(join(dir, 'second'), 'second');
    loaded.eval();
    loaded.setAdapter('first');
    assertAllclose(run(loaded, x), first, 'first after reload', 1e-3, 1e-3);
    loaded.setAdapter('second');
    assertAllclose(run(loaded, x), second, 'second after reload', 1e-3, 1e-3);
  }));
});

test('test_frod.py::TestFrod::test_save_projection_false_contains_no_frod_projection_tensors — no V, pattern, size or U in the file', () => {
  withTempDir((dir) => {
    const peft = getPeftModel(new FrodMLP(), frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false, saveProjection: false }));
    catchWarnings(() => peft.savePretrained(dir));
    const keys = Object.keys(loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors);
    assert.ok(keys.length > 0, 'the file holds λ and the S values');
    for (const part of ['frod_V', 'frod_s_indices', 'frod_s_size', 'frod_U']) {
      assert.not.ok(keys.some((k) => k.includes(part)), `no key contains ${part}`);
    }
  });
});

test('test_frod.py::TestFrod::test_save_projection_true_contains_top_level_projection_tensors_only — V, pattern and size once per category at base_model level', () => {
  withTempDir((dir) => {
    getPeftModel(new FrodMLP(), frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false })).savePretrained(dir);
    const keys = Object.keys(loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors);
    for (const key of ['base_model.frod_V.lin1', 'base_model.frod_s_indices.lin1', 'base_model.frod_s_size.lin1', 'base_model.frod_V.lin2']) {
      assert.ok(keys.includes(key), `${key} is saved`);
    }
    assert.not.ok(keys.some((k) => k.includes('.model.lin1.frod_V')), 'no per-layer copy of V');
    assert.not.ok(keys.some((k) => k.includes('frod_U')), 'U is never saved');
  });
});

test('test_frod.py::TestFrod::test_frod_default_initialization_reconstructs_base_weight — outputs kept, λ > 0, S = 0, ΔW ≈ 0', () => {
  const base = new FrodMLP().eval();
  const x = inputs('default-init');
  const expected = run(base, x);
  const peft = getPeftModel(base, frodConfig({ targetModules: ['lin1', 'lin2'] })).eval();
  assertAllclose(run(peft, x), expected, 'outputs of a fresh adapter', 1e-4, 1e-4);
  for (const path of ['lin1', 'lin2']) {
    const module = layer(peft, path);
    const lambda = module.frodLambdaL.get('default');
    assert.ok(lambda.pow(2).sum().item() > 0, `${path}: λ has a norm > 0`);
    assert.ok(module.frodLambdaSValues.get('default').data().every((v) => v === 0), `${path}: every S value is 0`);
    const delta = module.getDeltaWeight('default');
    assertAllclose(delta, new Float64Array(delta.numel()), `${path}: ΔW`, 1e-4, 0);
  }
});

test('test_frod.py::TestFrod::test_frod_projection_buffers_share_memory_with_layers — adapters of a category share one V and pattern; categories do not', () => {
  const peft = mlpSamePrng();
  const lin1 = layer(peft, 'lin1');
  assert.ok(lin1.categoryOf('default').v === lin1.categoryOf('other').v, 'lin1: one V for both adapters');
  assert.ok(lin1.categoryOf('default').pattern === lin1.categoryOf('other').pattern, 'lin1: one pattern for both adapters');
  assert.ok(lin1.categoryOf('default').tensors('float32').v === lin1.categoryOf('other').tensors('float32').v, 'lin1: one V tensor');
  assert.ok(lin1.categoryOf('default').v !== layer(peft, 'lin2').categoryOf('default').v, 'lin1 and lin2 have their own V');
});

test('test_initialization.py::TestFrodInitialization::test_frod_multiple_adapters_same_prng_share_projection_buffers — the same for lin1 and lin2', () => {
  const peft = getPeftModel(new InitMLP(), frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false }));
  peft.addAdapter('other', frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false }));
  for (const path of ['lin1', 'lin2']) {
    const module = layer(peft, path);
    assert.ok(module.categoryOf('default').v === module.categoryOf('other').v, `${path}: shared V`);
    assert.ok(module.categoryOf('default').pattern === module.categoryOf('other').pattern, `${path}: shared pattern`);
  }
});

test('test_frod.py::TestFrod::test_frod_sparse_activation_matches_dense_and_gradients — z Sᵀ through the sparse product equals the dense one, gradients too', () => {
  // The product FrodLinear.adapterOutput computes: sparseMm(indices, S values, (n, n), zᵀ)ᵀ = z Sᵀ.
  const indices = tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 2], { shape: [2, 5], dtype: 'int32' });
  const rows = [0, 1, 2, 3, 0];
  const cols = [1, 2, 3, 0, 2];
  const values = tensor([0.5, -0.25, 1.5, 0.75, -1.0], { requiresGrad: true });
  const z = randn([3, 4], { generator: new Generator('sparse-activation') }).requiresGrad_(true);
  const actual = sparseMm(indices, values, [4, 4], z.t()).t();
  actual.pow(2).sum().backward();

  const zDense = z.detach().clone().requiresGrad_(true);
  const valuesDense = values.detach().clone().requiresGrad_(true);
  // dense S = Σ_k values[k]·E_k with E_k the one-hot (rows[k], cols[k]) matrix, so gradients reach the values.
  const oneHots = tensor(rows.flatMap((r, k) => Array.from({ length: 16 }, (_, i) => (i === r * 4 + cols[k] ? 1 : 0))), { shape: [5, 16] });
  const dense = valuesDense.reshape(1, 5).matmul(oneHots).reshape(4, 4);
  const expected = zDense.matmul(dense.t());
  expected.pow(2).sum().backward();

  assertAllclose(actual, expected, 'z Sᵀ', 1e-6, 1e-6);
  assertAllclose(values.grad!, valuesDense.grad!, 'gradient of the S values', 1e-5, 1e-5);
  assertAllclose(z.grad!, zDense.grad!, 'gradient of z', 1e-5, 1e-5);
});

test('test_frod.py::TestFrod::test_frod_categories_with_common_llama_targets — q_proj and v_proj of a LLaMA-like model form self_attn_q_proj and self_attn_v_proj', () => {
  const peft = getPeftModel(new TinyModel(4, 2, 'float32', 0), frodConfig({ targetModules: ['q_proj', 'v_proj'] }));
  const categories = new Set(peft.model.namedModules().filter(([, m]) => m instanceof FrodLinear)
    .map(([, m]) => (m as FrodLinear).categoryOf('default').name));
  assert.equal([...categories].sort(), ['self_attn_q_proj', 'self_attn_v_proj']);
});

test('test_frod.py::TestFrod::test_frod_lambda_dont_share_memory — λ and S values are separate tensors per adapter and per layer', () => {
  const peft = mlpSamePrng();
  const [lin1, lin2] = [layer(peft, 'lin1'), layer(peft, 'lin2')];
  for (const dict of ['frodLambdaSValues', 'frodLambdaL'] as const) {
    assert.ok(lin1[dict].get('default').storage !== lin1[dict].get('other').storage, `${dict}: default vs other`);
    assert.ok(lin1[dict].get('default').storage !== lin2[dict].get('default').storage, `${dict}: lin1 vs lin2`);
  }
});

test('test_frod.py::TestFrod::test_frod_different_shapes — lin0 (in 10) and lin3 (in 20) get V of their own in × in, and the forward runs', () => {
  const peft = getPeftModel(new FrodMLP(), frodConfig({ targetModules: ['lin0', 'lin3'], initWeights: false }));
  for (const [path, inFeatures] of [['lin0', 10], ['lin3', 20]] as const) {
    const v = layer(peft, path).categoryOf('default').v;
    assert.equal([v.rows, v.cols], [inFeatures, inFeatures], `${path}: V is in × in`);
  }
  assert.equal(run(peft, inputs('different-shapes')).shape, [5, 2]);
});

for (const dtype of ['float32', 'float64'] as const) {
  test(`test_frod.py::TestFrod::test_frod_dtypes[${dtype}] — the output keeps the model's dtype`, () => {
    const peft = getPeftModel(new FrodMLP().to(dtype), frodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false }));
    assert.is(run(peft, inputs('dtypes').to(dtype)).dtype, dtype);
  });
}

const second: [string, Parameters<typeof frodConfig>[0], RegExp][] = [
  ['test_frod_mixing_save_projection_raises', { saveProjection: false }, /saveProjection must be the same for all adapters/],
  ['test_frod_mixing_runtime_offload_base_weight_raises', { runtimeOffloadBaseWeight: true }, /runtimeOffloadBaseWeight must be the same for all adapters/],
  ['test_frod_add_second_adapter_with_different_prng_key_raises', { projectionPrngKey: 123 }, /projectionPrngKey must be the same for all adapters/],
];
for (const [name, options, message] of second) {
  test(`test_initialization.py::TestFrodInitialization::${name} — refused, and the model keeps no trace of it`, () => {
    const peft = getPeftModel(new InitMLP(), frodConfig({ targetModules: ['lin0'], initWeights: false }));
    assert.throws(() => peft.addAdapter('other', frodConfig({ targetModules: ['lin0'], initWeights: false, ...options })), message);
    assert.equal([...peft.peftConfig.keys()], ['default']);
    assert.equal(layer(peft, 'lin0').adapterNames(), ['default']);
  });
}

test.run();
