/**
 * Fault injection for the crash-safety tests: `crashPoint('name')` kills the process with SIGKILL (no
 * cleanup, no exit handlers: as a power cut or the OOM killer would) when the environment variable
 * FROD_TEST_CRASH_AT equals 'name', and `pausePoint('name')` stops it for FROD_TEST_PAUSE_MS (default 3 s)
 * when FROD_TEST_PAUSE_AT equals 'name' (so a test can send a signal while a temporary file exists). Every
 * other run — and every browser, where there is no `process` — passes straight through. The names mark the
 * instants between the steps of a file or directory replacement (see src/util/atomicFile.ts,
 * src/peft/adapterCommit.ts, src/cli/files.ts) that no timing-based kill could hit reliably.
 */
interface ProcessLike {
  pid: number;
  env?: Record<string, string | undefined>;
  kill(pid: number, signal: string): void;
}

/** Kills this process at once when FROD_TEST_CRASH_AT names `point`. */
export function crashPoint(point: string): void {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (proc?.env?.FROD_TEST_CRASH_AT === point) proc.kill(proc.pid, 'SIGKILL');
}

/** Blocks this process for FROD_TEST_PAUSE_MS when FROD_TEST_PAUSE_AT names `point`. */
export function pausePoint(point: string): void {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (proc?.env?.FROD_TEST_PAUSE_AT !== point) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(proc.env.FROD_TEST_PAUSE_MS ?? 3000));
}
