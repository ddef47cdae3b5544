/**
 * Reading and converting tensors: data(), toArray(), item(), clone(), detach(), to(dtype | device), and a
 * readable toString in PyTorch's style. Device-mismatch errors (with a stand-in gpu storage, so no gpu
 * backend is needed) name both devices.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { arange, cat, matmul, sparseMm, Tensor, tensor, zeros, type DType, type Storage } from '../../src/tensor';
import '../../src/tensor/gpu';
import { toDevice, toDType } from '../../src/tensor/ops/convert';
import { assertSameValues, check, randomTensor, shapeArb, throwsMatching } from './helpers';

test('data() is row-major for any view; toArray() nests it; item() reads one element', () => {
  check(fc.property(shapeArb(3, 4, 2), fc.nat(), (shape, seed) => {
    const x = randomTensor(shape, seed).transpose(0, 1);
    const flat = Array.from(x.data());
    const nestedFlat = (x.toArray() as unknown[]).flat(Infinity) as number[];
    assert.equal(nestedFlat, flat);
    assert.is(flat.length, x.numel());
  }), 20);
  assert.is(tensor([[7]]).item(), 7);
  throwsMatching(() => tensor([1, 2]).item(), /item: a Tensor with 2 elements cannot be converted to a number/);
});

test('to(dtype) converts (float → int32 truncates toward zero), keeps the tensor when the dtype is the same', () => {
  const x = tensor([1.7, -1.7, 2.5, -0.5], { dtype: 'float64' });
  assert.equal(x.to('int32').toArray(), [1, -1, 2, 0]);
  assert.is(x.to('float64'), x);
  assert.equal(x.to('float32').toArray(), [1.7, -1.7, 2.5, -0.5].map(Math.fround));
  assert.is(x.float().dtype, 'float32');
  assert.is(x.int().dtype, 'int32');
  assert.is(x.float().double().dtype, 'float64');
  assert.is(x.to('cpu'), x);
  assert.is(x.cpu(), x);
  throwsMatching(() => x.to('tpu' as 'cpu'), /unknown dtype 'tpu'/);
});

test('clone copies (new storage, same values, in the graph); detach shares storage and leaves the graph', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const c = x.clone();
  assert.not.ok(c.storage === x.storage);
  assert.ok(c.requiresGrad);
  assert.is(c.gradFn?.name, 'CloneBackward');
  const d = x.detach();
  assert.ok(d.storage === x.storage);
  assert.not.ok(d.requiresGrad);
  assert.is(d.gradFn, null);
});

test('copy_, zero_ and fill_ overwrite values in place (broadcasting, casting), and write through views', () => {
  const x = zeros([2, 3], { dtype: 'float64' });
  x.copy_(tensor([1, 2, 3]));
  assert.equal(x.toArray(), [[1, 2, 3], [1, 2, 3]]);
  x.t().select(0, 1).fill_(9); // a strided view of column 1
  assert.equal(x.toArray(), [[1, 9, 3], [1, 9, 3]]);
  x.zero_();
  assert.equal(x.toArray(), [[0, 0, 0], [0, 0, 0]]);
});

test('toString reads like PyTorch: whole floats as "1.", 4 decimals, scientific for wide ranges, summaries', () => {
  assert.is(tensor([[1, 2], [3, 4]]).toString(), 'tensor([[1., 2.],\n        [3., 4.]])');
  assert.is(tensor([1.5, -2]).toString(), 'tensor([ 1.5000, -2.0000])');
  assert.is(tensor([1e-5, 1], { dtype: 'float64' }).toString(), 'tensor([1.0000e-05, 1.0000e+00], dtype=float64)');
  assert.is(tensor([1, 2], { dtype: 'int32' }).toString(), 'tensor([1, 2], dtype=int32)');
  assert.is(tensor(3.25).toString(), 'tensor(3.2500)');
  assert.is(tensor([NaN, Infinity, 1]).toString(), 'tensor([nan, inf,  1.])');
  assert.is(tensor([1, 2], { requiresGrad: true }).toString(), 'tensor([1., 2.], requires_grad=True)');
  assert.is(tensor([1, 2], { requiresGrad: true }).mul(2).toString(), 'tensor([2., 4.], grad_fn=<MulBackward>)');
  assert.is(zeros([0, 3]).toString(), 'tensor([], size=(0, 3))');
  const big = arange(2000).reshape(40, 50).toString();
  assert.ok(big.includes('...'));
  assert.ok(big.split('\n').length === 7, big);
  assert.is(`${tensor([1])}`, 'tensor([1.])');
});

/** A tensor that claims to live on the gpu device (no gpu backend is needed to reach the device checks). */
function onGpu(shape: number[], dtype: DType = 'float32'): Tensor {
  const storage: Storage = { device: 'gpu', dtype, length: shape.reduce((a, b) => a * b, 1) };
  return new Tensor(storage, shape);
}

