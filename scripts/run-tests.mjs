// Runs the uvu suite over the TypeScript tests (through tsx) and ends with the line CI reads:
//   N passed, N failed, N skipped
// (passed and failed first; the skip reasons are listed just above it).
//
// Usage: node scripts/run-tests.mjs [PATH...] [PATTERN] [--bail] [--times]
//   PATH     test files or folders (default: test); an argument that is no existing path is the PATTERN, a
//            regular expression the file path must match (default: every *.test.ts)
//   --bail   stop at the first failing test (mutation testing uses this: a killed mutant ends early)
//   --times  list the slowest files (import + run)
//   --in-order  run the files in the order the PATHs name them (each folder's files sorted) instead of all
//            sorted: mutation testing names the mutated folder's own tests first, so a killed mutant fails early
//
// Besides failing tests, each of these counts as one failure: a test file that failed to load, one that never
// called test.run(), one whose suites ran no test and skipped none, tests registered on uvu's default suite
// after the file's last test.run(), a skip without a reason (plain test.skip / test.only: use
// test/util/skip.ts), no test file found, and a test process that ended before it finished.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const harness = join(root, 'scripts', 'test-harness.mjs');

function parseArgs(argv) {
  const paths = [];
  let pattern = null;
  const flags = new Set();
  for (const arg of argv) {
    if (arg.startsWith('--')) flags.add(arg);
    else if (existsSync(arg)) paths.push(arg);
    else if (pattern === null) pattern = new RegExp(arg);
    else throw new Error(`run-tests: ${arg} is neither a path nor the only pattern`);
  }
  for (const flag of flags) {
    if (flag !== '--bail' && flag !== '--times' && flag !== '--in-order') throw new Error(`run-tests: unknown option ${flag}`);
  }
  return { paths: paths.length ? paths : ['test'], pattern, bail: flags.has('--bail'), times: flags.has('--times'), inOrder: flags.has('--in-order') };
}

/** Every *.test.ts under the paths whose path matches `pattern`, sorted (or in the paths' order), without duplicates. */
function testFiles(paths, pattern, inOrder = false) {
  const found = new Set();
  // test/browser drives a real Chromium against the built site (`npm run test:browser`, run by .ci/run after
  // `npm test`): it runs only when named, never as part of a walk over test/.
  const browserTests = join(root, 'test', 'browser');
  const walk = (path) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry !== 'node_modules' && entry !== 'fixtures' && resolve(path, entry) !== browserTests) walk(join(path, entry));
      }
    } else if (/\.test\.ts$/.test(path) && (pattern === null || pattern.test(path))) {
      found.add(relative(root, resolve(path)));
    }
  };
  paths.forEach(walk);
  return inOrder ? [...found] : [...found].sort();
}

/** Reads the harness's report lines (a line cut off by a crash is ignored). */
function readReport(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}

/** Totals, skips and problems from the report records. */
function summarize(records, expectedFiles, exit, bail) {
  const files = new Map();
  const fileOf = (name) => {
    if (!files.has(name)) files.set(name, { total: 0, passed: 0, failed: 0, uvuSkipped: 0, leftover: 0, runs: 0, skips: [], loaded: false, loadError: null, ms: 0 });
    return files.get(name);
  };
  let done = false;
  let current = 'before the first test file';
  for (const r of records) {
    if (r.type === 'done') done = true;
    else if (r.type === 'load') current = `while loading ${r.file}`;
    else if (r.type === 'start') current = `while running ${r.file}`;
    else if (r.type === 'file') Object.assign(fileOf(r.file), { loaded: true, runs: r.runs, loadError: r.loadError, skips: r.skips, ms: fileOf(r.file).ms + r.ms });
    else if (r.type === 'suite') {
      const f = fileOf(r.file);
      f.total += r.total;
      f.passed += r.passed;
      f.failed += r.failed;
      f.uvuSkipped += r.skipped;
      f.ms += r.ms;
      if (r.kind === 'leftover') f.leftover += r.total;
    }
  }
  const problems = [];
  if (expectedFiles.length === 0) problems.push('no test files found');
  let passed = 0, failed = 0, skipped = 0;
  const reasons = new Map();
  for (const [name, f] of files) {
    passed += f.passed;
    failed += f.failed;
    const unexplained = Math.max(0, f.uvuSkipped - f.skips.length);
    skipped += f.skips.length + unexplained;
    for (const s of f.skips) {
      const entry = reasons.get(s.reason) ?? { tests: 0, files: new Set() };
      entry.tests += 1;
      entry.files.add(name);
      reasons.set(s.reason, entry);
    }
    if (f.loadError) problems.push(`${name}: failed to load: ${f.loadError.split('\n')[0]}`);
    else if (f.loaded && f.runs === 0) problems.push(`${name}: never called test.run()${f.leftover ? ` (${f.leftover} test(s) registered)` : ''}`);
    else if (f.leftover > 0) problems.push(`${name}: ${f.leftover} test(s) registered after its last test.run() (uvu would run them under another file, or never)`);
    else if (f.loaded && done && f.total === 0 && f.skips.length === 0 && f.uvuSkipped === 0) problems.push(`${name}: ran no test`);
    if (unexplained > 0) problems.push(`${name}: ${unexplained} test(s) skipped without a reason (test.skip / test.only): use test/util/skip.ts`);
  }
  if (!done && !(bail && failed > 0)) {
    problems.push(`the test process ended early (${exit.text}) ${current}`);
  } else if (done && !exit.ok && failed === 0 && problems.length === 0) {
    problems.push(`the test process ended with ${exit.text} after every test passed`);
  }
  return { passed, testsFailed: failed, failed: failed + problems.length, skipped, problems, reasons, files };
}

function printSummary(summary, fileCount, times) {
  const lines = [];
  const ran = [...summary.files.values()].filter((f) => f.total > 0).length;
  lines.push(`${fileCount} test files (${ran} ran tests), ${summary.passed + summary.testsFailed + summary.skipped} tests`);
  if (summary.reasons.size > 0) {
    lines.push('Skipped:');
    for (const [reason, { tests, files }] of summary.reasons) lines.push(`  ${tests} — ${reason} (${[...files].join(', ')})`);
  }
  if (summary.problems.length > 0) {
    lines.push('Problems (each counts as one failure):');
    for (const p of summary.problems) lines.push(`  ${p}`);
  }
  if (times) {
    lines.push('Slowest files (import + run):');
    const slow = [...summary.files].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [name, f] of slow) lines.push(`  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
  }
  console.log(`\n${lines.join('\n')}`);
  console.log(`\n${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  console.log('\n0 passed, 1 failed, 0 skipped');
  process.exit(2);
}
const files = testFiles(args.paths, args.pattern, args.inOrder);
const work = mkdtempSync(join(tmpdir(), 'frod-tests-'));
const reportFile = join(work, 'report.jsonl');
const child = spawn(process.execPath, ['--import', 'tsx', harness, reportFile, args.bail ? '1' : '0', ...files], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, FROD_PROGRESS: process.env.FROD_PROGRESS ?? '0' },
});
child.on('close', (code, signal) => {
  const summary = summarize(readReport(reportFile), files, { ok: code === 0, text: signal ? `signal ${signal}` : `exit code ${code}` }, args.bail);
  rmSync(work, { recursive: true, force: true });
  printSummary(summary, files.length, args.times);
  process.exit(summary.failed > 0 ? 1 : 0);
});
