/**
 * Batched matrix product on the gpu over strided (batch, m, k) and (batch, k, n) views: one thread per
 * output element, reading A's row and B's column in place (transposed and broadcast operands need no copy).
 * gpu.js exposes no workgroup shared memory, so the blocking available is in registers: the k loop is
 * unrolled by four into independent accumulators (more loads in flight, and a shorter float32 rounding chain).
 */
import type { MatmulArgs } from '../backend';
import type { DType } from '../dtype';
import type { View } from '../storage';
import { full } from './elementwise';
import { runtime } from './runtime';
import { checkGpuDType, deviceValue, GpuStorage } from './storage';

const UNROLL = 4;

/** `base + p·stride` as source, skipping zero and unit factors. */
function at(base: string, index: string, stride: number): string {
  if (stride === 0) return base;
  return stride === 1 ? `${base} + ${index}` : `${base} + ${index} * ${stride}`;
}

/** Source lines of the product kernel for one shape and stride signature. */
function matmulLines(args: MatmulArgs, sa: readonly number[], sb: readonly number[]): string[] {
  const { batch, m, k, n } = args;
  const lines: string[] = [];
  if (batch > 1) {
    lines.push(`const t = Math.floor((this.thread.x + 0.5) / ${m * n});`, `const r = this.thread.x - t * ${m * n};`);
  } else {
    lines.push('const t = 0;', 'const r = this.thread.x;');
  }
  lines.push(`const row = Math.floor((r + 0.5) / ${n});`, `const col = r - row * ${n};`);
  lines.push(`const ai = ${at(at('ao', 't', sa[0]), 'row', sa[1])};`);
  lines.push(`const bi = ${at(at('bo', 't', sb[0]), 'col', sb[2])};`);
  lines.push('let s0 = 0.0;', 'let s1 = 0.0;', 'let s2 = 0.0;', 'let s3 = 0.0;');
  const whole = k - (k % UNROLL);
  if (whole > 0) {
    lines.push(`for (let p = 0; p < ${whole}; p += ${UNROLL}) {`);
    for (let u = 0; u < UNROLL; u++) {
      const pu = u === 0 ? 'p' : `(p + ${u})`;
      lines.push(`  s${u} = s${u} + a[${at('ai', pu, sa[2])}] * b[${at('bi', pu, sb[1])}];`);
    }
    lines.push('}');
  }
  for (let p = whole; p < k; p++) {
    const u = p - whole;
    lines.push(`s${u} = s${u} + a[${at('ai', String(p), sa[2])}] * b[${at('bi', String(p), sb[1])}];`);
  }
  lines.push('return (s0 + s1) + (s2 + s3);');
  return lines;
}

/** (batch, m, k) × (batch, k, n) → contiguous (batch, m, n). */
export function matmul(a: View, b: View, args: MatmulArgs, dtype: DType): GpuStorage {
  const out = checkGpuDType(dtype, 'matmul');
  const { batch, m, k, n } = args;
  const size = batch * m * n;
  if (k === 0 || size === 0) return full(size, 0, out);
  const bufferA = deviceValue(a.storage, 'matmul');
  const bufferB = deviceValue(b.storage, 'matmul');
  const key = `matmul|${batch},${m},${k},${n}|${a.strides.join(',')}|${b.strides.join(',')}`;
  const value = runtime.run(key, () => ({
    params: ['a', 'ao', 'b', 'bo'], body: matmulLines(args, a.strides, b.strides),
  }), size, [bufferA, a.offset, bufferB, b.offset]);
  return new GpuStorage(value, out, size);
}
