/**
 * `frod conformance`: the reference kit for other FRoD implementations (docs/conformance.md).
 *
 *   frod conformance export --out DIR [--seed N] [--random K]      write a suite (safetensors + JSON)
 *   frod conformance grade --suite DIR --actual DIR [--json]       grade an implementation's outputs
 *   frod conformance run --suite DIR --out DIR                     frod-ts's own outputs for a suite
 *
 * The suite and outputs are directories written all or nothing (a temporary sibling renamed into place); an
 * existing directory is replaced only when it holds a previous suite (or previous outputs).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FileReader, formatReport, gradeSuite, parseManifest } from '../../conformance/grade';
import type { PatternRng, Precision } from '../../conformance/manifest';
import { runSuite } from '../../conformance/runner';
import { exportSuite } from '../../conformance/suite';
import { createProgress } from '../../util/progress';
import { fillOutputDir } from '../files';
import { CliError, EXIT_FAILURE, about } from '../io';
import { VERSION, type CliCommand, type CliContext } from '../program';
import { withProgressBars } from '../progress';

/** A non-negative integer option value. */
function count(label: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) > max) throw new InvalidArgumentError(`${label} must be an integer in [0, ${max}]`);
    return Number(value);
  };
}

/** Checks that `dir` may be (re)written: absent, empty, or holding what `isOurs` recognises. */
function checkReplaceable(dir: string, isOurs: (names: string[]) => boolean, kind: string): void {
  const parent = path.dirname(path.resolve(dir));
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw new CliError(dir, `cannot be created: ${parent} is not an existing directory`);
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new CliError(dir, 'exists and is not a directory');
  const names = fs.readdirSync(dir);
  if (names.length > 0 && !isOurs(names)) throw new CliError(dir, `already exists and does not hold ${kind}; choose a new or empty directory`);
}

/**
 * Writes `files` (relative paths) as directory `dir` through the CLI's one folder writer (src/cli/files.ts's
 * fillOutputDir): staged beside it, renamed into place, the staging folder removed on a signal or a failure.
 */
async function writeTree(dir: string, files: ReadonlyMap<string, Uint8Array>, what: string): Promise<void> {
  await fillOutputDir(dir, what, async (staging) => {
    for (const [rel, bytes] of files) {
      const target = path.join(staging, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, bytes);
    }
  });
}

/** Reads files under `root` (null for a path that is not a regular file). */
function dirReader(root: string): FileReader {
  return (rel) => {
    const file = path.join(root, rel);
    try {
      return fs.statSync(file).isFile() ? new Uint8Array(fs.readFileSync(file)) : null;
    } catch {
      return null;
    }
  };
}

function checkInputDir(dir: string): void {
  let ok = false;
  try {
    ok = fs.statSync(dir).isDirectory();
  } catch {
    throw new CliError(dir, 'no such directory');
  }
  if (!ok) throw new CliError(dir, 'is not a directory');
}

const isSuite = (names: string[]) => names.includes('manifest.json');
const isOutputs = (names: string[]) => names.every((n) => n === 'implementation.json' || n === 'cases');

interface ExportOptions { out: string; seed: number; random: number }

async function runExport(options: ExportOptions, context: CliContext): Promise<void> {
  checkReplaceable(options.out, isSuite, 'a conformance suite');
  const suite = about(options.out, () => exportSuite({ seed: options.seed, random: options.random }));
  await writeTree(options.out, suite.files, 'conformance suite');
  const checks = suite.manifest.cases.reduce((n, c) => n + c.checks.length, 0);
  context.io.stdout(`frod conformance export: wrote ${options.out}: ${suite.manifest.cases.length} cases (${options.random} random, seed ${options.seed}), ${checks} checks, ${suite.files.size} files; see ${path.join(options.out, 'README.md')}\n`);
}

interface RunOptions { suite: string; out: string }

async function runOwn(options: RunOptions, context: CliContext): Promise<void> {
  checkInputDir(options.suite);
  const manifestBytes = dirReader(options.suite)('manifest.json');
  if (manifestBytes === null) throw new CliError(options.suite, 'holds no manifest.json (write a suite with `frod conformance export`)');
  const manifest = about(path.join(options.suite, 'manifest.json'), () => parseManifest(manifestBytes));
  checkReplaceable(options.out, isOutputs, 'conformance outputs');
  const stream = context.progressEnabled() ? context.io.progressStream : null;
  const files = withProgressBars(stream, () => {
    const task = createProgress().start('conformance run', manifest.cases.length);
    let done = 0;
    try {
      return about(options.suite, () => runSuite(options.suite, manifest, VERSION, (id) => task.update(done++, id)));
    } finally {
      task.stop();
    }
  });
  await writeTree(options.out, files, 'conformance outputs');
  context.io.stdout(`frod conformance run: wrote frod-ts's outputs for ${manifest.cases.length} cases to ${options.out}\n`);
}

