/**
 * `npm run fuzz -- --iterations N --seed S [--jobs J] [--timeout-ms T] [--memory-mb M] [--case I]`
 *
 * Feeds seeded mutations of valid inputs (safetensors files, adapter directories, adapter_config.json) to the
 * library readers and to `frod inspect`, `frod init` and `frod merge` (see fuzz/cases.ts), each case in a worker
 * process under a time and memory bound. Prints every finding with the command that reproduces it, then a
 * summary (duration, slowest case, largest memory); exits 1 when there is any finding.
 */
import { Command } from 'commander';
import { TARGETS, type Target } from './cases';
import { describeFinding, runFuzz } from './runner';

interface Options {
  iterations: string;
  seed: string;
  jobs: string;
  timeoutMs: string;
  memoryMb: string;
  case?: string;
  target?: string;
}

const positive = (value: string, name: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got ${value}`);
  return n;
};

async function fuzz(options: Options): Promise<number> {
  if (options.target !== undefined && !(TARGETS as readonly string[]).includes(options.target)) {
    throw new Error(`--target: expected one of ${TARGETS.join(', ')}, got ${options.target}`);
  }
  const iterations = positive(options.iterations, 'iterations');
  const progressEvery = Math.max(100, Math.round(iterations / 20));
  const report = await runFuzz({
    iterations, seed: options.seed, jobs: positive(options.jobs, 'jobs'), timeoutMs: positive(options.timeoutMs, 'timeout-ms'),
    memoryMb: positive(options.memoryMb, 'memory-mb'), caseIndex: options.case === undefined ? undefined : positive(options.case, 'case'),
    only: options.target as Target | undefined,
    onCase: (done, result) => {
      if (result.finding) console.log(describeFinding(options.seed, result));
      if (options.case !== undefined) console.log(JSON.stringify(result, null, 2));
      else if (done % progressEvery === 0) console.log(`… ${done} cases, ${(performance.now() / 1000).toFixed(0)} s`);
    },
  });
  const targets = Object.entries(report.byTarget).sort().map(([t, [ok, refused]]) => `${t} ${ok + refused} (${ok} ok, ${refused} refused)`);
  console.log(`frod fuzz: ${report.cases} cases of seed ${report.seed} in ${(report.ms / 1000).toFixed(1)} s: ${report.findings.length} findings`);
  console.log(`  targets: ${targets.join(', ')}`);
  if (report.slowest) console.log(`  slowest case: ${report.seed}/${report.slowest.index} ${report.slowest.outcome?.target ?? ''} ${report.slowest.ms.toFixed(0)} ms`);
  if (report.largest) console.log(`  largest memory: ${report.seed}/${report.largest.index} ${report.largest.outcome?.target ?? ''} ${report.largest.rssMb.toFixed(0)} MB peak RSS of its worker`);
  return report.findings.length === 0 ? 0 : 1;
}

const program = new Command('fuzz')
  .description('Fuzz the safetensors and adapter readers and the frod commands with seeded mutations of valid inputs.')
  .option('--iterations <n>', 'number of cases', '1000')
  .option('--seed <s>', 'the seed of the run (case i uses "<seed>/<i>")', '1')
  .option('--jobs <n>', 'worker processes', '2')
  .option('--timeout-ms <n>', 'the time one case may take', '20000')
  .option('--memory-mb <n>', 'the peak memory a worker may reach during a case', '1024')
  .option('--case <i>', 'run only case i (to reproduce a finding)')
  .option('--target <name>', `feed every case to one target (${TARGETS.join(', ')})`)
  .action(async (options: Options) => { process.exitCode = await fuzz(options); });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`fuzz: ${err.message}`);
  process.exitCode = 2;
});
