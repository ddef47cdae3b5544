/**
 * Access to Node's built-in modules without importing them, so the core bundles for browsers unchanged.
 * `process.getBuiltinModule` exists from Node 20.16; in a browser these helpers throw a clear error.
 */
import type * as FsModule from 'node:fs';
import type * as PathModule from 'node:path';

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

/** True when running under Node with access to built-in modules. */
export function hasNode(): boolean {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  return typeof proc?.getBuiltinModule === 'function';
}

/** Atomic file replacement (temporary sibling, flush, rename; keeps mode and owner): see ./atomicFile. */
export { writeFileAtomic } from './atomicFile';