interface GradeOptions { suite: string; actual: string; json?: boolean; patternRng?: string; precision?: Precision; failuresOnly?: boolean }

function runGrade(options: GradeOptions, context: CliContext): void {
  checkInputDir(options.suite);
  checkInputDir(options.actual);
  const patternRng = options.patternRng === undefined ? undefined : (options.patternRng === 'none' ? null : options.patternRng as PatternRng);
  const report = about(options.suite, () => gradeSuite(dirReader(options.suite), dirReader(options.actual), { patternRng, precision: options.precision }));
  if (options.json) context.io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else for (const line of formatReport(report, { failuresOnly: options.failuresOnly })) context.io.stdout(`${line}\n`);
  if (!report.ok) throw new CliError('', `${report.failed} failed and ${report.missing} missing of ${report.rows.length} checks`, EXIT_FAILURE);
}

/** Output settings shared by the subcommands (they inherit them from the group, made before them). */
function configureGroup(group: Command, context: CliContext): Command {
  return group.exitOverride().configureOutput({
    writeOut: (text) => context.io.stdout(text),
    writeErr: (text) => context.io.stderr(text),
    outputError: (text) => context.io.stderr(`frod conformance: ${text.replace(/^error: /, '').split('\n').map((s) => s.trim()).filter(Boolean).join(' ')}\n`),
    getOutHelpWidth: () => 100,
    getErrHelpWidth: () => 100,
  });
}

const conformanceCommand: CliCommand = {
  create(context) {
    const group = configureGroup(new Command('conformance'), context)
      .summary('the reference kit: export a suite, grade another implementation\'s outputs')
      .description('A conformance suite for other FRoD implementations, in safetensors + JSON: `export` writes it, an implementation '
        + 'runs its protocol (README.md in the suite; conformance/peft_runner.py does it with PyTorch + PEFT), `grade` compares '
        + 'its outputs check by check. See docs/conformance.md.');
    group.command('export')
      .summary('write a conformance suite (safetensors + JSON)')
      .description('Write a conformance suite: the named cases (and --random K seeded random ones), each with its base weights, '
        + 'inputs, adapter configs, trained adapters and expected results, and manifest.json with every check, rule and tolerance. '
        + 'The same options give the same bytes.')
      .requiredOption('--out <dir>', 'the suite directory to write (new, empty, or a previous suite, which is replaced)')
      .option('--seed <n>', 'seed of every number in the suite', count('--seed'), 0)
      .option('--random <k>', 'add K seeded random cases', count('--random', 1000), 0)
      .action((options: ExportOptions) => runExport(options, context));
    group.command('grade')
      .summary('grade an implementation\'s outputs against a suite')
      .description('Grade an implementation\'s outputs (ACTUAL/cases/<id>/outputs.safetensors and outputs.json) against a suite: '
        + 'one row per check with its worst error and tolerance. Exit status 0 only when every check passes; missing outputs are '
        + 'reported as missing.')
      .requiredOption('--suite <dir>', 'the suite (from `frod conformance export`)')
      .requiredOption('--actual <dir>', 'the implementation\'s outputs')
      .option('--json', 'print the report as JSON')
      .option('--failures-only', 'list only the checks that did not pass')
      .addOption(new Option('--pattern-rng <rng>', 'the generator the implementation claims for patterns (overrides implementation.json)').choices(['peft', 'frod-ts', 'none']))
      .addOption(new Option('--precision <p>', 'the arithmetic it uses for float64 cases (overrides implementation.json)').choices(['float64', 'float32']))
      .action((options: GradeOptions) => runGrade(options, context));
    group.command('run')
      .summary('write frod-ts\'s own outputs for a suite')
      .description('Run frod-ts itself on a suite (through its Module API: getPeftModel, PeftModel.fromPretrained, autograd) and write '
        + 'its outputs in the kit\'s layout: a worked example of what an implementation writes.')
      .requiredOption('--suite <dir>', 'the suite (from `frod conformance export`)')
      .requiredOption('--out <dir>', 'the outputs directory to write (new, empty, or previous outputs, which are replaced)')
      .action((options: RunOptions) => runOwn(options, context));
    return group;
  },
};

export default conformanceCommand;
