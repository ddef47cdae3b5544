// The command Stryker's command runner starts for the dry run and for every mutant (cwd: Stryker's sandbox, where
// src/ holds every mutant at once and __STRYKER_ACTIVE_MUTANT__ says which one is switched on).
//
// Usage: node scripts/mutation/runMutant.mjs TEST_PATH...
//   dry run (no active mutant): runs the project's runner over TEST_PATH... and records, per test file, which
//     mutants the file reaches (scripts/test-harness.mjs with FROD_MUTATION_COVERAGE) in $FROD_MUTATION_COVERAGE_FILE.
//   mutant run: runs only the test files that reach the mutant, with --bail (the first failing test kills it).
//     A mutant reached while some file was loading (module-level code, or a test file's own top-level set-up)
//     runs every file, since a module's top level runs once, under whichever file imported it first. A mutant no
//     file reaches runs nothing and survives (the summary lists it as not covered).
//
// Spawned processes (the CLI tests' `node bin/frod.js`) run the mutant too but report no coverage, so a mutant
// reached only there is counted as not covered: pessimistic, never flattering.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mutantReach } from './reach.mjs';

const RUNNER = join('scripts', 'run-tests.mjs');
const testPaths = process.argv.slice(2);
const coverageFile = process.env.FROD_MUTATION_COVERAGE_FILE;
const active = process.env.__STRYKER_ACTIVE_MUTANT__;
if (!coverageFile) throw new Error('runMutant: FROD_MUTATION_COVERAGE_FILE is not set (start it through npm run mutation)');

/** Runs the project's runner; returns its exit status (1 when it died by a signal). */
function runTests(args, env) {
  const run = spawnSync(process.execPath, [RUNNER, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  return run.status ?? 1;
}

if (active === undefined) {
  process.exit(runTests(testPaths, { FROD_MUTATION_COVERAGE: coverageFile }));
} else {
  if (!existsSync(coverageFile)) throw new Error(`runMutant: no coverage file ${coverageFile} (the dry run writes it)`);
  const coverage = JSON.parse(readFileSync(coverageFile, 'utf8'));
  const reach = mutantReach(coverage, active);
  // The source folder's own tests first (TESTS lists them first): a killed mutant then fails in seconds, not after
  // the CLI tests that spawn processes.
  const rank = (file) => testPaths.findIndex((path) => file === path || file.startsWith(`${path}/`));
  const files = reach.atLoad ? testPaths : [...reach.files].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const log = (record) => appendFileSync(join(dirname(coverageFile), 'mutants.jsonl'), `${JSON.stringify(record)}\n`);
  if (files.length === 0) {
    console.log(`mutant ${active}: no test file reaches it`);
    log({ id: active, status: 0, seconds: 0, files: 0 });
    process.exit(0);
  }
  // An endless loop trips this long before Stryker's timeout: 100 times the dry run's count, as Stryker's own
  // runners do, but at least 10^5.
  const hitLimit = Math.max(100_000, 100 * reach.hits);
  const started = performance.now();
  const status = runTests([...files, '--bail', '--in-order'], { FROD_MUTATION_HIT_LIMIT: String(hitLimit) });
  // One line per mutant beside the coverage file, to follow a long run (survivors show as status 0).
  log({ id: active, status, seconds: Math.round((performance.now() - started) / 100) / 10, files: files.length });
  process.exit(status);
}
