import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, type DType, type Tensor } from '../../src/tensor';
import { float32ToBF16, float32ToF16, bf16ToFloat32, f16ToFloat32 } from '../../src/nn/io/half';
import {
  SafetensorsError, loadSafetensors, readSafetensorsRaw, safetensorsBytes, saveSafetensors, writeSafetensorsRaw,
  type SafeDType, type SafetensorsValue,
} from '../../src/nn/io';
import { bytesEqual, check, throwsMatching } from './util';
import { withoutNode } from '../util/withoutNode';

const GOLDEN = fileURLToPath(new URL('../fixtures/golden', import.meta.url));

function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** What a value becomes after being stored as `dtype` and loaded again. */
function storedAs(value: number, dtype: SafeDType): number {
  if (dtype === 'F32') return Math.fround(value);
  if (dtype === 'F16') return f16ToFloat32(float32ToF16([value]))[0];
  if (dtype === 'BF16') return bf16ToFloat32(float32ToBF16([value]))[0];
  return value;
}

const LOADS_AS: Record<SafeDType, DType> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int32', I32: 'int32', I16: 'int32', I8: 'int32', U8: 'int32', BOOL: 'int32',
};

/** A random tensor with a file dtype able to hold its values. */
const caseArb = fc.record({
  shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
  dtype: fc.constantFrom<DType>('float32', 'float64', 'int32'),
  fileDtype: fc.constantFrom<SafeDType>('F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'),
}).chain(({ shape, dtype, fileDtype }) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const integer = !['F64', 'F32', 'F16', 'BF16'].includes(fileDtype) || dtype === 'int32';
  const bounds: Record<string, [number, number]> = { I16: [-32768, 32767], I8: [-128, 127], U8: [0, 255], BOOL: [0, 1] };
  // float32 tensors hold integers exactly up to 2^24; float64 tensors take I64 values up to 2^53.
  const [min, max] = bounds[fileDtype] ?? (dtype === 'float32' ? [-(2 ** 24), 2 ** 24] : [-(2 ** 31), 2 ** 31 - 1]);
  const wideI64 = fileDtype === 'I64' && dtype === 'float64';
  const values = wideI64 ? fc.oneof(fc.integer(), fc.maxSafeInteger())
    : integer ? fc.integer({ min, max }) : dtype === 'float32' ? fc.float() : fc.double();
  return fc.record({
    shape: fc.constant(shape), dtype: fc.constant(dtype), fileDtype: fc.constant(fileDtype),
    values: fc.array(values, { minLength: n, maxLength: n }),
  });
});

const casesArb = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 5 }).filter((s) => s !== '__metadata__'), caseArb),
  { selector: ([name]) => name, minLength: 1, maxLength: 4 });

function makeTensor(values: number[], shape: number[], dtype: DType): Tensor {
  const typed = dtype === 'float64' ? Float64Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
  return tensor(typed, { dtype, shape });
}

test('tensors survive saving as any dtype able to hold them and loading back (shapes, dtypes, values)', () => {
  check(fc.property(casesArb, (cases) => {
    const input: Record<string, SafetensorsValue> = {};
    for (const [name, c] of cases) input[name] = { tensor: makeTensor(c.values, c.shape, c.dtype), dtype: c.fileDtype };
    const { tensors, metadata, dtypes } = loadSafetensors(safetensorsBytes(input, { kind: 'test' }));
    assert.equal(metadata, { kind: 'test' });
    for (const [name, c] of cases) {
      const loaded = tensors[name];
      assert.equal([...loaded.shape], c.shape, `shape of '${name}'`);
      const beyondInt32 = c.values.some((v) => v !== (v | 0));
      const expectedDtype = c.fileDtype === 'I64' && beyondInt32 ? 'float64' : LOADS_AS[c.fileDtype];
      assert.is(loaded.dtype, expectedDtype, `dtype of '${name}' (${c.fileDtype})`);
      assert.is(dtypes[name], c.fileDtype);
      const data = loaded.data();
      const source = makeTensor(c.values, c.shape, c.dtype).data();
      for (let i = 0; i < source.length; i++) {
        assert.ok(sameValue(data[i], storedAs(source[i], c.fileDtype)), `'${name}'[${i}] ${data[i]} vs ${source[i]}`);
      }
    }
  }), 150);
});

