/**
 * matmul: PyTorch's shape rules (1-D promotion, broadcast batch dims), and the cpu kernels' exactness — each
 * element is the naive k-ordered sum, bit for bit, on the WebAssembly SIMD path and on the JavaScript path.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { matmul, tensor, zeros, type DType, type Tensor } from '../../src/tensor';
import { matmulKernelName, useWasmMatmul } from '../../src/tensor/cpu/matmul';
import { assertClose, assertSameValues, check, randomTensor, sameShape, throwsMatching } from './helpers';
import { testUnless } from '../util/skip';

const wasmAvailable = useWasmMatmul(true);
const PATHS = wasmAvailable ? [true, false] : [false];
/** Without WebAssembly SIMD the "wasm" path is the JavaScript one: testing it again, or against itself, proves nothing. */
const noSimd = wasmAvailable ? null : 'no WebAssembly SIMD here: the JS fallback would only be compared with itself';

/** Naive C = A·B of row-major values: s = s + a·b in k order, rounded by `round` after every op. */
function naiveProduct(
  a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, round: (x: number) => number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s = round(s + round(a[i * k + t] * b[t * n + j]));
      out.push(s);
    }
  }
  return out;
}

const identity = (x: number) => x;

/** The exact result each path promises for `dtype`. */
function expectedProduct(a: Tensor, b: Tensor, m: number, k: number, n: number, wasm: boolean): number[] {
  if (a.dtype === 'float32' && wasm) return naiveProduct(a.data(), b.data(), m, k, n, Math.fround);
  const exact = naiveProduct(a.data(), b.data(), m, k, n, identity);
  if (a.dtype === 'float32') return exact.map(Math.fround); // float64 sums, rounded once
  if (a.dtype === 'int32') return exact.map((v) => v | 0);
  return exact;
}

const dims = fc.record({
  m: fc.integer({ min: 1, max: 23 }),
  k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 530 })), // crosses k-blocks of 256
  n: fc.integer({ min: 1, max: 21 }),
  seed: fc.nat(),
});

for (const wasm of [true, false]) {
  for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
    testUnless(wasm ? noSimd : null, `2-D ${dtype} product is the naive k-ordered sum bit for bit (${wasm ? 'wasm-simd' : 'js'} path)`, () => {
      useWasmMatmul(wasm);
      try {
        assert.is(matmulKernelName(dtype), wasm ? 'wasm-simd' : 'js');
        check(fc.property(dims, ({ m, k, n, seed }) => {
          const a = randomTensor([m, k], seed, dtype, dtype === 'int32' ? [-50, 50] : undefined);
          const b = randomTensor([k, n], seed + 1, dtype, dtype === 'int32' ? [-50, 50] : undefined);
          const c = matmul(a, b);
          sameShape(c, [m, n]);
          assert.is(c.dtype, dtype);
          assertSameValues(c.data(), expectedProduct(a, b, m, k, n, wasm), `${m}x${k}x${n}`);
        }), 15);
      } finally {
        useWasmMatmul(true);
      }
    });
  }
}

testUnless(noSimd, 'float64 products agree bit for bit between the wasm and JavaScript paths, including strided operands', () => {
  check(fc.property(dims, fc.boolean(), ({ m, k, n, seed }, transposed) => {
    // A transposed A (column-major walk) and a column slice of B exercise the strided packing.
    const a = transposed ? randomTensor([k, m], seed).t() : randomTensor([m, k], seed);
    const b = randomTensor([k, 2 * n], seed + 1).slice(1, 0, 2 * n, 2);
    useWasmMatmul(true);
    const viaWasm = matmul(a, b).data();
    useWasmMatmul(false);
    const viaJs = matmul(a, b).data();
    useWasmMatmul(true);
    assertSameValues(viaWasm, viaJs);
    assertSameValues(viaWasm, naiveProduct(a.contiguous().data(), b.contiguous().data(), m, k, n, identity));
  }), 15);
});

test('float32 on integer-valued inputs is exact on every path', () => {
  for (const wasm of PATHS) {
    useWasmMatmul(wasm);
    const a = randomTensor([37, 300], 1, 'float32', [-8, 8], true);
    const b = randomTensor([300, 19], 2, 'float32', [-8, 8], true);
    assertSameValues(matmul(a, b).data(), naiveProduct(a.data(), b.data(), 37, 300, 19, identity));
  }
  useWasmMatmul(true);
});

