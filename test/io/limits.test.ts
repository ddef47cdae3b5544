/**
 * The checks that come before a large read (issue 11, items 6 and 7): the 8-byte header length against the
 * documented limit and the file size, JSON nesting counted without recursion, regular files only, bounded
 * reads of small inputs, and finiteness read from stored bits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_HEADER_BYTES, SafetensorsError, headerLengthOf, jsonNestingDepth } from '../../src/nn/io/header';
import { firstNonFinite } from '../../src/nn/io/finite';
import { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16 } from '../../src/nn/io/half';
import { readSafetensorsFileBytes } from '../../src/nn/io/readFile';
import { InputFileError, readBoundedFile } from '../../src/util/readInput';

function prefix(length: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, length, true);
  return bytes;
}

function throwsProblem(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${type.name} matching ${pattern}`);
}

test('headerLengthOf: the length if it fits the limit and the file, else a one-line error', () => {
  assert.is(headerLengthOf(prefix(16n), 24, 'f'), 16);
  throwsProblem(() => headerLengthOf(prefix(BigInt(MAX_HEADER_BYTES) + 1n), 2 ** 40, 'f'), SafetensorsError, /header length 100000001 is absurd \(limit 100000000 bytes\)$/);
  throwsProblem(() => headerLengthOf(prefix(17n), 24, 'f'), SafetensorsError, /header length 17 runs past the end of the file \(24 bytes\)$/);
  throwsProblem(() => headerLengthOf(new Uint8Array(3), 3, 'f'), SafetensorsError, /file is 3 bytes, too short/);
});

test('jsonNestingDepth counts brackets outside strings, stops past the limit, and does not recurse', () => {
  assert.is(jsonNestingDepth('{"a":{"shape":[1,2]},"b":"[[[{{{"}'), 3);
  assert.is(jsonNestingDepth('"\\"[["'), 0, 'escaped quotes do not end a string');
  assert.is(jsonNestingDepth('['.repeat(1_000_000), 64), 65, 'stops just past the limit');
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
    const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depth)) : 0);
    assert.is(jsonNestingDepth(JSON.stringify(value)), depth(value));
  }), { numRuns: 300, seed: 3 });
});

test('readSafetensorsFileBytes refuses devices, pipes and directories before reading, and short or absurd files after 8 bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-limits-'));
  try {
    throwsProblem(() => readSafetensorsFileBytes('/dev/zero'), SafetensorsError, /\/dev\/zero: is a device, expected a regular file$/);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    throwsProblem(() => readSafetensorsFileBytes(join(dir, 'fifo')), SafetensorsError, /fifo: is a pipe, expected a regular file$/);
    mkdirSync(join(dir, 'sub'));
    throwsProblem(() => readSafetensorsFileBytes(join(dir, 'sub')), SafetensorsError, /sub: is a directory, expected a file$/);
    throwsProblem(() => readSafetensorsFileBytes(join(dir, 'none')), SafetensorsError, /none: no such file$/);
    writeFileSync(join(dir, 'big'), prefix(2n ** 62n));
    throwsProblem(() => readSafetensorsFileBytes(join(dir, 'big')), SafetensorsError, /header length 4611686018427387904 is absurd/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSafetensorsFileBytes turns a read that fails underneath (EIO) into one line naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-limits-'));
  // The fs module the library reaches through process.getBuiltinModule; its readSync fails as a disk would.
  const fs = process.getBuiltinModule('fs');
  const readSync = fs.readSync;
  try {
    writeFileSync(join(dir, 'ok'), prefix(2n));
    fs.readSync = (() => { throw Object.assign(new Error('EIO: i/o error, read\n    at a stack line'), { code: 'EIO' }); }) as typeof readSync;
    const openFiles = readdirSync('/proc/self/fd').length;
    throwsProblem(() => readSafetensorsFileBytes(join(dir, 'ok')), SafetensorsError, /ok: cannot read the file \(EIO: i\/o error, read\)$/);
    assert.is(readdirSync('/proc/self/fd').length, openFiles, 'the descriptor is closed after the failure');
  } finally {
    fs.readSync = readSync;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readBoundedFile reads small files and pipes whole, and cuts /dev/zero off at the limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-limits-'));
  try {
    writeFileSync(join(dir, 'small'), 'abc');
    assert.equal(readBoundedFile(join(dir, 'small'), 3, 't'), new TextEncoder().encode('abc'));
    throwsProblem(() => readBoundedFile(join(dir, 'small'), 2, 't'), InputFileError, /small: is 3 bytes, more than the 2 bytes such a file may have$/);
    throwsProblem(() => readBoundedFile('/dev/zero', 100_000, 't'), InputFileError, /\/dev\/zero: is a device that gives more than the 100000 bytes/);
    assert.equal(readBoundedFile('/dev/null', 10, 't'), new Uint8Array(0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('firstNonFinite reads infinities and NaNs from the stored bits of every float dtype (property)', () => {
  const value = fc.oneof(fc.double(), fc.constantFrom(Infinity, -Infinity, NaN, 65504, 65520, 3.4e38, 3.5e38));
  fc.assert(fc.property(fc.array(value, { maxLength: 8 }), (values) => {
    const f64 = Float64Array.from(values);
    const f32 = Float32Array.from(values);
    const expected = (stored: ArrayLike<number>) => Array.from(stored).findIndex((v) => !Number.isFinite(v));
    assert.is(firstNonFinite({ dtype: 'F64', shape: [values.length], bytes: new Uint8Array(f64.buffer) }), expected(f64));
    assert.is(firstNonFinite({ dtype: 'F32', shape: [values.length], bytes: new Uint8Array(f32.buffer) }), expected(f32));
    const h = float32ToF16(f32);
    assert.is(firstNonFinite({ dtype: 'F16', shape: [values.length], bytes: new Uint8Array(h.buffer) }), expected(f16ToFloat32(h)));
    const b = float32ToBF16(f32);
    assert.is(firstNonFinite({ dtype: 'BF16', shape: [values.length], bytes: new Uint8Array(b.buffer) }), expected(bf16ToFloat32(b)));
  }), { numRuns: 300, seed: 5 });
  assert.is(firstNonFinite({ dtype: 'I32', shape: [1], bytes: new Uint8Array([255, 255, 128, 127]) }), -1, 'integers are always finite');
});

test.run();
