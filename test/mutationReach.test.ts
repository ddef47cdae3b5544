/**
 * Which test files the mutation dry run says reach each mutant (scripts/mutation/reach.mjs, from the coverage
 * scripts/test-harness.mjs records): a mutant in a mutated module's top level must run every test file, one
 * reached by a test file's own top-level set-up or by its suites runs that file alone. Fixtures:
 * test/fixtures/mutation (a module instrumented as Stryker does and two test files that reach it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mutantReach, type MutantCoverage } from '../scripts/mutation/reach.mjs';

const ROOT = join(import.meta.dirname, '..');
const LOADS = 'test/fixtures/mutation/loads.test.ts';
const RUNS = 'test/fixtures/mutation/runs.test.ts';
const SOURCE = 'test/fixtures/mutation/source.ts';

/** The coverage a dry run over both fixture files records, with or without the mutated module loaded first. */
function dryRun(preload: boolean): MutantCoverage {
  const dir = mkdtempSync(join(tmpdir(), 'frod-reach-'));
  try {
    const file = join(dir, 'coverage.json');
    const env: Record<string, string> = { ...process.env, FROD_MUTATION_COVERAGE: file } as Record<string, string>;
    if (preload) env.FROD_MUTATION_PRELOAD = SOURCE;
    else delete env.FROD_MUTATION_PRELOAD;
    const run = spawnSync(process.execPath, ['scripts/run-tests.mjs', LOADS, RUNS], { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
    assert.is(run.status, 0, run.stdout);
    return JSON.parse(readFileSync(file, 'utf8')) as MutantCoverage;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const preloaded = dryRun(true);
const plain = dryRun(false);

test('a mutant in the top level of a preloaded module runs every test file', () => {
  assert.equal(mutantReach(preloaded, '1'), { files: [], atLoad: true, hits: 1 });
});

test('a mutant reached by a test file while it loads runs that file alone', () => {
  assert.equal(mutantReach(preloaded, '2'), { files: [LOADS], atLoad: false, hits: 1 });
});

test('a mutant reached only by a suite runs that suite file', () => {
  assert.equal(mutantReach(preloaded, '3'), { files: [RUNS], atLoad: false, hits: 1 });
});

test('a mutant no test reaches runs no file', () => {
  assert.equal(mutantReach(preloaded, '4'), { files: [], atLoad: false, hits: 0 });
});

test('without the preload, whatever ran while a file loaded counts as top level', () => {
  assert.is(plain.preloaded, false);
  assert.ok(mutantReach(plain, '1').atLoad, 'the module top level ran under the first file that imported it');
  assert.ok(mutantReach(plain, '2').atLoad);
  assert.equal(mutantReach(plain, '3'), { files: [RUNS], atLoad: false, hits: 1 });
});

test.run();
