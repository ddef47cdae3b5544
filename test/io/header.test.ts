/**
 * The header helpers that the file-level tests reach only indirectly: the code point order tensor names are
 * written in, and the scanner that finds the header's top-level keys (for duplicates and file order).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareCodePoints, topLevelKeys } from '../../src/nn/io/header';
import { compareUtf8 } from './util';

test('compareCodePoints orders the characters at the edges of the surrogate range by code point', () => {
  // U+D7FF | U+E000 … U+FFFF (single units above the surrogates) | U+10000 … (surrogate pairs, D800–DFFF units)
  const edges = [0x7f, 0xd7ff, 0xe000, 0xe001, 0xfffd, 0xffff, 0x10000, 0x103ff, 0x10400, 0x10ffff]
    .map((codePoint) => String.fromCodePoint(codePoint));
  for (const a of edges) {
    for (const b of edges) {
      assert.is(Math.sign(compareCodePoints(a, b)), Math.sign(compareUtf8(a, b)), `${a.codePointAt(0)} vs ${b.codePointAt(0)}`);
    }
  }
});

test('topLevelKeys lists the keys in file order, duplicates included, past values of every kind', () => {
  const text = ' { "a" : {"x": "}\\"]", "y": [1, {"z": []}]} , "b":"{\\\\" ,"c":-1.5e3,"d":true,"e":null,"a":[],"f":"" } ';
  assert.equal(topLevelKeys(text), ['a', 'b', 'c', 'd', 'e', 'a', 'f']);
});

test('topLevelKeys decodes escaped keys and keeps integer-like keys where they are', () => {
  assert.equal(topLevelKeys('{"b":1,"\\u0041\\"":2,"0":3}'), ['b', 'A"', '0']);
  assert.equal(topLevelKeys('{}'), []);
});

test.run();
