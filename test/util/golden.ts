/**
 * Where the golden FRoD cases are, and the guard that a golden test which finds none fails instead of passing
 * with nothing checked (e.g. FROD_GOLDEN_DIR pointing at an empty or wrong folder).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Test, test as defaultTest } from 'uvu';
import * as assert from 'uvu/assert';

/** $FROD_GOLDEN_DIR (cases made by `make_golden.py OUT --seed N`), else test/fixtures/golden. */
export const GOLDEN_DIR = process.env.FROD_GOLDEN_DIR ?? join(import.meta.dirname, '..', 'fixtures', 'golden');

/** The case folders of `dir` (those holding a case.json), sorted. */
export function goldenCaseNames(dir: string = GOLDEN_DIR): string[] {
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, 'case.json'))).sort();
}

/** Registers a test that fails when `names` (the cases a golden test file found in `dir`) is empty. */
export function requireGoldenCases(names: readonly string[], dir: string = GOLDEN_DIR, suite: Test = defaultTest): void {
  suite(`golden cases found in ${dir}`, () => {
    assert.ok(names.length > 0, `no golden case (a folder with case.json) in ${dir}: set FROD_GOLDEN_DIR to a folder written by make_golden.py`);
  });
}
