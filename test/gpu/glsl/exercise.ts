/**
 * Child process of glsl.test.ts (run with the fake 'gl' preloaded): runs every gpu kernel generator on the
 * headless-gl backend over a spread of layouts, then prints the fragment shaders gpu.js produced as JSON.
 * Values are meaningless here (nothing is drawn); what matters is that every kernel transpiles.
 */
import { full, randn, sparseMm, tensor, where, type Tensor } from '../../../src/tensor';
import { gpu } from '../../../src/tensor/gpu';

function exercise(shaders: string[]): void {
  gpu.configure({ mode: 'headlessgl' });
  const failures: string[] = [];
  function attempt(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      failures.push(`${what}: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  const x = randn([3, 4], { device: 'gpu' });
  const y = randn([4, 5], { device: 'gpu' });
  const b = randn([2, 3, 4], { device: 'gpu' });
  const i32 = tensor([1, 0, 1], { dtype: 'int32', device: 'gpu' });
  const unary = ['neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'erf',
    'square', 'reciprocal', 'log1p', 'expm1', 'floor', 'ceil', 'round'] as const;
  for (const op of unary) attempt(op, () => (x as unknown as Record<string, () => Tensor>)[op]());
  attempt('gelu', () => x.gelu());
  attempt('gelu tanh', () => x.gelu('tanh'));
  attempt('relu grad step', () => x.requiresGrad_().relu().sum().backward());
  for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
    attempt(op, () => (b as unknown as Record<string, (o: Tensor) => Tensor>)[op](x));
    attempt(`${op} transposed`, () => (x.t() as unknown as Record<string, (o: Tensor) => Tensor>)[op](x.t().exp()));
  }
  attempt('int pow', () => i32.pow(i32));
  attempt('int to float, float to int', () => i32.to('float32').add(x.to('int32').sum()));
  attempt('where', () => where(x.gt(0), x, 0.5));
  attempt('full', () => full([7], -Infinity, { device: 'gpu' }));
  attempt('sum/amax/argmax', () => [b.sum(1), b.amax([0, 2]), b.argmax(2), b.argmin(), randn([2, 3000], { device: 'gpu' }).sum(1)]);
  attempt('matmul', () => [x.matmul(y), b.matmul(y), y.t().matmul(x.t()), randn([9, 130], { device: 'gpu' }).matmul(randn([130, 3], { device: 'gpu' }))]);
  attempt('softmax', () => b.softmax(1).logSoftmax(2));
  attempt('gather/scatterAdd', () => x.gather(1, i32.reshape([1, 3]).expand([3, 3]).contiguous()).sum());
  attempt('scatterAdd', () => x.scatterAdd(1, i32.reshape([1, 3]).expand([3, 3]).contiguous(), randn([3, 3], { device: 'gpu' })));
  attempt('indexSelect/indexAdd', () => [b.indexSelect(1, i32), b.indexAdd(1, i32, randn([2, 3, 4], { device: 'gpu' }))]);
  attempt('sparseMm', () => sparseMm(tensor([[0, 1, 2], [1, 1, 3]], { dtype: 'int32', device: 'gpu' }), randn([3], { device: 'gpu' }), [3, 4], y));
  attempt('sparseMm grad', () => {
    const v = randn([3], { device: 'gpu' }).requiresGrad_();
    sparseMm(tensor([[0, 1, 2], [1, 1, 3]], { dtype: 'int32', device: 'gpu' }), v, [3, 4], y.t().t()).sum().backward();
  });
  attempt('copy', () => [b.permute([2, 0, 1]).contiguous(), b.slice(2, 0, undefined, 2).contiguous(), x.flip(0)]);

  console.log(JSON.stringify({ backend: gpu.backend(), failures, shaders: [...new Set(shaders)], fallbacks: gpu.fallbackReasons() }));
}

// Only under the fake context (a test runner scanning the folder may load this file too: then nothing runs).
const recorded = (globalThis as unknown as { __fakeGlShaders?: string[] }).__fakeGlShaders;
if (recorded !== undefined) exercise(recorded);
