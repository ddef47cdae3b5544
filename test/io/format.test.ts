import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import {
  SAFE_DTYPES, SAFE_DTYPE_SIZES, SafetensorsError, parseSafetensors, serializeSafetensors, shapeNumel,
  type RawEntry,
} from '../../src/nn/io/format';
import { bytesEqual, check, compareUtf8, throwsMatching } from './util';

const encoder = new TextEncoder();

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
const entryArb: fc.Arbitrary<RawEntry> = fc.tuple(fc.constantFrom(...SAFE_DTYPES), shapeArb).chain(([dtype, shape]) => {
  const length = shapeNumel(shape) * SAFE_DTYPE_SIZES[dtype];
  return fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => ({ dtype, shape, bytes }));
});
const nameArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('0', '10', 'a.weight', 'a.bias'))
  .filter((name) => name !== '__metadata__');
const entriesArb = fc.uniqueArray(fc.tuple(nameArb, entryArb), { selector: ([name]) => name, maxLength: 6 })
  .map((list) => new Map(list));
const metadataArb = fc.option(
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 5 }), fc.string({ unit: 'binary', maxLength: 8 })), { nil: null });

/** A file from a header text and a data section (header length may be overridden). */
function rawFile(header: string, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const json = encoder.encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function headerText(bytes: Uint8Array): string {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

test('serialise then parse gives back every entry, the metadata and the sorted order', () => {
  check(fc.property(entriesArb, metadataArb, (entries, metadata) => {
    const bytes = serializeSafetensors(entries, metadata);
    const parsed = parseSafetensors(bytes);
    assert.equal(parsed.metadata, metadata && { ...metadata }); // fast-check's objects have no prototype
    assert.equal(parsed.headerOrder, [...entries.keys()].sort(compareUtf8));
    assert.equal([...parsed.entries.keys()], parsed.headerOrder);
    for (const [name, entry] of entries) {
      const back = parsed.entries.get(name) as RawEntry;
      assert.is(back.dtype, entry.dtype);
      assert.equal(back.shape, entry.shape);
      assert.ok(bytesEqual(back.bytes, entry.bytes), `bytes of '${name}'`);
    }
    assert.ok(bytesEqual(serializeSafetensors(parsed.entries, parsed.metadata), bytes), 'reserialised bytes differ');
  }), 150);
});

test('layout: header padded with spaces to 8 bytes, __metadata__ first, tensors back to back in name order', () => {
  check(fc.property(entriesArb, metadataArb, (entries, metadata) => {
    const bytes = serializeSafetensors(entries, metadata);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.is(length % 8, 0);
    const text = headerText(bytes);
    const json = text.trimEnd();
    assert.ok(text.length - json.length < 8 && /^ *$/.test(text.slice(json.length)), 'padding is spaces');
    const header = JSON.parse(json) as Record<string, { data_offsets: [number, number] }>;
    if (metadata) assert.ok(json.startsWith('{"__metadata__":'), 'metadata first');
    let offset = 0;
    for (const name of [...entries.keys()].sort(compareUtf8)) {
      const [begin, end] = header[name].data_offsets;
      assert.is(begin, offset);
      offset = end;
    }
    assert.is(bytes.length, 8 + length + offset);
  }), 100);
});

test('the header matches the byte layout of Python writers', () => {
  const entries = new Map<string, RawEntry>([
    ['b', { dtype: 'F32', shape: [2], bytes: new Uint8Array(8) }],
    ['a', { dtype: 'I64', shape: [], bytes: new Uint8Array(8) }],
  ]);
  const text = headerText(serializeSafetensors(entries, { format: 'pt' }));
  const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
    + '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
  assert.is(json.length, 138);
  assert.is(text, `${json}      `);
  assert.is(headerText(serializeSafetensors(new Map())), '{}      ');
});

test('parsing works at any byte offset and returns views of the input', () => {
  check(fc.property(entriesArb, fc.integer({ min: 0, max: 7 }), (entries, shift) => {
    const bytes = serializeSafetensors(entries, null);
    const host = new Uint8Array(bytes.length + shift);
    host.set(bytes, shift);
    const parsed = parseSafetensors(host.subarray(shift));
    for (const [name, entry] of entries) {
      const back = parsed.entries.get(name) as RawEntry;
      assert.ok(bytesEqual(back.bytes, entry.bytes));
      if (back.bytes.length > 0) assert.is(back.bytes.buffer, host.buffer);
    }
  }), 50);
});

test('header order is the file order, even for integer-like names', () => {
  const parsed = parseSafetensors(rawFile(
    '{"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"10":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},'
    + '"0":{"dtype":"U8","shape":[],"data_offsets":[2,3]}}', Uint8Array.of(7, 8, 9)));
  assert.equal(parsed.headerOrder, ['b', '10', '0']);
  assert.equal([...parsed.entries.keys()], ['b', '10', '0']);
  assert.equal([...parsed.entries.get('0')!.bytes], [9]);
  assert.is(parsed.metadata, null);
});

test('accepts offsets listed out of order, zero-size tensors and metadata with odd keys', () => {
  const parsed = parseSafetensors(rawFile(
    '{"late":{"dtype":"I16","shape":[1],"data_offsets":[2,4]},"empty":{"dtype":"F64","shape":[0,3],"data_offsets":[2,2]},'
    + '"__metadata__":{"__proto__":"x","k":"v"},"early":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}  ',
    Uint8Array.of(1, 2, 3, 4)));
  assert.equal(parsed.headerOrder, ['late', 'empty', 'early']);
  assert.equal(Object.keys(parsed.metadata!), ['__proto__', 'k']);
  assert.equal([...parsed.entries.get('late')!.bytes], [3, 4]);
  assert.is(parsed.entries.get('empty')!.bytes.length, 0);
});

const T = (name: string, dtype: string, shape: unknown, offsets: unknown) =>
  `"${name}":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

test('rejects corrupted files with a specific message naming the source', () => {
  const src = 'model.safetensors';
  const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes, src);
  const named = /^safetensors: model\.safetensors: /;
  throwsMatching(parse(new Uint8Array(5)), named, /5 bytes, too short/);
  throwsMatching(parse(rawFile('{}', 0, 2n ** 40n)), named, /header length 1099511627776 is absurd/);
  throwsMatching(parse(rawFile('{}', 0, 100_000_001n)), named, /absurd/);
  throwsMatching(parse(rawFile('{}', 0, 64n)), named, /header length 64 runs past the end of the file \(10 bytes\)/);
  throwsMatching(parse(rawFile('{"a":')), named, /header is not valid JSON/);
  throwsMatching(parse(rawFile('[1,2]')), named, /header is not a JSON object/);
  throwsMatching(parse(rawFile('"x"')), named, /header is not a JSON object/);
  const invalidUtf8 = rawFile('{"a":1}');
  invalidUtf8[10] = 0xff;
  throwsMatching(parse(invalidUtf8), named, /not valid UTF-8/);
  throwsMatching(parse(rawFile(`{${T('w', 'F8_E4M3', [2], [0, 2])}}`, 2)), named, /tensor 'w' has unknown dtype "F8_E4M3"/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [2, -1], [0, 0])}}`)), named, /tensor 'w': shape must be a list of non-negative integers/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [1.5], [0, 6])}}`, 6)), named, /shape must be/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', 3, [0, 12])}}`, 12)), named, /shape must be/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [1], [4])}}`, 4)), named, /tensor 'w': data_offsets must be \[begin, end\]/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [0], [4, 0])}}`, 4)), named, /data_offsets must be/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [0], ['0', '0'])}}`)), named, /data_offsets must be/);
  throwsMatching(parse(rawFile('{"w":[1]}')), named, /tensor 'w': expected \{dtype, shape, data_offsets\}/);
  throwsMatching(parse(rawFile('{"w":null}')), named, /tensor 'w': expected \{dtype, shape, data_offsets\}, got null$/);
  throwsMatching(parse(rawFile('{"w":"F32"}')), named, /tensor 'w': expected \{dtype, shape, data_offsets\}, got "F32"$/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [2, 3], [0, 20])}}`, 20)), named,
    /tensor 'w': data_offsets \[0, 20\] hold 20 bytes but shape \[2, 3\] of F32 needs 24/);
  throwsMatching(parse(rawFile(`{${T('w', 'F32', [2], [0, 8])}}`, 4)), named,
    /tensor 'w': data_offsets \[0, 8\] run past the end of the data section \(4 bytes\)/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [4], [0, 4])},${T('b', 'U8', [4], [2, 6])}}`, 6)), named,
    /tensors 'a' \[0, 4\] and 'b' \[2, 6\] overlap/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [4], [0, 4])},${T('b', 'U8', [0], [2, 2])}}`, 4)), named, /overlap/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [2], [0, 2])},${T('b', 'U8', [2], [4, 6])}}`, 6)), named,
    /2 unused bytes after tensor 'a' \(gaps are not allowed\)/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [2], [3, 5])}}`, 5)), named, /3 unused bytes at the start of the data section/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [2], [0, 2])}}`, 5)), named, /3 unused bytes after the last tensor/);
  throwsMatching(parse(rawFile(`{${T('a', 'U8', [1], [0, 1])},${T('a', 'U8', [1], [1, 2])}}`, 2)), named, /header names 'a' twice/);
  throwsMatching(parse(rawFile('{"__metadata__":{"k":1}}')), named, /__metadata__ value of 'k' must be a string, got 1/);
  throwsMatching(parse(rawFile('{"__metadata__":["k"]}')), named, /__metadata__ must be an object of strings/);
});

test('a value quoted in an error is shown whole up to 60 characters and cut to 57 and ... beyond', () => {
  const unknownDtype = (dtype: string) => () => parseSafetensors(rawFile(`{${T('w', dtype, [0], [0, 0])}}`));
  const sixty = 'X'.repeat(58); // 60 characters once JSON quotes it
  throwsMatching(unknownDtype(sixty), new RegExp(`unknown dtype "${sixty}" \\(supported: `));
  throwsMatching(unknownDtype(`${sixty}Y`), new RegExp(`unknown dtype "${'X'.repeat(56)}\\.\\.\\. \\(supported: `));
});

