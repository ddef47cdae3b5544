/**
 * The fuzzer (issue 11): a short seeded run is part of the test suite and must find nothing, and the fuzzer
 * itself must catch each kind of finding — a raw runtime error, a file left behind, a hang, memory past the
 * bound — and reproduce a case from its seed alone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SafetensorsError, parseSafetensors } from '../../src/nn/io/format';
import { errorFinding, messageFinding, runCase } from '../../fuzz/cases';
import { loadSeeds } from '../../fuzz/corpus';
import { mutateEntries, Rng } from '../../fuzz/mutate';
import { describeFinding, runFuzz } from '../../fuzz/runner';

/** Cases in the suite's run (`npm run fuzz -- --iterations 10000` for the long one). */
const SUITE_CASES = Number(process.env.FROD_FUZZ_CASES ?? 250);

test(`a seeded run of ${SUITE_CASES} cases over every target ends with 0 findings`, async () => {
  const report = await runFuzz({ iterations: SUITE_CASES, seed: 'suite', jobs: 2 });
  assert.is(report.cases, SUITE_CASES);
  assert.equal(report.findings.map((f) => describeFinding('suite', f)), []);
  assert.is(Object.keys(report.byTarget).length, 6, 'every target was fed');
  for (const [target, [ok, refused]] of Object.entries(report.byTarget)) assert.ok(ok + refused > 0, target);
});

test('the fuzzer catches a raw runtime error, a leftover file, a hang and memory past the bound', async () => {
  const report = await runFuzz({ iterations: 4, seed: 'planted', jobs: 1, only: 'planted', timeoutMs: 5_000, memoryMb: 400 });
  const findings = new Map(report.findings.map((f) => [f.index, f.finding ?? '']));
  assert.match(findings.get(0) ?? '', /^raw TypeError: Cannot read properties of null/);
  assert.match(findings.get(1) ?? '', /^left behind: \.out\.frod-tmp-1-x$/);
  assert.match(findings.get(2) ?? '', /^no result after 5000 ms \(a hang\)$/);
  assert.match(findings.get(3) ?? '', /^memory \d+ MB past the bound of 400 MB$|^peak memory \d+ MB past the bound of 400 MB$/);
  assert.match(describeFinding('planted', report.findings[0]), /reproduce: npm run fuzz -- --seed planted --case 0$/);
});

test('a case is a function of its seed: the same seed gives the same inputs and outcome', async () => {
  const seeds = loadSeeds();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-fuzz-test-'));
  try {
    for (let index = 0; index < 12; index++) {
      const run = async (k: number) => {
        const dir = path.join(root, `${index}-${k}`);
        fs.mkdirSync(dir);
        return runCase('same', index, seeds, dir);
      };
      const [a, b] = [await run(0), await run(1)];
      assert.equal(a, b, `case ${index}`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the oracle: raw errors and runtime messages wrapped into ours are findings, our one-line errors are not', () => {
  assert.match(errorFinding(new TypeError('x is undefined')) ?? '', /^raw TypeError/);
  assert.match(errorFinding(new RangeError('Invalid typed array length: 1e10')) ?? '', /^raw RangeError/);
  assert.match(errorFinding(new Error('frod init: base.safetensors: Invalid typed array length: 10000000000')) ?? '', /^raw runtime message/);
  assert.match(messageFinding('frod inspect: x: Maximum call stack size exceeded') ?? '', /^raw runtime message/);
  assert.match(messageFinding('two\nlines') ?? '', /^multi-line/);
  assert.match(errorFinding('a string') ?? '', /^threw a non-Error/);
  assert.is(errorFinding(new SafetensorsError('f', 'header length 9 runs past the end of the file (8 bytes)')), null);
  assert.is(errorFinding(new Error("FRoD: module 'q': the weight holds NaN (row 0, column 0 of its (out, in) weight); FRoD needs finite weights")), null);
});

test('mutateEntries always writes a valid file, also from empty tensors (an S with no couplings)', () => {
  const entries = new Map([
    ['a.frod_lambda_s_values', { dtype: 'F32' as const, shape: [0], bytes: new Uint8Array(0) }],
    ['a.frod_lambda_l', { dtype: 'F32' as const, shape: [3], bytes: new Uint8Array(12) }],
    ['a.frod_s_indices', { dtype: 'I64' as const, shape: [2, 0], bytes: new Uint8Array(0) }],
  ]);
  for (let i = 0; i < 300; i++) parseSafetensors(mutateEntries(new Rng(`empty/${i}`), entries, null).bytes);
});

test.run();
