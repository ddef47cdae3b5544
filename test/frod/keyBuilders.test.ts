/**
 * Edges of the key builders and of the parser's inverse (src/frod/keys.ts, docs/frod-math.md §10) that the grammar
 * tests of keyGrammar.test.ts and categories.test.ts do not reach: an empty category, the name each builder gives in
 * its error, a model tensor written back by formatAdapterKey, and a FRoD name in the middle of a key that also ends
 * in one. Each was a surviving mutant of the mutation run over src/frod/keys.ts (docs/testing.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatAdapterKey, lambdaKey, parseAdapterKey, projectionKey, sIndicesKey, sSizeKey, sValuesKey,
} from '../../src/frod/keys';

const CATEGORY_BUILDERS = { projectionKey, sIndicesKey, sSizeKey } as const;
const PATH_BUILDERS = { lambdaKey, sValuesKey } as const;

test('projectionKey, sIndicesKey and sSizeKey refuse an empty category, naming themselves', () => {
  for (const [name, build] of Object.entries(CATEGORY_BUILDERS)) {
    assert.throws(() => build(''), (err: Error) => err.message === `${name}: expected a category name without dots, got ""`, name);
  }
});

test('projectionKey, sIndicesKey and sSizeKey name themselves when a category has a dot', () => {
  for (const [name, build] of Object.entries(CATEGORY_BUILDERS)) {
    assert.throws(() => build('a.b'), (err: Error) => err.message === `${name}: expected a category name without dots, got "a.b"`, name);
  }
});

test('lambdaKey and sValuesKey refuse an empty path or an empty part, naming themselves and quoting the path', () => {
  for (const [name, build] of Object.entries(PATH_BUILDERS)) {
    for (const path of ['', 'a..b', '.a', 'a.']) {
      assert.throws(() => build(path), (err: Error) => err.message === `${name}: expected a dotted module path, got ${JSON.stringify(path)}`, `${name}(${JSON.stringify(path)})`);
    }
  }
});

test('formatAdapterKey writes a model tensor back under base_model.model. (the inverse of parseAdapterKey)', () => {
  for (const name of ['classifier.weight', 'encoder.layer.0.output.dense.bias', 'lm_head.weight']) {
    const key = formatAdapterKey({ kind: 'modelTensor', name });
    assert.is(key, `base_model.model.${name}`);
    assert.equal(parseAdapterKey(key), { kind: 'modelTensor', name });
  }
});

test('formatAdapterKey refuses a model tensor name with an empty part, in one line naming itself', () => {
  for (const name of ['', 'a..weight', 'weight.']) {
    assert.throws(() => formatAdapterKey({ kind: 'modelTensor', name }),
      (err: Error) => err.message === `formatAdapterKey: expected a dotted module path, got ${JSON.stringify(name)}`, JSON.stringify(name));
  }
});

test('parseAdapterKey refuses a key that ends in a per-module FRoD name but holds another FRoD name before it', () => {
  for (const last of ['frod_lambda_l', 'frod_lambda_s_values']) {
    for (const middle of ['frod_V', 'frod_lambda_l', 'frod_s_indices']) {
      const key = `base_model.model.a.${middle}.${last}`;
      assert.throws(() => parseAdapterKey(key), (err: Error) => err.message.startsWith(`adapter tensor ${JSON.stringify(key)}: expected`), key);
    }
  }
});

test.run();
