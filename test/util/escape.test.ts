/** Escaping text from files before it reaches a terminal (issue 11, item 8). */
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeControl } from '../../src/util/escape';

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

test('no control, C1 or bidirectional character survives; everything else is kept; escaping twice changes nothing (property)', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
    const shown = escapeControl(text);
    assert.not.match(shown, UNSAFE);
    assert.is(escapeControl(shown), shown);
    assert.is(shown.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, ''), text.replace(new RegExp(UNSAFE.source, 'g'), '').replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, ''));
  }), { numRuns: 500, seed: 9 });
});

test('the escapes name the character', () => {
  assert.is(escapeControl('a\u001b[2Jb\u009b\u202ec\n'), 'a\\x1b[2Jb\\x9b\\u202ec\\x0a');
  assert.is(escapeControl('encoder.layer.0 – é 漢'), 'encoder.layer.0 – é 漢');
});

test.run();
