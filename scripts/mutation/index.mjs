// `npm run mutation -- [FOLDER|FILE...] [--concurrency N] [--rerun-survivors | --rerun-survivors-of IDS] [--force]`: mutation testing with
// StrykerJS, one source folder (or file) at a time. A measurement of how strong the tests are, not part of CI or npm test.
//
// For each folder Stryker mutates its *.ts files, drops the mutants TypeScript rejects (typescript-checker) and
// runs the rest through its command runner: scripts/mutation/runMutant.mjs, which runs the project's own runner
// over the test folders picked for that source folder (TESTS below) and, per mutant, only the test files that
// reach it. Results are kept per folder in reports/mutation/<folder>/ (git-ignored):
//   incremental.json   Stryker's incremental file: a later run re-tests only mutants whose code changed
//   report.json        the full mutation-testing report (open it with Stryker's HTML report or read it)
//   survivors.txt      the score and every surviving mutant, one a line
//   coverage.json      which test files reach which mutant (from the dry run)
//   mutants.jsonl      one line per mutant as it finishes: id, exit status (0: survived), seconds, test files run
//
// --rerun-survivors  re-test the mutants that survived last time (after adding tests), reuse every other result
// --rerun-survivors-of IDS  the same for the survivors listed (comma-separated mutant ids, as in mutants.jsonl): the ones new
//                    tests were written for. Every other survivor keeps its status unseen (pessimistic: a new test might
//                    have killed it too); a survivor re-tests in minutes, so this is what fits when most are equivalent.
// --force            re-test every mutant
// --concurrency N    test runners at once (default 1: the machine is shared; 2 on an idle 2-core machine)
// A folder's first run starts from the results of earlier runs over some of its files (seedFromParts).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import { mutantReach } from './reach.mjs';

/** The folders the mutation score is measured on (issue 17), in the order a run takes them. */
const DEFAULT_FOLDERS = ['src/frod', 'src/peft', 'src/linalg/kernels', 'src/nn/optim', 'src/nn/io', 'src/tensor/ops'];

/**
 * The test folders (and files) run against each source folder's mutants: the ones that exercise it, so a run
 * fits a 2-core machine. A folder not listed gets test/<its path below src>.
 */
