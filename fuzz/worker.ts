/**
 * A fuzz worker process (started by ./runner.ts): runs the cases its parent sends, one at a time, each in a
 * fresh directory, and reports each outcome with its time and the process's peak memory during the case.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setWarningHandler } from '../src/peft/warnings';
import { type Target, runCase } from './cases';
import { loadSeeds } from './corpus';

/** A message from the parent. */
export interface CaseRequest {
  runSeed: string;
  index: number;
  only?: Target;
}

/** Peak resident memory since the last reset, in MB (Linux: VmHWM, reset through clear_refs), or current RSS. */
function peakRssMb(): number {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    if (Number.isFinite(kb)) return kb / 1024;
  } catch { /* not Linux */ }
  return process.memoryUsage().rss / (1024 * 1024);
}

function resetPeak(): void {
  try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { /* the peak then includes earlier cases */ }
}

const seeds = loadSeeds();
const root = fs.mkdtempSync(path.join(os.tmpdir(), `frod-fuzz-${process.pid}-`));
setWarningHandler(() => {}); // library warnings are expected on odd configs; the oracle judges errors
process.on('unhandledRejection', (err) => {
  process.send?.({ type: 'crash', message: `unhandled rejection: ${String((err as Error)?.stack ?? err).split('\n').slice(0, 3).join(' | ')}` });
});
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

process.on('message', async (request: CaseRequest) => {
  const dir = path.join(root, `case-${request.index}`);
  fs.mkdirSync(dir);
  (globalThis as { gc?: () => void }).gc?.();
  resetPeak();
  const started = performance.now();
  const outcome = await runCase(request.runSeed, request.index, seeds, dir, request.only);
  const ms = performance.now() - started;
  const rssMb = peakRssMb();
  fs.rmSync(dir, { recursive: true, force: true });
  process.send?.({ type: 'result', index: request.index, outcome, ms, rssMb });
});

process.send?.({ type: 'ready', dir: root });
