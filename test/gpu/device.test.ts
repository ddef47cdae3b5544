/**
 * The gpu device as a device: placement, results staying on the device (no download between ops), the kernel
 * cache, PyTorch's device-mixing error from every op family, float32-only errors, and the backend named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { GPU } from 'gpu.js';
import { full, randn, sparseMm, stack, tensor, where, zeros, type Tensor } from '../../src/tensor';
import { gpu, GpuStorage } from '../../src/tensor/gpu';
import { assertOnGpu, ints, normal, runs, seedArb, shapeArb } from './util';

test.before(() => {
  gpu.configure({ mode: 'gpu' });
});

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

test('tensors reach the device through to(), creation options and *Like/new* helpers', () => {
  fc.assert(fc.property(shapeArb(0, 3), seedArb, (shape, seed) => {
    const host = normal(shape, seed);
    const moved = host.to('gpu');
    assertOnGpu(moved, 'to(gpu)');
    assert.equal(Array.from(moved.data()), Array.from(host.data()), 'values survive the round trip');
    assertOnGpu(randn(shape, { device: 'gpu' }), 'randn device option');
    assertOnGpu(zeros(shape, { device: 'gpu' }), 'zeros device option');
    assertOnGpu(moved.onesLike(), 'onesLike');
    assertOnGpu(moved.newZeros([2]), 'newZeros');
    const back = moved.to('cpu');
    assert.is(back.device, 'cpu');
    assert.equal(Array.from(back.data()), Array.from(host.data()));
  }), runs(10));
  const labels = tensor([0, 3, 16777216, -16777216], { dtype: 'int32', device: 'gpu' });
  assert.is(labels.dtype, 'int32');
  assert.equal(Array.from(labels.data()), [0, 3, 16777216, -16777216], 'int32 values up to 2^24 are exact');
  const below = tensor([0, 3, 16777214, -16777215], { dtype: 'int32', device: 'gpu' });
  assert.equal(Array.from(below.add(1).sub(1).data()), [0, 3, 16777214, -16777215], 'int32 arithmetic is exact below 2^24');
});

test('results of ops stay in device storages; nothing is read back until data()', () => {
  const x = randn([8, 16], { device: 'gpu' });
  const w = randn([16, 4], { device: 'gpu' }).requiresGrad_();
  const idx = tensor([1, 0, 3], { dtype: 'int32', device: 'gpu' });
  gpu.resetStats();
  const steps: Tensor[] = [];
  let h = x.matmul(w);
  steps.push(h);
  h = h.add(w.sum(0)).gelu(); steps.push(h);
  h = h.softmax(1).log(); steps.push(h);
  h = h.indexSelect(1, idx).transpose(0, 1).contiguous(); steps.push(h);
  const loss = h.square().mean(); steps.push(loss);
  loss.backward();
  steps.push(w.grad as Tensor);
  for (const [i, t] of steps.entries()) {
    assertOnGpu(t, `step ${i}`);
    const storage = t.storage as GpuStorage;
    assert.is(storage.residency, gpu.isAccelerated() ? 'texture' : 'typed-array');
  }
  const stats = gpu.stats();
  assert.is(stats.downloads, 0, 'no download during forward and backward');
  assert.ok(stats.kernelRuns > 10);
  loss.item();
  assert.is(gpu.stats().downloads, 1, 'item() reads one buffer back');
});

test('kernels compile once per signature and are reused', () => {
  const a = randn([5, 7], { device: 'gpu' });
  const b = randn([7, 3], { device: 'gpu' });
  a.matmul(b).exp().sum(1);
  const compiled = gpu.stats().kernelsCompiled;
  const runsBefore = gpu.stats().kernelRuns;
  randn([5, 7], { device: 'gpu' }).matmul(randn([7, 3], { device: 'gpu' })).exp().sum(1);
  assert.is(gpu.stats().kernelsCompiled, compiled, 'same shapes: no new kernel');
  assert.ok(gpu.stats().kernelRuns > runsBefore);
  a.narrow(0, 1, 3).exp();
  a.narrow(0, 2, 3).exp();
  const afterFirstSlice = gpu.stats().kernelsCompiled;
  a.narrow(0, 0, 3).exp();
  assert.is(gpu.stats().kernelsCompiled, afterFirstSlice, 'slices at other offsets share a kernel');
});

test('the kernel cache is bounded on typed-array backends; results of evicted kernels stay valid', () => {
  if (gpu.isAccelerated()) return; // GL kernels are never evicted (they share textures with their results)
  const first = randn([1], { device: 'gpu' }).exp();
  const expected = Array.from(first.data());
  for (let n = 2; n < 300; n++) randn([n], { device: 'gpu' }).exp();
  assert.ok(gpu.cachedKernels() <= 256, `${gpu.cachedKernels()} kernels cached`);
  assert.equal(Array.from(first.data()), expected);
});

test('mixing devices in one op is PyTorch\'s error naming both devices', () => {
  const g = randn([3, 3], { device: 'gpu' });
  const c = randn([3, 3]);
  const gi = tensor([0, 2], { dtype: 'int32', device: 'gpu' });
  const ci = tensor([0, 2], { dtype: 'int32' });
  const cases: [string, () => unknown][] = [
    ['add', () => g.add(c)],
    ['add (cpu first)', () => c.add(g)],
    ['mul', () => g.mul(c)],
    ['pow', () => g.pow(c)],
    ['maximum', () => g.maximum(c)],
    ['eq', () => g.eq(c)],
    ['matmul', () => g.matmul(c)],
    ['where (cpu condition)', () => where(c.gt(0), g, g)],
    ['where (cpu branch)', () => where(g.gt(0), g, c)],
    ['indexSelect (cpu index)', () => g.indexSelect(0, ci)],
    ['indexAdd (cpu source)', () => g.indexAdd(0, gi, c.narrow(0, 0, 2))],
    ['gather (cpu index)', () => g.gather(1, ci.reshape([1, 2]).expand([3, 2]))],
    ['scatterAdd (cpu src)', () => g.scatterAdd(1, gi.reshape([1, 2]).expand([3, 2]), c)],
    ['sparseMm (cpu dense)', () => sparseMm(gi.reshape([1, 2]).expand([2, 2]), g.narrow(0, 0, 1).reshape([3]).narrow(0, 0, 2), [3, 3], c)],
    ['cat', () => g.cat([c])],
    ['stack', () => stack([g, c])],
    ['copy_', () => g.clone().copy_(c)],
  ];
  for (const [what, fn] of cases) {
    const message = errorOf(fn);
    assert.ok(message.includes('expected all tensors to be on the same device'), `${what}: got '${message}'`);
    assert.ok(message.includes('gpu') && message.includes('cpu'), `${what}: names both devices: '${message}'`);
  }
});

test('float64 on the gpu is a clear error; float32 and int32 are accepted', () => {
  const double = randn([2, 2], { dtype: 'float64' });
  const cases: [string, () => unknown][] = [
    ['to(gpu) of float64', () => double.to('gpu')],
    ['double() on gpu', () => randn([2], { device: 'gpu' }).double()],
    ['to(float64) on gpu', () => randn([2], { device: 'gpu' }).to('float64')],
    ['creation', () => full([2], 1, { dtype: 'float64', device: 'gpu' })],
    ['tensor()', () => tensor([1, 2], { dtype: 'float64', device: 'gpu' })],
  ];
  for (const [what, fn] of cases) {
    assert.ok(errorOf(fn).includes('gpu device supports float32 only'), `${what}: got '${errorOf(fn)}'`);
  }
  assert.ok(errorOf(() => tensor([2 ** 24 + 1], { dtype: 'int32', device: 'gpu' })).includes('exact to ±2^24'));
  // full keeps a host mirror of int32 values: beyond 2^24 the device would hold a different value than the mirror.
  assert.ok(errorOf(() => full([2], 2 ** 24 + 1, { dtype: 'int32', device: 'gpu' })).includes('exact to ±2^24'));
  assert.ok(errorOf(() => full([2], -(2 ** 24) - 1, { dtype: 'int32', device: 'gpu' })).includes('exact to ±2^24'));
  assert.equal(full([2], 2 ** 24, { dtype: 'int32', device: 'gpu' }).add(0).toArray(), [2 ** 24, 2 ** 24]);
  assert.is(randn([2], { device: 'gpu' }).to('int32').dtype, 'int32');
});

test('the backend is named, can be forced, and webgpu/unknown modes are refused', () => {
  const auto = gpu.backend();
  assert.is(auto, gpu.availableBackends()[0], 'auto picks gpu.js\'s first choice');
  assert.ok(['headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'].includes(auto));
  assert.is(gpu.isAvailable(), true);
  assert.is(gpu.isAccelerated(), ['headlessgl', 'webgl2', 'webgl'].includes(auto));
  assert.is(GPU.isHeadlessGLSupported, gpu.availableBackends().includes('headlessgl'));
  const before = randn([4], { device: 'gpu' }).mul(2);
  assert.is(gpu.configure({ mode: 'cpu' }), 'cpu');
  assert.is(gpu.backend(), 'cpu');
  const onCpuBackend = randn([4], { device: 'gpu' }).exp();
  assertOnGpu(onCpuBackend, 'gpu tensor on the gpu.js cpu backend');
  if (!gpu.isAccelerated()) {
    assert.equal(Array.from(before.add(1).data()), Array.from(before.data()).map((v) => Math.fround(v + 1)), 'earlier typed-array tensors stay usable');
  }
  assert.ok(errorOf(() => gpu.configure({ mode: 'webgpu' })).includes('asynchronous-only'));
  assert.is(gpu.backend(), 'cpu', 'a refused mode leaves the backend as it was');
  assert.ok(errorOf(() => gpu.configure({ mode: 'vulkan' as 'cpu' })).includes("unknown mode 'vulkan'"));
  gpu.configure({ mode: 'gpu' });
  assert.is(gpu.backend(), auto);
});

test('NaN and infinities propagate as on the cpu (typed-array backends; GLSL leaves them to the driver)', () => {
  if (gpu.isAccelerated()) return;
  const special = tensor([NaN, Infinity, -Infinity, 0, -0, 1.5, -2, 3e38]);
  const other = tensor([1, NaN, 2, -Infinity, 0, NaN, -2, 3e38]);
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['relu', (a) => a.relu()], ['abs', (a) => a.abs()], ['sign', (a) => a.sign()], ['exp', (a) => a.exp()],
    ['sigmoid', (a) => a.sigmoid()], ['tanh', (a) => a.tanh()], ['log1p', (a) => a.log1p()], ['expm1', (a) => a.expm1()],
    ['square', (a) => a.square()], ['maximum', (a, b) => a.maximum(b)], ['minimum', (a, b) => a.minimum(b)],
    ['pow', (a, b) => a.pow(b)], ['div', (a, b) => a.div(b)], ['eq', (a, b) => a.eq(b)], ['lt', (a, b) => a.lt(b)],
    ['amax', (a) => a.amax()], ['argmax', (a) => a.argmax()], ['argmin', (a, b) => b.argmin()], ['sum', (a) => a.sum()],
  ];
  for (const [what, fn] of ops) {
    const onCpu = Array.from(fn(special, other).data());
    const onGpu = Array.from(fn(special.to('gpu'), other.to('gpu')).data());
    onCpu.forEach((v, i) => {
      const g = onGpu[i];
      const same = Number.isFinite(v) ? Math.abs(g - v) <= 1e-6 * Math.abs(v) : Object.is(g, v);
      assert.ok(same, `${what}[${i}]: gpu ${g}, cpu ${v}`);
    });
  }
});

test('index checks happen before kernels run, with the cpu device\'s messages', () => {
  const x = randn([2, 5], { device: 'gpu' });
  assert.ok(errorOf(() => x.indexSelect(1, tensor([5], { dtype: 'int32', device: 'gpu' }))).includes('index 5 is out of bounds for dimension with size 5'));
  assert.ok(errorOf(() => x.gather(1, tensor([[0], [-1]], { dtype: 'int32', device: 'gpu' }))).includes('index -1 is out of bounds'));
  const made = ints([4], 9, 0, 5).to('gpu');
  assert.equal(Array.from(x.indexSelect(1, made).to('cpu').data()), Array.from(x.to('cpu').indexSelect(1, made.to('cpu')).data()));
});

test.run();