const TESTS = {
  'src/frod': ['test/frod', 'test/cli', 'test/peft', 'test/lora', 'test/gpu/offload.test.ts', 'test/api.test.ts', 'test/readme.test.ts'],
  'src/peft': ['test/peft', 'test/frod', 'test/lora', 'test/cli', 'test/gpu/offload.test.ts', 'test/demo/methods.test.ts', 'test/api.test.ts', 'test/readme.test.ts'],
  'src/linalg/kernels': ['test/linalg', 'test/frod/projection.test.ts', 'test/frod/golden.test.ts'],
  'src/nn/optim': ['test/nn'],
  'src/nn/io': ['test/io', 'test/nn', 'test/cli'],
  'src/tensor/ops': ['test/tensor', 'test/autograd'],
};

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function parseArgs(argv) {
  const folders = [];
  const options = { concurrency: 1, rerunSurvivors: false, rerunIds: null, force: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--concurrency') options.concurrency = Number(argv[++i]);
    else if (arg === '--rerun-survivors') options.rerunSurvivors = true;
    else if (arg === '--rerun-survivors-of') {
      options.rerunSurvivors = true;
      options.rerunIds = new Set(String(argv[++i] ?? '').split(',').filter(Boolean));
      if (options.rerunIds.size === 0) throw new Error('mutation: --rerun-survivors-of takes comma-separated mutant ids');
    }
    else if (arg === '--force') options.force = true;
    else if (arg.startsWith('--')) throw new Error(`mutation: unknown option ${arg}`);
    else folders.push(normalize(arg).replace(/\/+$/, ''));
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error('mutation: --concurrency takes a whole number ≥ 1');
  for (const folder of folders) if (!existsSync(folder)) throw new Error(`mutation: no folder or file ${folder}`);
  return { folders: folders.length ? folders : DEFAULT_FOLDERS, options };
}

function testsFor(folder) {
  const listed = TESTS[folder] ?? [join('test', folder.replace(/^src\//, '').split('/')[0])];
  return listed.filter((path) => existsSync(path));
}

/**
 * Drops last run's survivors (all, or those of `ids`) from the incremental file, so that Stryker tests them again
 * and reuses the rest.
 */
function forgetSurvivors(incrementalFile, ids = null) {
  if (!existsSync(incrementalFile)) return 0;
  const report = JSON.parse(readFileSync(incrementalFile, 'utf8'));
  let dropped = 0;
  for (const file of Object.values(report.files)) {
    const kept = file.mutants.filter((m) => !UNDETECTED.has(m.status) || (ids !== null && !ids.has(String(m.id))));
    dropped += file.mutants.length - kept.length;
    file.mutants = kept;
  }
  writeFileSync(incrementalFile, JSON.stringify(report));
  return dropped;
}

/**
 * A folder's first run reuses what runs over some of its files found (reports/mutation/<folder>-<files>/, e.g.
 * src-frod-basis for src/frod): their incremental files are merged into the folder's, and Stryker then re-tests
 * only the mutants of files that changed since, or that no such run covered. The newest run of a file wins.
 */
function seedFromParts(incrementalFile, slug) {
  if (existsSync(incrementalFile)) return;
  const reports = resolve('reports', 'mutation');
  const parts = readdirSync(reports)
    .filter((name) => name.startsWith(`${slug}-`) && existsSync(join(reports, name, 'incremental.json')))
    .map((name) => ({ name, file: join(reports, name, 'incremental.json') }))
    .sort((a, b) => statSync(a.file).mtimeMs - statSync(b.file).mtimeMs);
  if (parts.length === 0) return;
  let merged = null;
  for (const part of parts) {
    const report = JSON.parse(readFileSync(part.file, 'utf8'));
    merged = merged === null ? report : { ...merged, files: { ...merged.files, ...report.files } };
  }
  writeFileSync(incrementalFile, JSON.stringify(merged));
  console.log(`${slug}: starting from the results of ${parts.map((p) => p.name).join(', ')}`);
}

/** The score (detected / (detected + undetected)), per status and per file, and the survivors, as text. */
function summarize(folder, results, coverage, seconds) {
  const count = (statuses, list = results) => list.filter((m) => statuses.has(m.status)).length;
  const score = (list) => {
    const detected = count(DETECTED, list);
    const valid = detected + count(UNDETECTED, list);
    return valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)}%`;
  };
  const statuses = {};
  for (const m of results) statuses[m.status] = (statuses[m.status] ?? 0) + 1;
  const lines = [`${folder}: mutation score ${score(results)} in ${(seconds / 60).toFixed(1)} min (${JSON.stringify(statuses)})`];
  const byFile = new Map();
  for (const m of results) {
    const name = m.fileName.replace(`${process.cwd()}/`, '');
    if (!byFile.has(name)) byFile.set(name, []);
    byFile.get(name).push(m);
  }
  for (const [name, list] of [...byFile].sort()) lines.push(`  ${score(list).padStart(6)}  ${name} (${count(UNDETECTED, list)} undetected)`);
  lines.push('Survivors (file:line:column mutator: replacement):');
  for (const [name, list] of [...byFile].sort()) {
    for (const m of list.filter((x) => UNDETECTED.has(x.status)).sort((a, b) => a.location.start.line - b.location.start.line)) {
      const reach = coverage ? mutantReach(coverage, m.id) : null;
      const note = reach && reach.files.length === 0 && !reach.atLoad ? ' [no test file reaches it]' : '';
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100);
      lines.push(`  ${name}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${replacement}${note}`);
    }
  }
  return lines.join('\n');
}

async function mutateFolder(run, options) {
  const folder = run.name;
  const slug = (run.slug ?? run.name).replace(/\//g, '-');
  const dir = resolve('reports', 'mutation', slug);
  mkdirSync(dir, { recursive: true });
  const incrementalFile = join(dir, 'incremental.json');
  const coverageFile = join(dir, 'coverage.json');
  rmSync(join(dir, 'mutants.jsonl'), { force: true });
  if (options.rerunSurvivors) console.log(`${folder}: re-testing ${forgetSurvivors(incrementalFile, options.rerunIds)} survivor(s) of the last run`);
  if (!options.force) seedFromParts(incrementalFile, slug);
  const tests = testsFor(run.folder);
  // The command runner passes the environment on to runMutant.mjs.
  process.env.FROD_MUTATION_COVERAGE_FILE = coverageFile;
  // The dry run imports these before any test file, so that coverage tells their top level from what a test
  // file's own set-up reaches (scripts/mutation/reach.mjs).
  process.env.FROD_MUTATION_PRELOAD = mutatedFiles(run).join('\n');
  const started = performance.now();
  const stryker = new Stryker({
    mutate: run.mutate,
    testRunner: 'command',
    commandRunner: { command: `node scripts/mutation/runMutant.mjs ${tests.join(' ')}` },
    checkers: ['typescript'],
    // src only, and each mutant re-checks only its file and the files importing it (docs/testing.md says what
    // that gives up): the whole project takes twice as long to type-check as src alone.
    tsconfigFile: 'tsconfig.mutation.json',
    concurrency: options.concurrency,
    // Endless loops fail fast through the hit limit (runMutant.mjs); a generous timeout keeps a slow run on a
    // loaded machine from counting as a detected mutant.
    timeoutMS: 120_000,
    // The dry run runs every test file of the folder once (3–4 min for src/peft at load 8, more at load 15+):
    // Stryker's default limit of 5 minutes stopped whole runs on the shared machine.
    dryRunTimeoutMinutes: 30,
    incremental: true,
    incrementalFile,
    force: options.force,
    reporters: [process.stdout.isTTY ? 'progress' : 'progress-append-only', 'json'],
    jsonReporter: { fileName: join(dir, 'report.json') },
    ignorePatterns: ['dist', 'reports', 'frod-demo-out', '.stryker-tmp'],
    // Only the instrumented sources need '// @ts-nocheck' (the checker type-checks each mutant on its own); by
    // default Stryker also writes it into examples/, which test/readme.test.ts compares with README's sample.
    disableTypeChecks: 'src/**/*.ts',
    tempDirName: '.stryker-tmp',
    fileLogLevel: 'off',
    logLevel: 'info',
  });
  const results = await stryker.runMutationTest();
  const seconds = (performance.now() - started) / 1000;
  const coverage = existsSync(coverageFile) ? JSON.parse(readFileSync(coverageFile, 'utf8')) : null;
  const summary = summarize(folder, results, coverage, seconds);
  writeFileSync(join(dir, 'survivors.txt'), `${summary}\n`);
  const survivorsAt = summary.indexOf('\nSurvivors');
  console.log(`${summary.slice(0, survivorsAt)}\nSurvivors: ${join(dir, 'survivors.txt')}`);
  return summary.split('\n')[0];
}

/** The files a run mutates: a folder's *.ts files below it (its index.ts files excepted), or the files named. */
function mutatedFiles(run) {
  if (run.files) return run.files;
  const list = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return list(path);
    return entry.name.endsWith('.ts') && entry.name !== 'index.ts' ? [path] : [];
  });
  return list(run.folder).sort();
}

/**
 * The runs to make: each folder alone; files of one folder given together make one run (one dry run, whose
 * test folders take minutes, instead of one per file), reported under the folder and the files' names.
 */
function runsFor(targets) {
  const runs = [];
  const filesByFolder = new Map();
  for (const target of targets) {
    if (statSync(target).isDirectory()) runs.push({ name: target, mutate: [`${target}/**/*.ts`, `!${target}/**/index.ts`], folder: target });
    else {
      const folder = dirname(target);
      if (!filesByFolder.has(folder)) filesByFolder.set(folder, []);
      filesByFolder.get(folder).push(target);
    }
  }
  for (const [folder, files] of filesByFolder) {
    const names = files.map((file) => file.slice(folder.length + 1).replace(/\.ts$/, ''));
    runs.push({ name: files.length === 1 ? files[0] : `${folder}/{${names.join(',')}}`, slug: `${folder}/${names.join('+')}`, mutate: files, files, folder });
  }
  return runs;
}

const { folders, options } = parseArgs(process.argv.slice(2));
const headlines = [];
for (const run of runsFor(folders)) headlines.push(await mutateFolder(run, options));
console.log(`\n${headlines.join('\n')}`);
