/**
 * Every golden case of ../shared/golden (PyTorch float64 reference): V and λ of a fresh adapter, λ from the
 * file's V, merged weights, forward outputs and gradients of λ, S values and the input — through the
 * functional API and through the Module-level API, in float64 (~1e-10) and float32 (~1e-5).
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '../../src/tensor';
import { freshCategoryStates } from '../../src/frod/basis';
import { FrodConfig } from '../../src/frod/config';
import { readAdapterDir } from '../../src/frod/checkpoint';
import { prepareBasis, decomposeWeight } from '../../src/frod/decompose';
import { initAdapterFromWeights, mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { lambdaKey, projectionKey, sValuesKey } from '../../src/frod/keys';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { PeftModel } from '../../src/peft/peftModel';
import { tensorToMat, weightMatrix } from '../../src/frod/weights';
import { GOLDEN, assertClose, assertColumnsSignFree, goldenCases, moduleFromStateDict } from './helpers';
import { requireGoldenCases } from '../util/golden';

const cases = goldenCases();
requireGoldenCases(cases.map((c) => c.name), GOLDEN);
const F64 = 1e-10;
const F32 = 1e-5;

/**
 * The float64 tolerance for results built on U from the file's (float32-rounded) V. On the svd path V's
 * null-space columns are only orthogonal to the rows of W up to float32 rounding, so their λ are ~1e-8
 * instead of 0 and U's columns there are rounding noise divided by λ: any two correct implementations agree
 * only to ~ε·max(λ)/min(λ). Everywhere else (qr-eig) this is 1e-10.
 */
function float64Tolerance(c: { expected: Record<string, Tensor> }, m: string): number {
  const lambda = Array.from(c.expected[`${m}.lambda_from_file_v`].data()).filter((x) => x > 1e-12);
  const spread = Math.max(...lambda) / Math.min(...lambda);
  return Math.max(F64, 10 * 2.220446049250313e-16 * spread);
}

/** The base state dict cast to float64. */
function base64(base: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v.to('float64')]));
}