test('plain tensors are saved as F32, F64 and I32 by dtype; scalars keep shape []', () => {
  const bytes = safetensorsBytes({
    f: tensor(Float32Array.of(1.5, -2), { dtype: 'float32', shape: [2] }),
    d: tensor(Float64Array.of(0.1), { dtype: 'float64', shape: [] }),
    i: tensor(Int32Array.of(7, 8, 9), { dtype: 'int32', shape: [3, 1] }),
  });
  const { tensors, dtypes, metadata } = loadSafetensors(bytes);
  assert.equal(dtypes, { d: 'F64', f: 'F32', i: 'I32' });
  assert.is(metadata, null);
  assert.equal([...tensors.d.shape], []);
  assert.is(tensors.d.item(), 0.1);
  assert.equal(tensors.i.toArray(), [[7], [8], [9]]);
});

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'frod-io-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('saveSafetensors writes the same bytes as safetensorsBytes and leaves no temporary file', () => {
  withTempDir((dir) => {
    const file = join(dir, 'model.safetensors');
    const tensors = { w: tensor(Float32Array.of(1, 2, 3, 4), { dtype: 'float32', shape: [2, 2] }) };
    saveSafetensors(file, tensors, { format: 'pt' });
    saveSafetensors(file, tensors, { format: 'pt' }); // overwriting works too
    assert.equal(readdirSync(dir), ['model.safetensors']);
    assert.ok(bytesEqual(new Uint8Array(readFileSync(file)), safetensorsBytes(tensors, { format: 'pt' })));
    const { tensors: loaded, metadata } = loadSafetensors(file);
    assert.equal(loaded.w.toArray(), [[1, 2], [3, 4]]);
    assert.equal(metadata, { format: 'pt' });
  });
});

test('a failed save leaves the target untouched and no temporary file behind', () => {
  withTempDir((dir) => {
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, 'previous contents');
    const bad = { w: { tensor: tensor(Int32Array.of(1, 300), { dtype: 'int32', shape: [2] }), dtype: 'I8' as SafeDType } };
    throwsMatching(() => saveSafetensors(file, bad), /value 300 at index 1 cannot be stored as I8/);
    assert.is(readFileSync(file, 'utf8'), 'previous contents');
    // The rename itself fails: the target is a non-empty directory.
    const blocked = join(dir, 'blocked.safetensors');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'keep'), 'x');
    const good = { w: tensor(Float32Array.of(1), { dtype: 'float32', shape: [1] }) };
    throwsMatching(() => saveSafetensors(blocked, good), /^safetensors: .*blocked\.safetensors: cannot write the file/);
    assert.equal(readdirSync(blocked), ['keep']);
    throwsMatching(() => saveSafetensors(join(dir, 'missing', 'x.safetensors'), good), /missing.*cannot write the file/);
    assert.equal(readdirSync(dir).sort(), ['blocked.safetensors', 'model.safetensors']);
  });
});

test('loading names the file in errors', () => {
  withTempDir((dir) => {
    const file = join(dir, 'broken.safetensors');
    throwsMatching(() => loadSafetensors(file), /^safetensors: .*broken\.safetensors: no such file$/);
    writeFileSync(file, Uint8Array.of(1, 2, 3));
    throwsMatching(() => loadSafetensors(file), /broken\.safetensors: file is 3 bytes, too short/);
    try { loadSafetensors(file); } catch (err) { assert.instance(err, SafetensorsError); }
  });
});

test('saving rejects values that are not tensors and unknown dtypes', () => {
  const t = tensor(Float32Array.of(1), { dtype: 'float32', shape: [1] });
  throwsMatching(() => safetensorsBytes({ x: [1, 2] as unknown as Tensor }), /'x' must be a Tensor or \{tensor, dtype\}/);
  throwsMatching(() => safetensorsBytes({ x: { tensor: t, dtype: 'F8' as SafeDType } }), /tensor 'x' asks for unknown dtype "F8"/);
});