test('device mismatches throw naming both devices', () => {
  const cpu = zeros([2, 2]);
  const gpu = onGpu([2, 2]);
  throwsMatching(() => cpu.add(gpu), /add: expected all tensors to be on the same device, but found at least two devices, cpu and gpu/);
  throwsMatching(() => matmul(cpu, gpu), /matmul: expected all tensors to be on the same device, but found at least two devices, cpu and gpu/);
  throwsMatching(() => cat([cpu, gpu]), /cat: expected all tensors to be on the same device.*cpu and gpu/);
  throwsMatching(() => cpu.where(cpu.gt(0), gpu), /where: expected all tensors to be on the same device.*cpu and gpu/);
  throwsMatching(() => cpu.indexSelect(0, onGpu([1], 'int32')), /indexSelect: .*cpu and gpu/);
  throwsMatching(() => sparseMm(tensor(Int32Array.from([0, 0]), { shape: [2, 1] }), onGpu([1]), [1, 2], zeros([2, 2])), /^sparseMm: expected all tensors to be on the same device.*cpu and gpu/);
  throwsMatching(() => cpu.copy_(gpu), /^copy_: expected all tensors to be on the same device.*cpu and gpu/);
});

test('to(int32) leaves the graph, as integer tensors cannot require grad in PyTorch; float casts stay in it', () => {
  const x = tensor([1.5, -2], { requiresGrad: true });
  const i = x.to('int32');
  assert.not.ok(i.requiresGrad);
  assert.is(i.gradFn, null);
  assert.is(x.double().gradFn?.name, 'ToCopyBackward');
});

test('to(gpu) is in the graph: the gradient comes back to the cpu leaf', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.to('gpu');
  assert.is(y.gradFn?.name, 'ToCopyBackward');
  y.mul(tensor([1, 10, 100]).to('gpu')).sum().backward();
  assert.is((x.grad as Tensor).device, 'cpu');
  assert.equal((x.grad as Tensor).toArray(), [1, 10, 100]);
});

test('toDType and toDevice called directly refuse an unknown dtype or device, naming to', () => {
  throwsMatching(() => toDType(zeros([1]), 'float8' as DType), /^to: unknown dtype 'float8'/);
  throwsMatching(() => toDevice(zeros([1]), 'tpu' as 'cpu'), /^to: unknown device 'tpu' \(expected 'cpu' or 'gpu'\)$/);
});



test('copy_ on the cpu writes into the storage: earlier views and detached aliases see the new values', () => {
  const p = tensor([[1, 2], [3, 4]]);
  const alias = p.detach();
  const column = p.select(1, 0);
  p.copy_(tensor([[5, 6], [7, 8]], { dtype: 'float64' }));
  assert.equal(alias.toArray(), [[5, 6], [7, 8]]);
  assert.equal(column.toArray(), [5, 7]);
  p.copy_(p.t());
  assert.equal(p.toArray(), [[5, 7], [6, 8]]);
});

test('copy_ into a strided view writes the view\'s elements only, not its neighbours in the storage', () => {
  const base = arange(12).reshape(3, 4).float();
  base.narrow(1, 1, 2).copy_(tensor([[-1, -2], [-3, -4], [-5, -6]]));
  assert.equal(base.toArray(), [[0, -1, -2, 3], [4, -3, -4, 7], [8, -5, -6, 11]]);
});

test('copy_ refuses a source that does not broadcast to the target, naming copy_', () => {
  throwsMatching(() => zeros([2, 2]).copy_(tensor([1, 2, 3])), /^copy_: the expanded size of the tensor \(2\) must match the existing size \(3\)/);
});

test('copy_ on the gpu replaces the values of a tensor that owns its storage (broadcast and cast, as torch)', () => {
  const g = zeros([2, 3]).to('gpu');
  assert.is(g.copy_(tensor([1, 2, 3], { dtype: 'int32' }).to('gpu')), g);
  assert.is(g.dtype, 'float32');
  assert.equal(g.toArray(), [[1, 2, 3], [1, 2, 3]]);
});

test('copy_ on the gpu refuses views (transposed, a leading part, an offset part) with one line', () => {
  const g = zeros([2, 3]).to('gpu');
  const message = /^copy_: writing into a view is only supported on the cpu device \(got gpu\)$/;
  throwsMatching(() => g.t().copy_(zeros([3, 2]).to('gpu')), message);
  throwsMatching(() => g.narrow(0, 0, 1).copy_(zeros([1, 3]).to('gpu')), message);
  throwsMatching(() => g.select(0, 1).copy_(zeros([3]).to('gpu')), message);
  assert.equal(g.toArray(), [[0, 0, 0], [0, 0, 0]]);
});

test.run();