for (const c of cases) {
  const adapter = readAdapterDir(join(c.dir, 'adapter'));
  const config = adapter.config.with({ progressbar: false });
  const conv1d = c.info.fan_in_fan_out;

  test(`${c.name}: target selection and categories match the reference`, () => {
    const weights = weightsFromStateDict(c.base, config);
    assert.equal([...weights.keys()], [...c.info.targets].sort());
  });

  test(`${c.name}: a fresh adapter's V (sign-free) and λ match v_init and lambda_init (float64, functional)`, () => {
    const fresh = initAdapterFromWeights(weightsFromStateDict(base64(c.base), config), config, { progress: false });
    for (const [category, info] of Object.entries(c.info.categories)) {
      const v = fresh[projectionKey(category)];
      const rows = info.modules.reduce((sum, m) => sum + weightMatrix({ weight: c.base[`${m}.weight`], fanInFanOut: conv1d }, m).rows, 0);
      const columns = info.path === 'svd' ? Math.min(rows, info.in) : info.in;
      assertColumnsSignFree(v.data(), c.expected[`${category}.v_init`].data(), info.in, columns, F64, `${c.name}/${category} V`);
      for (const m of info.modules) {
        assertClose(fresh[lambdaKey(m)].data(), c.expected[`${m}.lambda_init`].data(), F64, `${m} λ_init`);
        assert.ok(fresh[sValuesKey(m)].data().every((x) => x === 0), 'S starts at zero');
      }
    }
  });

  test(`${c.name}: λ from the file's V matches lambda_from_file_v`, () => {
    for (const [category, info] of Object.entries(c.info.categories)) {
      const basis = prepareBasis(tensorToMat(adapter.tensors[projectionKey(category)], 'V'));
      for (const m of info.modules) {
        const { lambda } = decomposeWeight(basis, weightMatrix({ weight: c.base[`${m}.weight`].to('float64'), fanInFanOut: conv1d }, m));
        assertClose(lambda, c.expected[`${m}.lambda_from_file_v`].data(), F64, `${m} λ from file V`);
      }
    }
  });

  test(`${c.name}: merged weights match (functional; float64 and float32)`, () => {
    for (const [base, tol] of [[base64(c.base), F64], [c.base, F32]] as const) {
      const merged = mergeWeightsWithAdapter(weightsFromStateDict(base, config), adapter.tensors, config);
      for (const m of c.info.targets) {
        const w = merged.get(`${m}.weight`) as Tensor;
        assert.equal(w.shape, c.base[`${m}.weight`].shape);
        assert.is(w.dtype, base[`${m}.weight`].dtype);
        const limit = tol === F64 ? float64Tolerance(c, m) : tol;
        assertClose(w.data(), c.expected[`${m}.merged_weight`].data(), limit, `${m} merged (${w.dtype})`);
      }
    }
  });

  test(`${c.name}: loaded adapter — forward, gradients and merge match (Module API, float64 and float32)`, () => {
    for (const [dtype, precision] of [['float64', F64], ['float32', F32]] as const) {
      const peft = PeftModel.fromPretrained(moduleFromStateDict(c.base, dtype, conv1d), join(c.dir, 'adapter'), { isTrainable: true });
      for (const m of c.info.targets) {
        const tol = dtype === 'float64' ? float64Tolerance(c, m) : precision;
        const layer = peft.baseModel.model.getSubmodule(m);
        assert.instance(layer, FrodLinear);
        const frod = layer as FrodLinear;
        const x = c.expected[`${m}.x`].to(dtype).detach().requiresGrad_(true);
        const y = frod.forward(x);
        assertClose(y.data(), c.expected[`${m}.y`].data(), tol, `${m} y (${dtype})`);
        y.mul(c.expected[`${m}.grad_y`].to(dtype)).sum().backward();
        assertClose((x.grad as Tensor).data(), c.expected[`${m}.grad_x`].data(), tol, `${m} grad x`);
        assertClose((frod.frodLambdaL.get('default').grad as Tensor).data(), c.expected[`${m}.grad_lambda`].data(), tol, `${m} grad λ`);
        assertClose((frod.frodLambdaSValues.get('default').grad as Tensor).data(), c.expected[`${m}.grad_s_values`].data(), tol, `${m} grad S`);
      }
      const merged = peft.mergeAndUnload();
      for (const m of c.info.targets) {
        const tol = dtype === 'float64' ? float64Tolerance(c, m) : precision;
        const w = merged.getSubmodule(m) as unknown as { weight: Tensor };
        assertClose(w.weight.data(), c.expected[`${m}.merged_weight`].data(), tol, `${m} merged via mergeAndUnload (${dtype})`);
      }
    }
  });

  test(`${c.name}: getPeftModel computes the reference V and λ (float64 model)`, () => {
    const peft = getPeftModel(moduleFromStateDict(c.base, 'float64', conv1d), config.with({ fanInFanOut: conv1d }));
    for (const [category, info] of Object.entries(c.info.categories)) {
      for (const m of info.modules) {
        const layer = peft.baseModel.model.getSubmodule(m) as FrodLinear;
        const state = layer.categoryOf('default');
        assert.is(state.name, category);
        assert.is(state.source, info.path);
        const columns = info.path === 'svd' ? Math.min(state.spectrum?.length ?? 0, info.in) : info.in;
        assertColumnsSignFree(state.v.data, c.expected[`${category}.v_init`].data(), info.in, columns, F64, `${category} V`);
        assertClose(layer.frodLambdaL.get('default').data(), c.expected[`${m}.lambda_init`].data(), F64, `${m} λ_init`);
      }
    }
  });
}

test('golden: the spectra (μ ascending, or singular values descending) match the reference', () => {
  for (const c of cases) {
    const config = new FrodConfig({ targetModules: c.info.targets, progressbar: false, fanInFanOut: c.info.fan_in_fan_out });
    const weights = weightsFromStateDict(base64(c.base), config);
    const mats = new Map([...weights].map(([p, b]) => [p, weightMatrix(b, p)]));
    for (const state of freshCategoryStates([...weights.keys()], mats, config, { dtype: 'float64', progress: false })) {
      const expected = c.expected[`${state.name}.spectrum`].data();
      assertClose(state.spectrum as Float64Array, expected, F64, `${c.name}/${state.name} spectrum`);
    }
  }
});

test.run();
