/**
 * The `gpu` device on gpu.js. Importing this module registers the device; nothing touches gpu.js until the
 * first gpu tensor is made, so the import is safe on machines without `gl` or a GPU.
 *
 *   import { gpu } from 'frod-ts';
 *   gpu.backend();                 // 'webasm' here, 'headlessgl' with gl + an X server, 'webgl2' in browsers
 *   const x = randn([64, 64]).to('gpu');
 */
import { registerBackend } from '../backend';
import { gpuBackend } from './backend';
import { useGpuJs } from './gpujs';
import { runtime, supportedModes, type GpuMode, type GpuModeRequest, type GpuStats } from './runtime';

registerBackend(gpuBackend);

export interface GpuConfig {
  /**
   * 'gpu' (default) lets gpu.js choose (headlessgl → webgl2 → webgl → webasm); or force 'headlessgl', 'webgl2',
   * 'webgl', 'webasm' or 'cpu'. 'webgpu' is refused: gpu.js runs it asynchronously only.
   */
  mode?: GpuModeRequest;
}

/** Controls and introspection of the gpu device. */
export const gpu = {
  /**
   * Hands gpu.js to the device, for browsers and bundlers where Node's require cannot find it:
   * `import * as gpujs from 'gpu.js'; gpu.use(gpujs)`. gpu.js is an optional peer dependency; under Node it
   * is found by itself once installed (`npm install gpu.js`).
   */
  use(gpujs: object): void {
    useGpuJs(gpujs);
  },
  /** The gpu.js backend kernels run on (creates the gpu.js instance on first call). */
  backend(): GpuMode {
    return runtime.mode();
  },
  /** Forces a gpu.js backend; throws when it is not available here. gpu tensors made before stay valid on webasm/cpu. */
  configure(config: GpuConfig = {}): GpuMode {
    runtime.configure(config.mode ?? 'gpu');
    return runtime.mode();
  },
  /** Whether gpu.js can run kernels here (true wherever WebAssembly or JavaScript can; see `accelerated`). */
  isAvailable(): boolean {
    try {
      runtime.mode();
      return true;
    } catch {
      return false;
    }
  },
  /** Whether the backend in use is a real GPU (headless-gl or WebGL), not a CPU emulation. */
  isAccelerated(): boolean {
    return gpu.isAvailable() && runtime.usesTextures();
  },
  /** The backends gpu.js can run on this machine, best first. */
  availableBackends(): GpuMode[] {
    return supportedModes();
  },
  /** Counters of compiled kernels, launches, uploads and downloads since start (or the last resetStats). */
  stats(): GpuStats {
    return { ...runtime.stats };
  },
  resetStats(): void {
    for (const key of Object.keys(runtime.stats) as (keyof GpuStats)[]) runtime.stats[key] = 0;
    runtime.fallbackReasons.length = 0;
  },
  /** Why kernels were moved to gpu.js's plain-JS backend, if any were. */
  fallbackReasons(): string[] {
    return [...runtime.fallbackReasons];
  },
  /** Number of compiled kernels cached. */
  cachedKernels(): number {
    return runtime.cacheSize();
  },
};

export { gpuBackend } from './backend';
export { GpuStorage, type GpuDType } from './storage';
export type { GpuMode, GpuModeRequest, GpuStats } from './runtime';
