/**
 * scripts/run-tests.mjs on the files of test/fixtures/runner: the closing line `N passed, N failed, N skipped`
 * counts skips with their reasons, and every way a test file can report less than it claims (never calling
 * test.run(), running no test, tests registered too late, a skip without a reason, a load error, a process
 * that ends mid-way, an empty golden set) is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join('test', 'fixtures', 'runner');

/**
 * Runs the runner on `files` (under test/fixtures/runner); returns its exit code, its stdout lines (trimmed, no
 * colours) and the last non-empty one.
 */
function runner(files: string[], env: Record<string, string> = {}, ...options: string[]): { code: number | null; lines: string[]; last: string } {
  const run = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...files, ...options], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000,
  });
  const lines = run.stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim());
  return { code: run.status, lines, last: lines.filter(Boolean).pop() ?? '' };
}

const fixture = (name: string) => join(FIXTURES, `${name}.test.ts`);

test('passing and reason-skipped tests: exit 0, the skip reason listed, the closing line counts all three', () => {
  const { code, lines, last } = runner([fixture('passes')]);
  assert.is(code, 0);
  assert.is(last, '2 passed, 0 failed, 1 skipped');
  assert.ok(lines.includes(`1 — the fixture lacks a widget (${fixture('passes')})`), lines.join('\n'));
});

test('each way a file reports less than it claims counts as one failure and is named', () => {
  const names = ['passes', 'fails', 'never-run', 'no-tests', 'late', 'bare-skip', 'load-error'];
  const { code, lines, last } = runner(names.map(fixture));
  assert.is(code, 1);
  // Passed: passes 2, fails 1, late 2 (the late test still runs, in the runner's sweep), bare-skip 1, never-run
  // 1 (the sweep runs it). Failed: 1 test + 5 problems. Skipped: passes 1 (with reason), bare-skip 1 (without).
  assert.is(last, '7 passed, 6 failed, 2 skipped');
  for (const problem of [
    `${fixture('never-run')}: never called test.run() (1 test(s) registered)`,
    `${fixture('no-tests')}: ran no test`,
    `${fixture('late')}: 1 test(s) registered after its last test.run() (uvu would run them under another file, or never)`,
    `${fixture('bare-skip')}: 1 test(s) skipped without a reason (test.skip / test.only): use test/util/skip.ts`,
    `${fixture('load-error')}: failed to load: Error: fixture: broken at load`,
  ]) {
    assert.ok(lines.includes(problem), `missing: ${problem}\n${lines.join('\n')}`);
  }
});

test('a process that ends in the middle of a test is a failure, not a pass', () => {
  // Files run in path order: exits.test.ts ends the process before passes.test.ts runs (its skip was
  // registered when it loaded).
  const { code, lines, last } = runner([fixture('passes'), fixture('exits')]);
  assert.is(code, 1);
  assert.is(last, '0 passed, 1 failed, 1 skipped');
  assert.ok(lines.some((l) => l === `the test process ended early (exit code 1) while running ${fixture('exits')}`), lines.join('\n'));
});

test('no test file matched is a failure', () => {
  const { code, lines, last } = runner([FIXTURES, 'no-such-file-name-matches-this']);
  assert.is(code, 1);
  assert.ok(lines.includes('no test files found'));
  assert.is(last, '0 passed, 1 failed, 0 skipped');
});

test('--bail stops at the first failing test', () => {
  const { code, last } = runner([fixture('fails'), fixture('passes')], {}, '--bail');
  assert.is(code, 1);
  // fails.test.ts: one pass, then the failure; passes.test.ts is never even loaded (under --bail each file runs
  // as soon as it has loaded), so its skip, registered at load, is not counted either.
  assert.is(last, '1 passed, 1 failed, 0 skipped');
});

test('a golden test pointed at a folder with no cases fails', () => {
  const empty = mkdtempSync(join(tmpdir(), 'frod-empty-golden-'));
  try {
    const { code, lines, last } = runner([join('test', 'frod', 'golden.test.ts')], { FROD_GOLDEN_DIR: empty });
    assert.is(code, 1);
    assert.ok(lines.some((l) => l.startsWith(`FAIL  "golden cases found in ${empty}"`)), lines.join('\n'));
    assert.match(last, /^\d+ passed, 1 failed, 0 skipped$/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test.run();
