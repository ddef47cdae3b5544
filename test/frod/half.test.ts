/**
 * FRoD over float16 / bfloat16 base models, as PEFT runs them: U in the base dtype, λ and S in float32 under
 * autocast_adapter_dtype (in the base dtype without it), outputs in the input's dtype, the adapter file in
 * PEFT's dtypes (V in the base dtype, λ/S F32, indices I64), merged weights = the exact W' rounded once to the
 * base dtype, training with float32 gradients, and a save → load round trip.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { FrodConfig } from '../../src/frod/config';
import { lambdaKey, projectionKey, sIndicesKey, sSizeKey, sValuesKey } from '../../src/frod/keys';
import { initAdapterFromWeights, weightsFromStateDict } from '../../src/frod/functional';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Linear } from '../../src/nn/layers/linear';
import { Module } from '../../src/nn/module';
import { parseSafetensors } from '../../src/nn/io/format';
import { PeftModel } from '../../src/peft/peftModel';
import { Generator, randn, tensor, type Tensor } from '../../src/tensor';
import { type HalfDType, roundToHalf } from '../../src/tensor/half';

/** PEFT's test MLP (tests/test_frod.py): lin0 10→20, relu, lin1 20→20, relu, lin2 20→20, lin3 20→2. */
class MLP extends Module {
  declare lin0: Linear;
  declare lin1: Linear;
  declare lin2: Linear;
  declare lin3: Linear;
  constructor(seed = 0) {
    super();
    const generator = new Generator(seed);
    this.registerModule('lin0', new Linear(10, 20, { generator }));
    this.registerModule('lin1', new Linear(20, 20, { generator }));
    this.registerModule('lin2', new Linear(20, 20, { generator }));
    this.registerModule('lin3', new Linear(20, 2, { generator }));
  }
  override forward(x: Tensor): Tensor {
    const h = this.lin1.forward(this.lin0.forward(x).relu()).relu();
    return this.lin3.forward(this.lin2.forward(h)).logSoftmax(-1);
  }
}

const HALVES: readonly HalfDType[] = ['float16', 'bfloat16'];
const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: ['lin1', 'lin2'], initWeights: false, progressbar: false, ...extra });

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'frod-half-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

function lin1Of(peft: { baseModel: { model: Module } }): FrodLinear {
  return (peft.baseModel.model as MLP).lin1 as unknown as FrodLinear;
}

// Replays PEFT tests/test_frod.py::test_frod_autocast_keeps_frozen_u_in_base_dtype (and its float16 twin).
for (const dtype of HALVES) {
  test(`test_frod_autocast_keeps_frozen_u_in_base_dtype (${dtype}): U ${dtype}, λ and S float32`, () => {
    const layer = lin1Of(getPeftModel(new MLP().to(dtype), cfg()));
    assert.is(layer.frodU.get('default').dtype, dtype);
    assert.is(layer.frodLambdaL.get('default').dtype, 'float32');
    assert.is(layer.frodLambdaSValues.get('default').dtype, 'float32');
  });

  test(`${dtype} with autocastAdapterDtype false: λ and S stay in ${dtype}`, () => {
    const layer = lin1Of(getPeftModel(new MLP().to(dtype), cfg(), 'default', { autocastAdapterDtype: false }));
    assert.is(layer.frodLambdaL.get('default').dtype, dtype);
    assert.is(layer.frodLambdaSValues.get('default').dtype, dtype);
  });

  test(`${dtype}: λ starts at values of the base format (PEFT computes it there before autocast)`, () => {
    const lambda = lin1Of(getPeftModel(new MLP().to(dtype), cfg({ initWeights: true }))).frodLambdaL.get('default').data() as Float32Array;
    assert.equal([...roundToHalf(lambda.slice(), dtype)], [...lambda]);
  });
}

// Replays PEFT tests/test_frod.py::test_frod_dtypes[float32, float16, bfloat16].
for (const dtype of ['float32', ...HALVES] as const) {
  test(`test_frod_dtypes[${dtype}]: the adapted model's output has the input's dtype`, () => {
    const peft = getPeftModel(new MLP().to(dtype), cfg());
    const out = peft.forward(randn([5, 10], { generator: new Generator(1) }).to(dtype)) as Tensor;
    assert.is(out.dtype, dtype);
    assert.ok([...out.data()].every(Number.isFinite));
  });
}

