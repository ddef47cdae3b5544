/**
 * Where the gpu device finds gpu.js. gpu.js is an optional peer dependency (with the `webgpu` package it
 * pulls in, it is ~90 MB installed), so the core never imports it statically:
 *
 * - a module handed over with `gpu.use(gpujs)` wins (browsers and bundlers: `import * as gpujs from 'gpu.js'`);
 * - else the global `GPU` that gpu.js's browser script (`<script src="gpu-browser.min.js">`) defines;
 * - else, under Node, `require('gpu.js')` resolved from this file (the CommonJS build), the working directory
 *   and the main script (a global `frod` finds the gpu.js installed beside it). The ESM build cannot name its
 *   own location without `import.meta`, which its CommonJS twin lacks; where none of these finds gpu.js,
 *   `gpu.use(await import('gpu.js'))` does.
 *
 * Missing everywhere, the first gpu tensor fails with one line naming the package.
 */
import type * as GpuJsTypes from 'gpu.js';
import { hasNode } from '../../util/node';

/** The part of gpu.js's exports the device uses. */
export type GpuJs = Pick<typeof GpuJsTypes, 'GPU' | 'CPUKernel' | 'HeadlessGLKernel' | 'WebAssemblyKernel' | 'WebGL2Kernel' | 'WebGLKernel'>;

/** The message of every failure to find gpu.js. */
export const MISSING_GPUJS = "the gpu device needs the optional package 'gpu.js': run `npm install gpu.js`, "
  + "or hand it over with gpu.use(await import('gpu.js')) (browser bundles)";

let provided: GpuJs | null = null;

/**
 * A module namespace holding GPU and the kernel classes — or gpu.js's browser build, whose global `GPU` is the
 * GPU class itself with the other exports attached to it (a function, not an object).
 */
function isGpuJs(value: unknown): value is GpuJs {
  const mod = value as Partial<Record<keyof GpuJs, unknown>> | null;
  return (typeof mod === 'object' || typeof mod === 'function') && mod !== null
    && typeof mod.GPU === 'function' && typeof mod.CPUKernel === 'function';
}

/** Hands gpu.js's exports to the device (a module namespace, or its default export). */
export function useGpuJs(mod: object): void {
  const candidate = isGpuJs(mod) ? mod : (mod as { default?: unknown }).default;
  if (!isGpuJs(candidate)) throw new Error('gpu.use: expected the exports of gpu.js (an object with GPU and the kernel classes)');
  provided = candidate;
}

interface NodeProcess {
  getBuiltinModule(id: string): unknown;
  cwd(): string;
  argv: string[];
}

/** gpu.js through Node's require, from this file (CommonJS), the working directory and the main script. */
function requireFromNode(): GpuJs | null {
  if (!hasNode()) return null;
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  const { createRequire } = proc.getBuiltinModule('node:module') as typeof import('node:module');
  const bases = [typeof __filename === 'string' ? __filename : '', `${proc.cwd()}/`, proc.argv[1] ?? ''];
  for (const base of bases) {
    if (!base) continue;
    try {
      const mod: unknown = createRequire(base)('gpu.js');
      if (isGpuJs(mod)) return mod;
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return null;
}

/** gpu.js's exports, or the one-line error of {@link MISSING_GPUJS}. */
export function gpuJs(): GpuJs {
  if (provided) return provided;
  const global = (globalThis as { GPU?: unknown }).GPU;
  provided = isGpuJs(global) ? global : requireFromNode();
  if (!provided) throw new Error(MISSING_GPUJS);
  return provided;
}
