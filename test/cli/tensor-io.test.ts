/**
 * The CLI's piecewise safetensors reader and writer (src/cli/checkpoint/tensorFile.ts, tensorWriter.ts):
 * what they read and write is what the whole-file parser and serializer read and write, in any order of
 * writes; a writer leaves nothing behind unless committed, and refuses to commit a file with a hole.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorFile } from '../../src/cli/checkpoint/tensorFile';
import { TensorWriter } from '../../src/cli/checkpoint/tensorWriter';
import { serializeSafetensors, type RawEntry } from '../../src/nn/io/format';
import { bytesEqual, cleanTemp, readSafetensors, tempDir } from './helpers';

test.after.each(cleanTemp);

const entryArb = fc.record({
  dtype: fc.constantFrom('F32' as const, 'BF16' as const, 'I64' as const, 'U8' as const),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 255 }),
});
const filesArb = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9._]{0,8}$/), entryArb, { minKeys: 1, maxKeys: 6 });

function rawEntries(spec: Record<string, { dtype: RawEntry['dtype']; shape: number[]; seed: number }>): Map<string, RawEntry> {
  const size = { F32: 4, BF16: 2, I64: 8, U8: 1 } as Record<string, number>;
  return new Map(Object.entries(spec).map(([name, { dtype, shape, seed }]) => {
    const length = shape.reduce((a, b) => a * b, 1) * size[dtype];
    return [name, { dtype, shape, bytes: Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff) }];
  }));
}

test('TensorFile reads every tensor of any file with the bytes the whole-file parser gives', () => {
  fc.assert(fc.property(filesArb, (spec) => {
    const file = path.join(tempDir(), 'a.safetensors');
    fs.writeFileSync(file, serializeSafetensors(rawEntries(spec), { format: 'pt' }));
    const whole = readSafetensors(file);
    const piecewise = TensorFile.open(file);
    try {
      assert.equal([...piecewise.names], whole.headerOrder);
      for (const [name, entry] of whole.entries) {
        assert.ok(bytesEqual(piecewise.read(name).bytes, entry.bytes), name);
        const chunks: number[] = [];
        piecewise.stream(name, (chunk, offset) => { assert.is(offset, chunks.length); chunks.push(...chunk); });
        assert.ok(bytesEqual(Uint8Array.from(chunks), entry.bytes), `${name} streamed`);
      }
      assert.equal(piecewise.layout.metadata, { format: 'pt' });
    } finally {
      piecewise.close();
    }
  }), { numRuns: 25, seed: 7 });
});

test('TensorWriter writes, in any order and in pieces, the bytes serializeSafetensors writes', () => {
  fc.assert(fc.property(filesArb, fc.integer({ min: 0, max: 1000 }), (spec, shuffle) => {
    const entries = rawEntries(spec);
    const file = path.join(tempDir(), 'b.safetensors');
    const writer = TensorWriter.create(file, new Map([...entries].map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape }])), { format: 'pt' });
    const names = [...entries.keys()];
    names.sort((a, b) => ((a.length * 7 + shuffle) % 5) - ((b.length * 7 + shuffle) % 5));
    for (const name of names) {
      const bytes = entries.get(name)!.bytes;
      const half = Math.floor(bytes.length / 2);
      writer.write(name, bytes.subarray(half), half);
      writer.write(name, bytes.subarray(0, half), 0);
    }
    assert.not.ok(fs.existsSync(file), 'nothing at the target before the commit');
    writer.commit();
    assert.ok(bytesEqual(fs.readFileSync(file), serializeSafetensors(entries, { format: 'pt' })));
    assert.equal(fs.readdirSync(path.dirname(file)), ['b.safetensors'], 'no temporary file left');
  }), { numRuns: 25, seed: 11 });
});

test('TensorWriter: abort leaves nothing, a tensor not written in full is refused at commit', () => {
  const dir = tempDir();
  const specs = new Map([['a', { dtype: 'F32' as const, shape: [2] }], ['b', { dtype: 'F32' as const, shape: [1] }]]);
  const aborted = TensorWriter.create(path.join(dir, 'x.safetensors'), specs, null);
  aborted.write('a', new Uint8Array(8));
  aborted.abort();
  assert.equal(fs.readdirSync(dir), []);
  const holed = TensorWriter.create(path.join(dir, 'y.safetensors'), specs, null);
  holed.write('a', new Uint8Array(8));
  assert.throws(() => holed.commit(), /tensor 'b' of .*y\.safetensors was not written in full/);
  assert.equal(fs.readdirSync(dir), []);
  const overflow = TensorWriter.create(path.join(dir, 'z.safetensors'), specs, null);
  assert.throws(() => overflow.write('b', new Uint8Array(8)), /do not fit tensor 'b'/);
  overflow.abort();
});

test('TensorFile: a file cut short after opening is reported, not read as zeros', () => {
  const file = path.join(tempDir(), 'c.safetensors');
  fs.writeFileSync(file, serializeSafetensors(rawEntries({ w: { dtype: 'F32', shape: [64], seed: 1 } })));
  const opened = TensorFile.open(file);
  try {
    fs.truncateSync(file, 40);
    assert.throws(() => opened.read('w'), /c\.safetensors: ended after \d+ bytes while reading/);
  } finally {
    opened.close();
  }
});

test.run();
