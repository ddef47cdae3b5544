/** The WebAssembly encoder behind the SIMD matmul kernels: LEB128, module layout, and the SIMD ops it emits. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { encodeModule, i32, op, sleb, uleb, v128 } from '../../src/tensor/cpu/wasm/encode';
import { kernelModuleBytes, loadTileKernels } from '../../src/tensor/cpu/wasm/gemmKernel';
import { testUnless } from '../util/skip';
import { check } from './helpers';

/** Decodes unsigned / signed LEB128 independently of the encoder. */
function decodeLeb(bytes: number[], signed: boolean): number {
  let result = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) {
      if (signed && byte & 0x40) result -= 1n << shift;
      break;
    }
  }
  return Number(result);
}

test('LEB128: known encodings and round trips', () => {
  assert.equal(uleb(0), [0]);
  assert.equal(uleb(127), [0x7f]);
  assert.equal(uleb(128), [0x80, 0x01]);
  assert.equal(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.equal(sleb(-1), [0x7f]);
  assert.equal(sleb(64), [0xc0, 0x00]);
  assert.equal(sleb(-123456), [0xc0, 0xbb, 0x78]);
  check(fc.property(fc.nat({ max: 2 ** 32 - 1 }), (v) => decodeLeb(uleb(v), false) === v), 100);
  check(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => decodeLeb(sleb(v), true) === v), 100);
});

const simdAvailable = loadTileKernels() !== null;
const noSimd = simdAvailable ? null : 'no WebAssembly SIMD here: the encoded SIMD module cannot be validated or run';

test('the kernel module starts with the WebAssembly magic and version', () => {
  assert.equal([...kernelModuleBytes().slice(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
});

testUnless(noSimd, 'the kernel module is valid WebAssembly', () => {
  assert.ok(WebAssembly.validate(kernelModuleBytes()));
});

testUnless(noSimd, 'encoded SIMD ops compute what they name: f32x4 and f64x2 multiply-add with splat loads, control flow', () => {
  // madd(src, dst, count): repeat `count` times (loop, br_if): dst[0..4) = dst + src[0..4) · splat(src[4]), f32;
  // then, if count ≠ 0, the same in f64 at byte 32/64; a second function calls the first (call).
  const [SRC, DST, COUNT] = [0, 1, 2];
  const acc = 3, x = 4;
  const madd32 = [op.localGet(DST), op.v128Load(0), op.localGet(SRC), op.v128Load(0), op.localGet(SRC), op.v128Load32Splat(16), op.f32x4Mul, op.f32x4Add, op.localSet(acc)];
  const madd64 = [op.localGet(DST), op.v128Load(32), op.localGet(SRC), op.v128Load(64), op.localGet(SRC), op.v128Load64Splat(80), op.f64x2Mul, op.f64x2Add, op.localSet(x)];
  const bytes = encodeModule([
    {
      name: 'madd', params: 3, locals: [v128, v128, i32],
      body: [
        op.loop, ...madd32, op.localGet(DST), op.localGet(acc), op.v128Store(0),
        op.localGet(COUNT), op.i32Const(1), op.i32Sub, op.localTee(COUNT), op.brIf(0), op.end,
        op.localGet(SRC), op.i32Const(0), op.i32Ne, op.if, ...madd64, op.localGet(DST), op.localGet(x), op.v128Store(32), op.else, op.end,
      ],
    },
    { name: 'twice', params: 3, locals: [], body: [op.localGet(0), op.localGet(1), op.localGet(2), op.call(0), op.localGet(0), op.localGet(1), op.localGet(2), op.call(0)] },
  ]);
  assert.ok(WebAssembly.validate(bytes));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const src = 1024, dst = 2048;
  const f32 = new Float32Array(memory.buffer), f64 = new Float64Array(memory.buffer);
  f32.set([1.5, -2, 0.25, 3, 0.1], src / 4);
  f64.set([0.1, -7], (src + 64) / 8);
  f64[(src + 80) / 8] = 3;
  exports.twice(src, dst, 3); // six f32 rounds, two f64 rounds
  let expected = [0, 0, 0, 0];
  for (let r = 0; r < 6; r++) expected = expected.map((d, i) => Math.fround(d + Math.fround(f32[src / 4 + i] * Math.fround(0.1))));
  assert.equal([...f32.slice(dst / 4, dst / 4 + 4)], expected);
  assert.equal([...f64.slice((dst + 32) / 8, (dst + 32) / 8 + 2)], [2 * (0.1 * 3), 2 * (-7 * 3)]);
});

test.run();
