/**
 * Access to Node's built-in modules without importing them, so the core bundles for browsers unchanged.
 * `process.getBuiltinModule` exists from Node 20.16; in a browser these helpers throw a clear error.
 */
import type * as FsModule from 'node:fs';
import type * as OsModule from 'node:os';
import type * as PathModule from 'node:path';
import type * as WorkerThreadsModule from 'node:worker_threads';

interface NodeProcessLike {
  getBuiltinModule?: (id: string) => unknown;
}

function builtin<T>(id: string, what: string): T {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  const mod = proc?.getBuiltinModule?.(id);
  if (!mod) throw new Error(`${what} needs Node.js (module '${id}' is not available here); pass bytes instead`);
  return mod as T;
}

/** Node's `fs`, or an error naming the caller when not running under Node ≥ 20.16. */
export function nodeFs(what: string): typeof FsModule {
  return builtin<typeof FsModule>('node:fs', what);
}

/** Node's `path`, or an error naming the caller. */
export function nodePath(what: string): typeof PathModule {
  return builtin<typeof PathModule>('node:path', what);
}

/** A built-in module, or null when not running under Node ≥ 20.16 (for optional features such as threads). */
function optionalBuiltin<T>(id: string): T | null {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  return (proc?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

/** Node's `worker_threads`, or null outside Node. */
export function nodeWorkerThreads(): typeof WorkerThreadsModule | null {
  return optionalBuiltin<typeof WorkerThreadsModule>('node:worker_threads');
}

/** Node's `os`, or null outside Node. */
export function nodeOs(): typeof OsModule | null {
  return optionalBuiltin<typeof OsModule>('node:os');
}

/** An environment variable under Node (undefined elsewhere or when unset). */
export function nodeEnv(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** True when running under Node with access to built-in modules. */
export function hasNode(): boolean {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  return typeof proc?.getBuiltinModule === 'function';
}

/** Atomic file replacement (temporary sibling, flush, rename; keeps mode and owner): see ./atomicFile. */
export { writeFileAtomic } from './atomicFile';
