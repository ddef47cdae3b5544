/**
 * Cleaning up after Ctrl-C: while the CLI writes an output through a temporary file, SIGINT, SIGTERM and SIGHUP
 * delete that file before the process ends (by the same signal, so the shell sees the usual status 130/143).
 *
 * The handlers are installed only while a temporary file exists: a handler defers a signal until JavaScript
 * yields, so during the long synchronous computations before the write Ctrl-C must keep its default, immediate
 * effect (there is nothing to clean up then). The writers that track a file yield often: the streaming
 * tensor writer (src/cli/checkpoint/tensorWriter.ts) writes asynchronously and `frod merge` awaits it after
 * each merged tensor, so a signal is handled between two tensors or two chunks. A SIGKILL or a power cut
 * cannot be handled: the next run that writes the same output removes what it left (see
 * src/util/atomicFile.ts).
 */
import * as fs from 'node:fs';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const pending = new Set<string>();

function onSignal(signal: NodeJS.Signals): void {
  for (const file of pending) {
    try { fs.rmSync(file, { recursive: true, force: true }); } catch { /* nothing more can be done now */ }
  }
  pending.clear();
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  process.kill(process.pid, signal); // no listener now: the default action ends the process
}

/**
 * Registers a temporary path to delete if the process is interrupted; returns the function that unregisters
 * it (call it once the file is renamed into place or removed).
 */
export function trackTemporary(file: string): () => void {
  if (pending.size === 0) for (const name of SIGNALS) process.on(name, onSignal);
  pending.add(file);
  return () => {
    if (!pending.delete(file) || pending.size > 0) return;
    for (const name of SIGNALS) process.removeListener(name, onSignal);
  };
}

/** The temporary paths currently registered (for tests). */
export function trackedTemporaries(): string[] {
  return [...pending];
}
