/**
 * Python regexes from adapter_config.json (src/peft/pythonRegex.ts): matched in linear time by RE2 so that no
 * pattern can hang a run (issue 11, item 5), with Python's meaning, and a bounded backtracking fallback for the
 * lookaheads PEFT's own tests use.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backtrackingRisk, compileFullMatch, compileLayerRegex } from '../../src/peft/pythonRegex';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('patterns that make a backtracking engine run for minutes match at once (checked in a child with a time limit)', () => {
  const script = `
    import { compileFullMatch } from './src/peft/pythonRegex.ts';
    const bert = ['bert.encoder.layer.11.attention.self.query', 'bert.encoder.layer.11.output.dense'];
    const cases = [['(a+)+$', 'a'.repeat(41) + '!'], ['(.*.*)*X', bert[0]], ['(x+x+)+y', 'x'.repeat(60)], ['(\\\\w|\\\\d)+$', 'a1'.repeat(40) + '!']];
    for (const [p, s] of cases) if (compileFullMatch(p).fullMatch(s)) throw new Error('unexpected match ' + p);
    console.log('done');`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.is(result.signal, null, 'finished within 30 s (a backtracking engine needs hours)');
  assert.is(result.stdout.trim(), 'done', result.stderr);
});

test('Python spellings keep their meaning: (?P<n>), \\A, \\Z, (?i), [] a], {,n}', () => {
  assert.ok(compileFullMatch(String.raw`.*\.(?P<kind>q|up)_proj`).fullMatch('model.layers.0.q_proj'));
  assert.ok(compileFullMatch(String.raw`\A.*\.q_proj\Z`).fullMatch('a.q_proj'));
  assert.ok(compileFullMatch(String.raw`(?i).*\.Q_PROJ`).fullMatch('a.q_proj'));
  assert.ok(compileFullMatch('[]a]+').fullMatch(']a]'));
  assert.ok(compileFullMatch('a{,2}').fullMatch('aa'), 'Python reads {,2} as {0,2}');
  assert.not.ok(compileFullMatch('a{,2}').fullMatch('aaa'));
  assert.not.ok(compileFullMatch('q_proj').fullMatch('a.q_proj'), 'a whole-path match, not a search');
});

test('lookaheads from PEFT\'s own tests work through the bounded fallback (tests/test_integrations.py, test_initialization.py)', () => {
  const llama = compileFullMatch(String.raw`^(model(?=\.).*\.(q_proj|k_proj|v_proj|gate_proj|up_proj|down_proj))$`);
  assert.ok(llama.fullMatch('model.layers.0.self_attn.q_proj'));
  assert.not.ok(llama.fullMatch('model_q.k_proj'));
  const notVision = compileFullMatch(String.raw`^(?!.*vision).*\.q_proj`);
  assert.ok(notVision.fullMatch('language_model.layers.0.q_proj'));
  assert.not.ok(notVision.fullMatch('vision_tower.layers.0.q_proj'));
  assert.ok(compileFullMatch(String.raw`(?P<a>x)(?P=a)`).fullMatch('xx'), 'a backreference');
});

test('a backtracking-only pattern with an explosive worst case is refused, naming the pattern and why', () => {
  for (const [pattern, why] of [
    ['(?=a)(a+)+$', 'repeats a group that itself repeats'],
    ['(?=a)(a|aa)*$', 'repeats a group with alternatives'],
    ['(?!x).*.*.*.*y', 'allows more than 1,000,000 ways'],
  ] as const) {
    assert.throws(() => compileFullMatch(pattern, 'FrodConfig.target_modules'), (err: Error) =>
      err.message.startsWith(`FrodConfig.target_modules: regular expression ${JSON.stringify(pattern)} is too costly to match`) && err.message.includes(why), pattern);
  }
  assert.is(backtrackingRisk('^(?!.*vision).*(q|k)_proj'), null);
});

test('an invalid pattern names the field and the pattern, without the wrapper frod-ts adds', () => {
  assert.throws(() => compileFullMatch('(', 'target_modules'), (err: Error) => /^target_modules: invalid regular expression "\(": /.test(err.message) && !err.message.includes('^(?:'));
});

test('layer indices: the first ".<pattern>.<n>." in the path, or ".<name>.<n>." without a pattern', () => {
  assert.is(compileLayerRegex('layers').searchGroup('model.layers.12.mlp.up_proj'), '12');
  assert.is(compileLayerRegex('h|layers').searchGroup('transformer.h.3.attn'), '3');
  assert.is(compileLayerRegex(null).searchGroup('model.layers.7.q'), '7');
  assert.is(compileLayerRegex(null).searchGroup('layers.7.q'), null, 'a part must precede the name');
});

test('RE2 agrees with a backtracking engine on whole-path matches of generated patterns (property)', () => {
  const atom = fc.constantFrom('a', 'b', '.', '\\.', '[ab]', '[^.]', 'x');
  const piece = fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}')).map(([a, q]) => a + q);
  const seq = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
  const pattern = fc.oneof(seq, fc.tuple(seq, seq).map(([a, b]) => `(${a}|${b})`), fc.tuple(seq, seq).map(([a, b]) => `${a}(?:${b})?`));
  const text = fc.array(fc.constantFrom('a', 'b', '.', 'x'), { maxLength: 8 }).map((c) => c.join(''));
  fc.assert(fc.property(pattern, text, (p, t) => {
    assert.is(compileFullMatch(p).fullMatch(t), new RegExp(`^(?:${p})$`).test(t), `${p} on ${JSON.stringify(t)}`);
  }), { numRuns: 500, seed: 11 });
});

test.run();
