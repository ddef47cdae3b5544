/**
 * The fuzz driver: hands the cases of a seeded run to worker processes (./worker.ts), each case under a time
 * and memory bound, and collects the findings. A case that overruns its time (a hang), a worker whose memory
 * passes the bound, or a worker that dies is a finding too; the worker is then replaced and the run goes on.
 * Case `i` of seed `S` depends on nothing else, so a finding is reproduced by `npm run fuzz -- --seed S --case i`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeControl } from '../src/util/escape';
import type { CaseOutcome, Target } from './cases';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface FuzzOptions {
  iterations: number;
  seed: string;
  /** Worker processes (default 2). */
  jobs?: number;
  /** The time one case may take (default 20 s). */
  timeoutMs?: number;
  /** The peak resident memory a worker may reach during a case (default 1024 MB). */
  memoryMb?: number;
  /** Run only this case index (reproducing a finding). */
  caseIndex?: number;
  /** Feed every case to this target (tests use the planted ones). */
  only?: Target;
  /** Called after each case. */
  onCase?: (done: number, result: CaseResult) => void;
}

/** One case as the runner saw it. */
export interface CaseResult {
  index: number;
  outcome: CaseOutcome | null;
  ms: number;
  rssMb: number;
  /** Set when the case is a finding (from the oracle, or a timeout, memory overrun or crash). */
  finding: string | null;
}

export interface FuzzReport {
  seed: string;
  cases: number;
  ms: number;
  findings: CaseResult[];
  slowest: CaseResult | null;
  largest: CaseResult | null;
  /** Cases per target: [ok, refused]. */
  byTarget: Record<string, [number, number]>;
}

/** Resident memory of process `pid` in MB (Linux), or 0 when unknown. */
function rssOf(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Worker {
  child: ChildProcess;
  dir: string | null;
  ready: Promise<void>;
}

function startWorker(memoryMb: number): Worker {
  const child = fork(path.join(ROOT, 'fuzz', 'worker.ts'), [], {
    cwd: ROOT, execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${memoryMb}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced',
  });
  child.stderr?.resume();
  const worker: Worker = { child, dir: null, ready: Promise.resolve() };
  worker.ready = new Promise((resolve, reject) => {
    child.once('message', (message: { type: string; dir: string }) => {
      if (message.type === 'ready') { worker.dir = message.dir; resolve(); } else reject(new Error(`worker said ${message.type} first`));
    });
    child.once('exit', (code, signal) => reject(new Error(`a fuzz worker failed to start (${code ?? signal})`)));
  });
  return worker;
}

function stopWorker(worker: Worker): void {
  worker.child.kill('SIGKILL');
  if (worker.dir) fs.rmSync(worker.dir, { recursive: true, force: true });
}

/** Runs one case on `worker`; resolves with the result, or a finding when it overruns, dies or swells. */
function runOn(worker: Worker, seed: string, index: number, options: Required<Pick<FuzzOptions, 'timeoutMs' | 'memoryMb'>> & { only?: Target }): Promise<CaseResult & { workerLost: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let peak = 0;
    const finish = (result: CaseResult, workerLost: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      worker.child.off('message', onMessage);
      worker.child.off('exit', onExit);
      resolve({ ...result, workerLost });
    };
    const lost = (finding: string) => {
      stopWorker(worker);
      finish({ index, outcome: null, ms: performance.now() - started, rssMb: peak, finding }, true);
    };
    const onMessage = (message: { type: string; index?: number; outcome?: CaseOutcome; ms?: number; rssMb?: number; message?: string }) => {
      if (message.type === 'crash') lost(message.message ?? 'worker crash');
      else if (message.type === 'result' && message.index === index) {
        const rssMb = Math.max(peak, message.rssMb ?? 0);
        const overMemory = rssMb > options.memoryMb ? `peak memory ${rssMb.toFixed(0)} MB past the bound of ${options.memoryMb} MB` : null;
        finish({ index, outcome: message.outcome!, ms: message.ms!, rssMb, finding: message.outcome!.finding ?? overMemory }, false);
      }
    };
    const onExit = (code: number | null, signal: string | null) => lost(`worker died (${signal ?? `exit ${code}`})`);
    const timer = setTimeout(() => lost(`no result after ${options.timeoutMs} ms (a hang)`), options.timeoutMs);
    const poll = setInterval(() => {
      peak = Math.max(peak, rssOf(worker.child.pid!));
      if (peak > options.memoryMb) lost(`memory ${peak.toFixed(0)} MB past the bound of ${options.memoryMb} MB`);
    }, 50);
    worker.child.on('message', onMessage);
    worker.child.on('exit', onExit);
    worker.child.send({ runSeed: seed, index, only: options.only });
  });
}

/** Runs the cases of `options.seed` and reports the findings, the slowest case and the largest memory. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const settings = { timeoutMs: options.timeoutMs ?? 20_000, memoryMb: options.memoryMb ?? 1024, only: options.only };
  const indices = options.caseIndex === undefined ? Array.from({ length: options.iterations }, (_, i) => i) : [options.caseIndex];
  const report: FuzzReport = { seed: options.seed, cases: 0, ms: 0, findings: [], slowest: null, largest: null, byTarget: {} };
  let next = 0;
  const lane = async () => {
    let worker = startWorker(settings.memoryMb);
    try {
      await worker.ready;
      while (next < indices.length) {
        const index = indices[next++];
        const result = await runOn(worker, options.seed, index, settings);
        report.cases++;
        if (result.finding) report.findings.push(result);
        if (!report.slowest || result.ms > report.slowest.ms) report.slowest = result;
        if (!report.largest || result.rssMb > report.largest.rssMb) report.largest = result;
        const target = result.outcome?.target ?? settings.only ?? 'unknown';
        const counts = (report.byTarget[target] ??= [0, 0]);
        counts[result.outcome?.result === 'ok' ? 0 : 1]++;
        options.onCase?.(report.cases, result);
        if (result.workerLost) {
          worker = startWorker(settings.memoryMb);
          await worker.ready;
        }
      }
    } finally {
      stopWorker(worker);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs ?? 2, indices.length) }, lane));
  report.findings.sort((a, b) => a.index - b.index);
  report.ms = performance.now() - started;
  return report;
}

/** The lines that describe a finding, ending with how to reproduce it. */
export function describeFinding(seed: string, result: CaseResult): string {
  const outcome = result.outcome;
  const short = (text: string) => escapeControl(text.length > 120 ? `${text.slice(0, 117)}...` : text);
  const what = outcome ? `${outcome.target} (${outcome.mutations.map(short).join('; ')})` : 'case';
  const message = outcome?.message ? `\n    message: ${JSON.stringify(outcome.message)}` : '';
  return `FINDING ${seed}/${result.index} ${what}: ${escapeControl(result.finding ?? '')}${message}\n    reproduce: npm run fuzz -- --seed ${seed} --case ${result.index}`;
}
