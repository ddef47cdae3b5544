/**
 * FrodLinear.updateLayer called on a layer directly (as a tuner of another library would): its defaults, the
 * trainability it leaves, the dtype of the initial values, and each layer's own dropout stream.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../src/autograd';
import { FrodConfig } from '../../src/frod/config';
import { FrodLinear } from '../../src/frod/layer';
import { getPeftModel } from '../../src/frod/model';
import { Generator, type DType, type Tensor, randn } from '../../src/tensor';
import { roundToHalf } from '../../src/tensor/half';
import { TinyModel } from './helpers';

const Q0 = 'model.layers.0.self_attn.q_proj';
const Q1 = 'model.layers.1.self_attn.q_proj';

const cfg = (extra: ConstructorParameters<typeof FrodConfig>[0] = {}) =>
  new FrodConfig({ targetModules: ['q_proj'], sparseRate: 0.3, progressbar: false, ...extra });

/** The q_proj of block 0 of a FRoD model over a TinyModel (4 features, 2 blocks). */
function q0Of(dtype: DType, extra: ConstructorParameters<typeof FrodConfig>[0] = {}): FrodLinear {
  return getPeftModel(new TinyModel(4, 2, dtype, 3), cfg(extra)).model.getSubmodule(Q0) as FrodLinear;
}

test('updateLayer\'s autocast defaults to true (PEFT\'s autocast_adapter_dtype): over a float16 weight λ and S are float32', () => {
  const layer = q0Of('float16');
  layer.updateLayer('second', layer.categoryOf('default'), cfg());
  assert.is(layer.frodLambdaL.get('second').dtype, 'float32');
  assert.is(layer.frodLambdaSValues.get('second').dtype, 'float32');
});

test('init_weights false over a float16 weight: λ and the S noise are drawn in float16, as PEFT creates them, then kept in float32', () => {
  const layer = q0Of('float16', { initWeights: false });
  for (const values of [layer.frodLambdaL.get('default'), layer.frodLambdaSValues.get('default')]) {
    const data = Float32Array.from(values.data());
    assert.ok(data.some((v) => v !== 0), 'the noise is there');
    assert.equal([...roundToHalf(data.slice(), 'float16')], [...data]); // roundToHalf rounds in place
  }
});

test('re-adding an active adapter leaves it trainable, as PEFT\'s update_layer re-applies set_adapter', () => {
  const layer = q0Of('float64');
  layer.updateLayer('default', layer.categoryOf('default'), cfg());
  assert.is(layer.frodLambdaL.get('default').requiresGrad, true);
  assert.is(layer.frodLambdaSValues.get('default').requiresGrad, true);
});

test('each layer draws its own dropout masks: two identical layers differ in training and agree in eval', () => {
  const model = new TinyModel(4, 2, 'float64', 3);
  const [q0, q1] = [Q0, Q1].map((path) => model.getSubmodule(path) as unknown as { weight: Tensor; bias: Tensor });
  noGrad(() => { q1.weight.copy_(q0.weight); q1.bias.copy_(q0.bias); });
  const peft = getPeftModel(model, cfg({ frodDropout: 0.5, initWeights: false }));
  const [a, b] = [Q0, Q1].map((path) => peft.model.getSubmodule(path) as FrodLinear);
  noGrad(() => {
    b.frodLambdaL.get('default').copy_(a.frodLambdaL.get('default'));
    b.frodLambdaSValues.get('default').copy_(a.frodLambdaSValues.get('default'));
  });
  const x = randn([8, 4], { dtype: 'float64', generator: new Generator(9) });
  peft.eval();
  assert.equal(noGrad(() => b.forward(x)).data(), noGrad(() => a.forward(x)).data(), 'the same layer twice');
  peft.train();
  assert.not.equal(noGrad(() => b.forward(x)).data(), noGrad(() => a.forward(x)).data());
});

test.run();
