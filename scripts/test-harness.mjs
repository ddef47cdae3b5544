// The test process that scripts/run-tests.mjs starts (with `node --import tsx`): imports each test file in
// turn, lets uvu run every suite, and appends what happened to a report file, one JSON object a line, so the
// parent can count files, tests and skips even when this process dies part-way.
//
// Per file it records: how long the import took and whether it threw; how many times the file called
// `test.run()` (or `suite.run()`); tests that the file registered on uvu's shared default suite after its
// last `test.run()` (uvu would silently run them under the next file, or never); per suite run the counts
// total / passed / skipped; and the skips test/util/skip.ts registered with their reasons.
//
// Usage (from run-tests.mjs): node --import tsx scripts/test-harness.mjs REPORT_FILE BAIL(0|1) FILE...
import { appendFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportFile, bailFlag, ...files] = process.argv.slice(2);
const bail = bailFlag === '1';
const emit = (record) => appendFileSync(reportFile, `${JSON.stringify(record)}\n`);

// uvu queues suites instead of running them when UVU_DEFER is set before it loads (as its own CLI does).
globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [];
/** test/util/skip.ts pushes `{ file, test, reason }` here. */
globalThis.__FROD_TEST_SKIPS__ = [];
const uvu = await import('uvu');

// Mutation testing (scripts/mutation/runMutant.mjs): with FROD_MUTATION_COVERAGE=FILE, the code Stryker
// instrumented records which mutants each test file reaches, while the file loads ('import:FILE') and while its
// suites run ('run:FILE'); the counts go to FILE at the end (scripts/mutation/reach.mjs reads them).
// FROD_MUTATION_HIT_LIMIT caps how often the active mutant may run, so a mutant that makes a loop endless fails
// fast instead of waiting for Stryker's timeout.
const coverageFile = process.env.FROD_MUTATION_COVERAGE;
const stryker = (globalThis.__stryker__ ??= {});
const coverAs = (id) => { if (coverageFile) stryker.currentTestId = id; };
if (process.env.FROD_MUTATION_HIT_LIMIT) {
  stryker.hitCount = 0;
  stryker.hitLimit = Number(process.env.FROD_MUTATION_HIT_LIMIT);
}

/** Runs `run` with its stdout held back, and prints that only when `keep(result)`. */
async function quietUnless(run, keep) {
  const write = process.stdout.write;
  let held = '';
  process.stdout.write = (chunk) => { held += chunk; return true; };
  let result;
  try {
    result = await run();
  } finally {
    process.stdout.write = write;
  }
  if (keep(result)) process.stdout.write(held);
  return result;
}

/**
 * Wraps one queued suite runner so that its counts reach the report as it finishes. The sweep of the default
 * suite prints nothing when it found nothing.
 */
function counted(run, file, kind) {
  return async () => {
    emit({ type: 'start', file });
    coverAs(`run:${file}`);
    const started = performance.now();
    const result = kind === 'leftover' ? await quietUnless(run, (r) => r[3] > 0 || r[2] > 0) : await run();
    const [errors, passed, skipped, total] = result;
    emit({ type: 'suite', file, kind, total, passed, skipped, failed: errors === true ? 0 : total - passed, ms: performance.now() - started });
    return result;
  };
}

/** Runs a loaded file's queued suites now, stopping the process at the first failure as uvu's bail does. */
async function runNow(group) {
  const runners = group.splice(1);
  for (const run of runners) {
    const [errors] = await run();
    if (errors.length) {
      process.stdout.write(`\n${errors}\n`);
      process.exit(1);
    }
  }
}

const root = process.cwd();
// In the dry run the mutated source files load first, outside any test file: what their top level runs is then
// recorded as 'static' (every file that imports them must run those mutants), and 'import:FILE' holds only
// what FILE's own top-level set-up called, which FILE alone needs to run.
if (coverageFile && process.env.FROD_MUTATION_PRELOAD) {
  coverAs(undefined);
  for (const source of process.env.FROD_MUTATION_PRELOAD.split('\n').filter(Boolean)) await import(pathToFileURL(resolve(source)).href);
}
for (const [index, file] of files.entries()) {
  const name = relative(root, file);
  globalThis.UVU_INDEX = index;
  globalThis.__FROD_TEST_FILE__ = name;
  const group = [name];
  globalThis.UVU_QUEUE.push(group);
  emit({ type: 'load', file: name });
  const skipsBefore = globalThis.__FROD_TEST_SKIPS__.length;
  coverAs(`import:${name}`);
  const started = performance.now();
  let loadError = null;
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (err) {
    loadError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(`\n  ${name}: failed to load\n${loadError}\n`);
  }
  const runs = group.length - 1;
  // Sweep uvu's shared default suite: anything registered on it after the file's last test.run() shows up
  // in this extra run, attributed to the file that registered it.
  uvu.test.run();
  const sweep = group.pop();
  for (let i = 1; i < group.length; i++) group[i] = counted(group[i], name, 'suite');
  group.push(counted(sweep, name, 'leftover'));
  const skips = globalThis.__FROD_TEST_SKIPS__.slice(skipsBefore);
  emit({ type: 'file', file: name, runs, loadError, skips, ms: performance.now() - started });
  // With --bail (mutation runs), a file's suites run as soon as it has loaded: a mutant its first test file
  // kills then costs that file alone, not the loading of every file selected after it.
  if (bail) await runNow(group);
}
globalThis.__FROD_TEST_FILE__ = undefined;

await uvu.exec(bail);
if (coverageFile) {
  const coverage = { static: {}, perTest: {}, ...stryker.mutantCoverage, preloaded: Boolean(process.env.FROD_MUTATION_PRELOAD) };
  writeFileSync(coverageFile, JSON.stringify(coverage));
}
emit({ type: 'done' });
