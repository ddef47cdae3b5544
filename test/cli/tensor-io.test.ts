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
import { trackedTemporaries } from '../../src/cli/interrupt';
import { CliError } from '../../src/cli/io';
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
        for (const [chunk, offset] of piecewise.chunks(name)) {
          assert.is(offset, chunks.length);
          chunks.push(...chunk);
        }
        assert.ok(bytesEqual(Uint8Array.from(chunks), entry.bytes), `${name} streamed`);
      }
      assert.equal(piecewise.layout.metadata, { format: 'pt' });
    } finally {
      piecewise.close();
    }
  }), { numRuns: 25, seed: 7 });
});

test('TensorWriter writes, in any order and in pieces, the bytes serializeSafetensors writes', async () => {
  await fc.assert(fc.asyncProperty(filesArb, fc.integer({ min: 0, max: 1000 }), async (spec, shuffle) => {
    const entries = rawEntries(spec);
    const file = path.join(tempDir(), 'b.safetensors');
    const writer = await TensorWriter.create(file, new Map([...entries].map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape }])), { format: 'pt' });
    const names = [...entries.keys()];
    names.sort((a, b) => ((a.length * 7 + shuffle) % 5) - ((b.length * 7 + shuffle) % 5));
    for (const name of names) {
      const bytes = entries.get(name)!.bytes;
      const half = Math.floor(bytes.length / 2);
      await writer.write(name, bytes.subarray(half), half);
      await writer.write(name, bytes.subarray(0, half), 0);
    }
    assert.not.ok(fs.existsSync(file), 'nothing at the target before the commit');
    await writer.commit();
    assert.ok(bytesEqual(fs.readFileSync(file), serializeSafetensors(entries, { format: 'pt' })));
    assert.equal(fs.readdirSync(path.dirname(file)), ['b.safetensors'], 'no temporary file left');
  }), { numRuns: 25, seed: 11 });
});

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable'); // for the type checker: unreachable throws
}

const SPECS = new Map([['a', { dtype: 'F32' as const, shape: [2] }], ['b', { dtype: 'F32' as const, shape: [1] }]]);

test('TensorWriter: abort leaves nothing, a tensor not written in full is refused at commit', async () => {
  const dir = tempDir();
  const aborted = await TensorWriter.create(path.join(dir, 'x.safetensors'), SPECS, null);
  await aborted.write('a', new Uint8Array(8));
  aborted.abort();
  assert.equal(fs.readdirSync(dir), []);
  const holed = await TensorWriter.create(path.join(dir, 'y.safetensors'), SPECS, null);
  await holed.write('a', new Uint8Array(8));
  assert.match((await rejection(holed.commit())).message, /tensor 'b' of .*y\.safetensors was not written in full/);
  assert.equal(fs.readdirSync(dir), []);
  const overflow = await TensorWriter.create(path.join(dir, 'z.safetensors'), SPECS, null);
  assert.match((await rejection(overflow.write('b', new Uint8Array(8)))).message, /do not fit tensor 'b'/);
  overflow.abort();
  assert.equal(trackedTemporaries(), [], 'nothing left registered for Ctrl-C');
});

/** A complete two-tensor file written at `file` by a TensorWriter (`replaces`: whose mode it keeps). */
async function writeSmall(file: string, replaces?: string): Promise<void> {
  const writer = await TensorWriter.create(replaces === undefined ? file : { target: file, replaces }, SPECS, null);
  await writer.write('a', new Uint8Array(8));
  await writer.write('b', new Uint8Array(4));
  await writer.commit();
}

test('TensorWriter keeps the mode and (as root) the owner of the file it replaces (issue 11, item 3)', async () => {
  const file = path.join(tempDir(), 'merged.safetensors');
  fs.writeFileSync(file, 'old');
  fs.chmodSync(file, 0o640);
  const owner = process.getuid?.() === 0 ? { uid: 4321, gid: 4322 } : null; // only root may give files away
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
  await writeSmall(file);
  const stat = fs.statSync(file);
  assert.is(stat.mode & 0o777, 0o640);
  if (owner) assert.equal([stat.uid, stat.gid], [owner.uid, owner.gid]);
  const expected = serializeSafetensors(new Map([...SPECS].map(([name, spec]) => [name, { ...spec, bytes: new Uint8Array(4 * spec.shape[0]) }])));
  assert.ok(bytesEqual(fs.readFileSync(file), expected), 'the new content');
});

test('TensorWriter: a file written elsewhere (a staging folder) takes the mode of the file it will replace; a new file gets the default', async () => {
  const dir = tempDir();
  const old = path.join(dir, 'old.safetensors');
  fs.writeFileSync(old, 'old');
  fs.chmodSync(old, 0o604);
  const staged = path.join(dir, 'staged.safetensors');
  await writeSmall(staged, old);
  assert.is(fs.statSync(staged).mode & 0o777, 0o604);
  const fresh = path.join(dir, 'fresh.safetensors');
  await writeSmall(fresh, path.join(dir, 'none.safetensors'));
  const umask = process.umask();
  assert.is(fs.statSync(fresh).mode & 0o777, 0o666 & ~umask);
});

test('TensorWriter removes temporary files that killed runs left, and leaves a live run\'s alone (issue 11, item 4)', async () => {
  const parent = tempDir();
  const file = path.join(parent, 'merged.safetensors');
  const dead = path.join(parent, '.merged.safetensors.frod-tmp-999999999-abc');
  const live = path.join(parent, `.merged.safetensors.frod-tmp-${process.pid}-def`);
  const other = path.join(parent, '.other.safetensors.frod-tmp-999999999-abc');
  for (const f of [dead, live, other]) fs.writeFileSync(f, 'partial');
  await writeSmall(file);
  assert.equal(fs.readdirSync(parent).sort(), [path.basename(live), path.basename(other), 'merged.safetensors'].sort());
});

test('TensorWriter: an unwritable target is one CliError naming it; nothing is left registered for Ctrl-C', async () => {
  const parent = tempDir();
  const err = await rejection(TensorWriter.create(path.join(parent, 'no', 'x.safetensors'), SPECS, null));
  assert.instance(err, CliError);
  assert.match(err.message, /x\.safetensors: cannot write the file \(/);
  assert.not.match(err.message, /\n/);
  assert.equal(trackedTemporaries(), []);
  assert.equal(fs.readdirSync(parent), []);
});

test('TensorFile: a file cut short after opening is reported, not read as zeros', () => {
  const file = path.join(tempDir(), 'c.safetensors');
  fs.writeFileSync(file, serializeSafetensors(rawEntries({ w: { dtype: 'F32', shape: [64], seed: 1 } })));
  const opened = TensorFile.open(file);
  try {
    fs.truncateSync(file, 40);
    assert.throws(() => opened.read('w'), /c\.safetensors: ended after \d+ bytes while being read/);
  } finally {
    opened.close();
  }
});

test.run();
