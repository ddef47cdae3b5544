/**
 * Fault injection for the crash-safety tests: `crashPoint('name')` kills the process with SIGKILL (no
 * cleanup, no exit handlers: as a power cut or the OOM killer would) when the environment variable
 * FROD_TEST_CRASH_AT equals 'name'. Every other run — and every browser, where there is no `process` —
 * passes straight through. The names mark the instants between the steps of a file or directory
 * replacement (see src/util/atomicFile.ts, src/peft/adapterCommit.ts) that no timing-based kill could hit
 * reliably.
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