test('products taller than one C buffer run in row chunks', () => {
  const rows = (1 << 19) + 5; // more than 4M padded C elements with n = 8
  const a = randomTensor([rows, 2], 3, 'float32', [-4, 4], true);
  const b = randomTensor([2, 8], 4, 'float32', [-4, 4], true);
  const c = matmul(a, b).data();
  const ad = a.data(), bd = b.data();
  for (const i of [0, 1, 65535, 131072, rows - 1]) {
    for (let j = 0; j < 8; j++) assert.is(c[i * 8 + j], ad[i * 2] * bd[j] + ad[i * 2 + 1] * bd[8 + j]);
  }
});

test('1-D operands are promoted and the added dim removed, as torch.matmul', () => {
  const v = randomTensor([4], 1), w = randomTensor([4], 2);
  const M = randomTensor([3, 4], 3), N = randomTensor([4, 5], 4), B = randomTensor([2, 4, 5], 5), A3 = randomTensor([2, 3, 4], 6);
  sameShape(matmul(v, w), []);
  assertClose([matmul(v, w).item()], [Array.from(v.data()).reduce((s, x, i) => s + x * w.data()[i], 0)], 1e-12, 1e-12);
  sameShape(matmul(v, N), [5]);
  assertSameValues(matmul(v, N).data(), matmul(v.unsqueeze(0), N).squeeze(0).data());
  sameShape(matmul(M, v), [3]);
  assertSameValues(matmul(M, v).data(), matmul(M, v.unsqueeze(1)).squeeze(1).data());
  sameShape(matmul(v, B), [2, 5]);
  sameShape(matmul(A3, v), [2, 3]);
});

test('batch dims broadcast: every batch is the 2-D product of its slices', () => {
  const batchDims = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean());
  check(fc.property(batchDims, dims, ([p, q, oneA, oneB], { m, n, seed }) => {
    const k = 1 + (seed % 9);
    const a = randomTensor([oneA ? 1 : p, 1, m, k], seed);
    const b = randomTensor([q, k, n], seed + 1);
    const c = matmul(a, b);
    sameShape(c, [oneA ? 1 : p, q, m, n]);
    for (let i = 0; i < c.shape[0]; i++) {
      for (let j = 0; j < q; j++) {
        const expected = matmul(a.select(0, i).select(0, 0), b.select(0, j));
        assertSameValues(c.select(0, i).select(0, j).contiguous().data(), expected.data());
      }
    }
    void oneB;
  }), 20);
});

test('(…, m, k) · (k, n) folds the batch into rows: same values as the batched form', () => {
  const a = randomTensor([3, 2, 5, 7], 1);
  const b = randomTensor([7, 6], 2);
  const folded = matmul(a, b);
  const batched = matmul(a, b.expand(3, 2, 7, 6).contiguous());
  sameShape(folded, [3, 2, 5, 6]);
  assertSameValues(folded.data(), batched.data());
  // A non-contiguous left operand (a transposed batch) is copied, not misread.
  const at = randomTensor([5, 2, 7], 3).transpose(0, 1);
  assertSameValues(matmul(at, b).data(), matmul(at.contiguous(), b).data());
});

test('empty products: k = 0 gives zeros, m = 0 or n = 0 gives empty results', () => {
  assert.equal(matmul(zeros([3, 0]), zeros([0, 2])).toArray(), [[0, 0], [0, 0], [0, 0]]);
  sameShape(matmul(zeros([0, 4]), zeros([4, 2])), [0, 2]);
  sameShape(matmul(zeros([2, 4]), zeros([4, 0])), [2, 0]);
});

test('shape and dtype errors name both operands', () => {
  throwsMatching(() => matmul(zeros([2, 3]), zeros([4, 5])), /^matmul: \(2,3\) and \(4,5\) cannot be multiplied$/);
  throwsMatching(() => matmul(zeros([3]), zeros([4])), /\(3\) and \(4\) cannot be multiplied/);
  throwsMatching(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 1])), /matmul: shapes \(2\) and \(3\) cannot be broadcast/);
  throwsMatching(() => matmul(zeros([2, 3]), zeros([3, 2], { dtype: 'float64' })), /same dtype.*float32 \(2,3\) and float64 \(3,2\)/);
  throwsMatching(() => matmul(tensor(1), zeros([2])), /at least 1 dimension/);
  throwsMatching(() => matmul(zeros([2]), tensor(1)), /^matmul: both arguments need at least 1 dimension, got 1D and 0D$/);
});

test.run();
