/**
 * Row reductions on the gpu: a contiguous (outer, inner) buffer reduced over `inner`. Long rows are reduced
 * in stages of CHUNK elements per thread (a tree of partial results), which keeps every thread's loop short
 * (GPU watchdogs) and the float32 sums accurate. argmax/argmin find the extreme value first, then the first
 * index holding it (a min-reduction over candidate indices), so ties and NaNs resolve as on the cpu.
 */
import type { ReduceOp } from '../backend';
import type { Storage } from '../storage';
import { runtime, type DeviceValue } from './runtime';
import { deviceValue, GpuStorage } from './storage';

const CHUNK = 128;

type StageOp = 'sum' | 'max' | 'min';

/** Lines folding value `v` into accumulator `acc` for one stage op (max/min let NaN win, as the cpu does). */
function foldLine(op: StageOp, v: string): string {
  switch (op) {
    case 'sum': return `acc = acc + ${v};`;
    case 'max': return `if (${v} > acc || (${v} !== ${v} && acc === acc)) { acc = ${v}; }`;
    case 'min': return `if (${v} < acc || (${v} !== ${v} && acc === acc)) { acc = ${v}; }`;
  }
}

/**
 * One stage: (outer, inner) → (outer, parts) with parts = ⌈inner/CHUNK⌉, each thread folding one chunk.
 * With `extreme` (the row's max/min) the folded value is the candidate index (the element's index in its
 * row when it equals the extreme, else `inner`), for argmax/argmin.
 */
function stage(op: StageOp, x: DeviceValue, outer: number, inner: number, extreme: DeviceValue | null): DeviceValue {
  const parts = Math.ceil(inner / CHUNK);
  const chunk = Math.min(CHUNK, inner);
  const key = `reduce:${op}:${extreme ? 'cand' : 'val'}:${inner}:${chunk}`;
  const args = extreme ? [x, extreme] : [x];
  return runtime.run(key, () => {
    const value = extreme
      ? `((xv === mo || (xv !== xv && mo !== mo)) ? (p * ${CHUNK} + j) : ${inner})`
      : 'xv';
    const lines = [
      `const o = Math.floor((this.thread.x + 0.5) / ${parts});`,
      `const p = this.thread.x - o * ${parts};`,
      `const start = o * ${inner} + p * ${CHUNK};`,
      `const count = Math.min(${chunk}, ${inner} - p * ${CHUNK});`,
      ...(extreme ? ['const mo = m[o];'] : []),
      op === 'sum' ? 'let acc = 0.0;' : `let acc = ${extreme ? inner : 'x[start]'};`,
      `for (let j = 0; j < ${chunk}; j++) {`,
      '  if (j < count) {',
      '    const xv = x[start + j];',
      `    const cv = ${value};`,
      `    ${foldLine(op, 'cv')}`,
      '  }',
      '}',
      'return acc;',
    ];
    return { params: extreme ? ['x', 'm'] : ['x'], body: lines };
  }, outer * parts, args);
}

/** Reduces (outer, inner) to (outer) through as many stages as the row length needs. */
function reduceAll(op: StageOp, x: DeviceValue, outer: number, inner: number, extreme: DeviceValue | null = null): DeviceValue {
  let value = stage(op, x, outer, inner, extreme);
  let length = Math.ceil(inner / CHUNK);
  while (length > 1) {
    value = stage(op, value, outer, length, null);
    length = Math.ceil(length / CHUNK);
  }
  return value;
}

export function reduceRows(op: ReduceOp, x: Storage, outer: number, inner: number): GpuStorage {
  const input = deviceValue(x, op);
  const isArg = op === 'argmax' || op === 'argmin';
  const outDtype = isArg ? 'int32' : (x.dtype as GpuStorage['dtype']);
  if (inner === 0 && op !== 'sum') throw new Error(`${op}: cannot reduce over an empty dimension (it has no identity)`);
  if (outer === 0 || inner === 0) return new GpuStorage(new Float32Array(outer), outDtype, outer);
  if (!isArg) return new GpuStorage(reduceAll(op, input, outer, inner), outDtype, outer);
  const extremeOp = op === 'argmax' ? 'max' : 'min';
  const extreme = reduceAll(extremeOp, input, outer, inner);
  return new GpuStorage(reduceAll('min', input, outer, inner, extreme), 'int32', outer);
}