for (const dtype of HALVES) {
  const safe = dtype === 'float16' ? 'F16' : 'BF16';

  test(`${dtype}: the adapter file holds V as ${safe}, λ and S as F32, the pattern as I64 (PEFT's dtypes)`, () => {
    withTempDir((dir) => {
      getPeftModel(new MLP().to(dtype), cfg()).savePretrained(dir);
      const { entries } = parseSafetensors(readFileSync(join(dir, 'adapter_model.safetensors')));
      const dtypeOf = (key: string) => entries.get(key)?.dtype;
      assert.is(dtypeOf(projectionKey('lin1')), safe);
      assert.is(dtypeOf(lambdaKey('lin1')), 'F32');
      assert.is(dtypeOf(sValuesKey('lin1')), 'F32');
      assert.is(dtypeOf(sIndicesKey('lin1')), 'I64');
      assert.is(dtypeOf(sSizeKey('lin1')), 'I64');
    });
  });

  test(`${dtype}: merging writes W' = U (S + diag λ) Vᵀ rounded once to ${dtype}`, () => {
    const peft = getPeftModel(new MLP(2).to(dtype), cfg());
    const layer = lin1Of(peft);
    const before = layer.baseLayer.weight.float();
    const { v, indices } = layer.categoryOf('default').tensors('float64');
    const u = layer.frodU.get('default').double();
    // S + diag λ as a dense float64 matrix, from the layer's own tensors (an independent product of the three).
    const core = new Float64Array(20 * 20);
    const sValues = layer.frodLambdaSValues.get('default').data();
    const idx = indices.data();
    for (let t = 0; t < sValues.length; t++) core[idx[t] * 20 + idx[sValues.length + t]] = sValues[t];
    layer.frodLambdaL.get('default').data().forEach((value, i) => { core[i * 20 + i] += value; });
    const wPrime = u.matmul(tensor(core, { dtype: 'float64', shape: [20, 20] })).matmul(v.t());
    peft.mergeAdapter();
    const merged = layer.baseLayer.weight;
    assert.is(merged.dtype, dtype);
    const expected = roundToHalf(Float32Array.from(wPrime.data()), dtype);
    assert.equal([...merged.data()], [...expected]);
    assert.not.equal([...before.data()], [...merged.data()]);
  });

  test(`${dtype}: a training step gives λ and S float32 gradients and changes the output`, () => {
    const peft = getPeftModel(new MLP(3).to(dtype), cfg());
    const x = randn([8, 10], { generator: new Generator(4) }).to(dtype);
    const before = (peft.forward(x) as Tensor).float();
    const layer = lin1Of(peft);
    const loss = (peft.forward(x) as Tensor).float().exp().mul(randn([8, 2], { generator: new Generator(5) })).sum();
    loss.backward();
    for (const p of [layer.frodLambdaL.get('default'), layer.frodLambdaSValues.get('default')]) {
      assert.is(p.grad?.dtype, 'float32');
      noGrad(() => p.copy_(p.sub(p.grad!.mul(0.5))));
    }
    const after = (peft.forward(x) as Tensor).float();
    assert.not.equal([...before.data()], [...after.data()]);
  });

  test(`${dtype}: save → fromPretrained on the same base gives the same outputs`, () => {
    withTempDir((dir) => {
      const peft = getPeftModel(new MLP(6).to(dtype), cfg());
      peft.eval();
      const x = randn([4, 10], { generator: new Generator(7) }).to(dtype);
      const expected = (peft.forward(x) as Tensor).data();
      peft.savePretrained(dir);
      const loaded = PeftModel.fromPretrained(new MLP(6).to(dtype), dir);
      const layer = lin1Of(loaded);
      assert.is(layer.frodU.get('default').dtype, dtype);
      assert.is(layer.frodLambdaL.get('default').dtype, 'float32');
      assert.equal([...(loaded.forward(x) as Tensor).data()], [...expected]);
    });
  });
}

test('initAdapterFromWeights over a bfloat16 state dict: V bfloat16, λ and S float32 (autocast), λ in base precision', () => {
  const sd = new MLP(8).to('bfloat16').stateDict();
  const config = cfg({ initWeights: true });
  const tensors = initAdapterFromWeights(weightsFromStateDict(sd, config), config);
  assert.is(tensors[projectionKey('lin1')].dtype, 'bfloat16');
  assert.is(tensors[lambdaKey('lin1')].dtype, 'float32');
  assert.is(tensors[sValuesKey('lin1')].dtype, 'float32');
  const lambda = tensors[lambdaKey('lin1')].data() as Float32Array;
  assert.equal([...roundToHalf(lambda.slice(), 'bfloat16')], [...lambda]);
  const off = initAdapterFromWeights(weightsFromStateDict(sd, config), config, { autocastAdapterDtype: false });
  assert.is(off[lambdaKey('lin1')].dtype, 'bfloat16');
});

test.run();