test('golden files load through paths and are rewritten byte for byte from tensors', () => {
  for (const name of ['bert', 'gpt2', 'stack', 'wide']) {
    for (const file of ['base.safetensors', 'adapter/adapter_model.safetensors', 'expected.safetensors']) {
      const path = `${GOLDEN}/${name}/${file}`;
      const { tensors, metadata, dtypes } = loadSafetensors(path);
      const raw = readSafetensorsRaw(path);
      assert.equal(Object.keys(tensors), raw.headerOrder);
      const values: Record<string, SafetensorsValue> = {};
      for (const [key, t] of Object.entries(tensors)) {
        assert.equal([...t.shape], raw.entries.get(key)!.shape);
        values[key] = { tensor: t, dtype: dtypes[key] };
      }
      const original = new Uint8Array(readFileSync(path));
      assert.ok(bytesEqual(safetensorsBytes(values, metadata), original), `${name}/${file}`);
    }
  }
  const adapter = loadSafetensors(`${GOLDEN}/wide/adapter/adapter_model.safetensors`).tensors;
  assert.is(adapter['base_model.frod_s_indices.self_query'].dtype, 'int32');
  assert.equal(adapter['base_model.frod_s_size.self_query'].toArray(), [24, 24]);
});

test('raw copies keep bytes exactly (what `frod merge` relies on)', () => {
  withTempDir((dir) => {
    const source = `${GOLDEN}/gpt2/adapter/adapter_model.safetensors`;
    const raw = readSafetensorsRaw(source);
    const target = join(dir, 'copy.safetensors');
    writeSafetensorsRaw(target, raw.entries, raw.metadata);
    assert.ok(bytesEqual(new Uint8Array(readFileSync(target)), new Uint8Array(readFileSync(source))));
    assert.equal(readdirSync(dir), ['copy.safetensors']);
  });
});

/** A file holding one I64 tensor 'idx' whose value 2^60 no tensor dtype holds exactly. */
function fileWithWideI64(): Uint8Array {
  return safetensorsBytes({ idx: { tensor: tensor(Float64Array.of(0), { dtype: 'float64', shape: [1] }), dtype: 'I64' } })
    .map((byte, i, all) => (i === all.length - 1 ? 0x10 : byte)); // the top byte of the last value: 2^60
}

test('a tensor that cannot be decoded is named with <bytes> when loaded from bytes', () => {
  throwsMatching(() => loadSafetensors(fileWithWideI64()), /^safetensors: <bytes>: tensor 'idx' \(I64\) holds 1152921504606846976 at index 0/);
});

test('a tensor that cannot be decoded is named with the file when loaded from a path', () => {
  withTempDir((dir) => {
    const file = join(dir, 'wide.safetensors');
    writeFileSync(file, fileWithWideI64());
    throwsMatching(() => loadSafetensors(file), new RegExp(`^safetensors: ${file.replace(/[.]/g, '\\.')}: tensor 'idx' \\(I64\\)`));
  });
});

test('saving null or undefined in place of a tensor is a SafetensorsError naming the output and the key', () => {
  for (const value of [null, undefined]) {
    const call = () => safetensorsBytes({ x: value as unknown as Tensor });
    throwsMatching(call, /^safetensors: <output>: 'x' must be a Tensor or \{tensor, dtype\}$/);
    assert.throws(call, (err: unknown) => err instanceof SafetensorsError);
  }
});

test('asking for an unknown file dtype is a SafetensorsError naming the output', () => {
  const t = tensor(Float32Array.of(1), { dtype: 'float32', shape: [1] });
  throwsMatching(() => safetensorsBytes({ x: { tensor: t, dtype: 'F8' as SafeDType } }), /^safetensors: <output>: tensor 'x' asks for unknown dtype "F8"$/);
});

test('a failed write gives the first line of the system\'s reason', () => {
  withTempDir((dir) => {
    const good = { w: tensor(Float32Array.of(1), { dtype: 'float32', shape: [1] }) };
    throwsMatching(() => saveSafetensors(join(dir, 'missing', 'x.safetensors'), good),
      /: cannot write the file \(ENOENT: no such file or directory, open '[^']*x\.safetensors[^']*'\)$/);
  });
});

test('outside Node, saving to a path says saveSafetensors needs Node.js, before anything else', () => {
  const good = { w: tensor(Float32Array.of(1), { dtype: 'float32', shape: [1] }) };
  withoutNode(() => throwsMatching(() => saveSafetensors('model.safetensors', good), /^saveSafetensors needs Node\.js/));
});

test('outside Node, loading from a path says loadSafetensors needs Node.js', () => {
  withoutNode(() => throwsMatching(() => loadSafetensors('model.safetensors'), /^loadSafetensors needs Node\.js/));
});

test.run();