test('a header nested 64 levels deep is parsed, one nested 65 is refused before parsing', () => {
  const nested = (levels: number) => rawFile(`{"w":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`);
  throwsMatching(() => parseSafetensors(nested(64)), /tensor 'w': expected \{dtype, shape, data_offsets\}/);
  throwsMatching(() => parseSafetensors(nested(65)), /header JSON nests deeper than 64 levels \(a valid header nests 3\)$/);
});

test('a header that is not valid JSON carries the parser\'s whole first line', () => {
  const text = '{"a":';
  let reason = '';
  try { JSON.parse(text); } catch (err) { reason = (err as Error).message.split('\n')[0]; }
  assert.ok(reason.length > 1);
  throwsMatching(() => parseSafetensors(rawFile(text)), new RegExp(`header is not valid JSON \\(${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
});

test('a header that is JSON null is refused as not an object', () => {
  throwsMatching(() => parseSafetensors(rawFile('null')), /^safetensors: <bytes>: header is not a JSON object \(got null\)$/);
});

test('errors name <bytes> when no source is given and are SafetensorsError instances', () => {
  try {
    parseSafetensors(new Uint8Array(3));
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, SafetensorsError);
    assert.is((err as SafetensorsError).source, '<bytes>');
    assert.match((err as Error).message, /^safetensors: <bytes>: /);
  }
});

test('every truncation of a valid file is rejected', () => {
  check(fc.property(entriesArb, metadataArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    (entries, metadata, cut) => {
      const bytes = serializeSafetensors(entries, metadata);
      const truncated = bytes.slice(0, Math.floor(cut * bytes.length));
      assert.throws(() => parseSafetensors(truncated), (err: unknown) => err instanceof SafetensorsError);
    }), 100);
});

test('random corruption of the header either parses or fails with a SafetensorsError, never otherwise', () => {
  check(fc.property(entriesArb.filter((e) => e.size > 0), fc.nat(), fc.integer({ min: 0, max: 255 }),
    (entries, where, value) => {
      const bytes = serializeSafetensors(entries, { format: 'pt' });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      bytes[where % (8 + headerLength)] = value;
      try {
        parseSafetensors(bytes);
      } catch (err) {
        assert.instance(err, SafetensorsError);
      }
    }), 300);
});

test('writing validates entries and metadata', () => {
  const entry = (dtype: string, shape: number[], length: number) => new Map([['w', { dtype, shape, bytes: new Uint8Array(length) } as RawEntry]]);
  throwsMatching(() => serializeSafetensors(entry('F32', [2, 2], 12)), /tensor 'w' has 12 bytes but shape \[2, 2\] of F32 needs 16/);
  throwsMatching(() => serializeSafetensors(entry('F8', [2], 2)),
    /^safetensors: <output>: tensor 'w' has unknown dtype "F8" \(supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL\)$/);
  throwsMatching(() => serializeSafetensors(entry('U8', [-1], 0)), /shape must be a list of non-negative integers/);
  throwsMatching(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [], bytes: new Uint8Array(1) } }),
    /'__metadata__' cannot be a tensor name/);
  throwsMatching(() => serializeSafetensors(new Map(), { k: 3 as unknown as string }), /__metadata__ value of 'k' must be a string/);
});

test('serialising never modifies its inputs', () => {
  check(fc.property(entriesArb, (entries) => {
    const before = [...entries].map(([name, e]) => [name, e.dtype, [...e.shape], e.bytes.slice()] as const);
    serializeSafetensors(entries, null);
    for (const [name, dtype, shape, bytes] of before) {
      const now = entries.get(name)!;
      assert.is(now.dtype, dtype);
      assert.equal(now.shape, shape);
      assert.ok(bytesEqual(now.bytes, bytes));
    }
  }), 30);
});

test.run();
