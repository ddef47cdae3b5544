/**
 * The gpu.js runtime behind the `gpu` device: one lazily created `GPU` instance, the backend it runs on, and
 * a cache of compiled kernels. Kernels are generated as source text per op signature (op, shapes, strides,
 * input sizes), compiled once with `pipeline: true` and reused; their results stay where gpu.js keeps them
 * (GL textures on headless-gl/WebGL, typed arrays on the WebAssembly and cpu backends).
 *
 * Nothing here touches gpu.js until the first kernel runs, so importing the device never fails on a
 * machine without `gl` or a GPU.
 */
import type { GPU, IKernelRunShortcut, Texture } from 'gpu.js';
import { gpuJs } from './gpujs';

/** The synchronous gpu.js backends the device runs on (the tensor API is synchronous). */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';

/** What `gpu.configure` accepts: a backend, 'gpu' for gpu.js's own choice, or 'webgpu' (refused, see docs). */
export type GpuModeRequest = GpuMode | 'gpu' | 'webgpu';

/** A device-resident buffer: a GL texture, or the typed array gpu.js returns where there is no device memory. */
export type DeviceValue = Float32Array | Texture;

/** A kernel argument: a device buffer or a number (passed as a float uniform). */
export type KernelArg = DeviceValue | number;

/**
 * Generated kernel: parameter names (in call order) and body lines ending in `return …;`. Argument types are
 * left to gpu.js, which reads them from the first call (typed array, texture or number); the cache key
 * records each argument's kind and size, so a kernel always sees the same types.
 */
export interface KernelSource {
  params: readonly string[];
  body: readonly string[];
}

/** Counters for tests and benchmarks: how much crossed the host/device boundary and what was compiled. */
export interface GpuStats {
  /** Kernels compiled (cache misses). */
  kernelsCompiled: number;
  /** Kernel launches. */
  kernelRuns: number;
  /** Host arrays turned into device buffers (fromArray). */
  uploads: number;
  /** Device buffers read back to the host (toArray / data() / to('cpu')). */
  downloads: number;
  /** int32 index buffers read back to build host-side index structures (only when no host copy existed). */
  indexDownloads: number;
  /** Kernels gpu.js moved to its plain-JS backend because the selected one could not take them. */
  fallbacks: number;
}

/** The largest storage the device handles: kernels address elements with float32 arithmetic (exact to 2^24). */
export const MAX_DEVICE_ELEMENTS = 2 ** 24;

const GL_MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl'];

/**
 * Compiled kernels kept on the typed-array backends (least recently used go first): a webasm kernel holds
 * a WebAssembly memory as large as its arguments, so an unbounded cache would hold every size ever seen.
 */
const MAX_CACHED_ARRAY_KERNELS = 256;

interface KernelHandle {
  run: IKernelRunShortcut;
  checked: boolean;
}

/** Texture deletion once the storage that owned a texture is garbage-collected. */
const textureReaper = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<Texture>((texture) => { try { texture.delete(); } catch { /* context gone */ } })
  : null;

function isTexture(value: DeviceValue): value is Texture {
  return !(value instanceof Float32Array);
}

/** Wraps body lines into kernel source `function(params) { ... }`. */
export function kernelFunction(params: readonly string[], body: readonly string[]): string {
  return `function(${params.join(', ')}) {\n  ${body.join('\n  ')}\n}`;
}

/** Cache-key text of an argument: 'f' for a number, 'a'/'t' and the size for a typed array / texture. */
function argumentKind(arg: KernelArg): string {
  if (typeof arg === 'number') return 'f';
  return `${isTexture(arg) ? 't' : 'a'}${lengthOf(arg)}`;
}

function lengthOf(value: DeviceValue): number {
  if (value instanceof Float32Array) return value.length;
  const output = (value as unknown as { output: number[] }).output;
  return output[0];
}

class Runtime {
  private instance: GPU | null = null;
  private requested: GpuMode | 'gpu' = 'gpu';
  private resolvedMode: GpuMode | null = null;
  private readonly kernels = new Map<string, KernelHandle>();
  /** Bumped by configure: textures of an earlier GPU instance cannot be used by the new one. */
  generation = 0;
  readonly stats: GpuStats = { kernelsCompiled: 0, kernelRuns: 0, uploads: 0, downloads: 0, indexDownloads: 0, fallbacks: 0 };
  readonly fallbackReasons: string[] = [];

  /** Chooses the backend for kernels created from now on (tensors made before keep working where they can). */
  configure(mode: GpuModeRequest): void {
    if (mode === 'webgpu') {
      throw new Error(
        "gpu.configure: mode 'webgpu' is asynchronous-only in gpu.js 2.24 (every kernel call and readback returns a " +
        "Promise) while tensor ops and data() are synchronous; use 'headlessgl' (Node with gl and an X server), " +
        "'webgl2' (browsers), 'webasm' or 'cpu' — bench/gpu.ts measures raw WebGPU kernels",
      );
    }
    const known: readonly string[] = ['gpu', ...GL_MODES, 'webasm', 'cpu'];
    if (!known.includes(mode)) {
      throw new Error(`gpu.configure: unknown mode '${String(mode)}' (expected one of ${known.join(', ')}, or 'webgpu')`);
    }
    const next = new (gpuJs().GPU)(mode === 'gpu' ? {} : { mode }); // throws here, not later, when the mode is unavailable
    this.dispose();
    this.requested = mode;
    this.instance = next;
    this.resolvedMode = modeOf(next);
    this.generation++;
  }

  /** The gpu.js instance, created on first use. */
  gpu(): GPU {
    if (this.instance === null) {
      this.instance = new (gpuJs().GPU)(this.requested === 'gpu' ? {} : { mode: this.requested });
      this.resolvedMode = modeOf(this.instance);
    }
    return this.instance;
  }

  /** The backend kernels run on ('webasm', 'headlessgl', …). */
  mode(): GpuMode {
    this.gpu();
    return this.resolvedMode as GpuMode;
  }

  /** True when results live in GL textures (uploads and downloads go through the GPU). */
  usesTextures(): boolean {
    return GL_MODES.includes(this.mode());
  }

  /** Runs the kernel named `key` (compiling `build()` on first use) over `output` elements. */
  run(key: string, build: () => KernelSource, output: number, args: readonly KernelArg[]): DeviceValue {
    if (output === 0) return new Float32Array(0);
    if (output > MAX_DEVICE_ELEMENTS) throw new Error(`gpu: a result of ${output} elements exceeds the device limit of ${MAX_DEVICE_ELEMENTS}`);
    const signature = `${key}|${output}|${args.map(argumentKind).join(',')}`;
    let handle = this.kernels.get(signature);
    if (handle !== undefined) {
      this.kernels.delete(signature); // re-insert: Map order is recency order
      this.kernels.set(signature, handle);
    } else {
      const { params, body } = build();
      const run = this.gpu().createKernel(kernelFunction(params, body), {
        output: [output],
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
      });
      handle = { run, checked: false };
      this.kernels.set(signature, handle);
      this.stats.kernelsCompiled++;
      this.evict();
    }
    const result = handle.run(...(args as (Float32Array | number | Texture)[])) as unknown as DeviceValue;
    this.stats.kernelRuns++;
    if (!handle.checked) this.checkFallback(handle, key);
    return result;
  }

  /** Drops the least recently used kernels beyond the cap (typed-array backends only: see dispose). */
  private evict(): void {
    if (this.usesTextures()) return;
    for (const [signature, { run }] of this.kernels) {
      if (this.kernels.size <= MAX_CACHED_ARRAY_KERNELS) break;
      this.kernels.delete(signature);
      run.destroy();
    }
  }

  /** Records a kernel that gpu.js degraded to its plain-JS backend (results stay right, only slower). */
  private checkFallback(handle: KernelHandle, key: string): void {
    handle.checked = true;
    const inner = (handle.run as unknown as { kernel: { fallbackReason?: string | null; constructor: { mode?: string } } }).kernel;
    const ranOn = inner.constructor.mode;
    const expected = this.usesTextures() ? 'gpu' : this.resolvedMode; // GL kernels report 'gpu'
    if (inner.fallbackReason || (ranOn !== undefined && ranOn !== expected)) {
      this.stats.fallbacks++;
      this.fallbackReasons.push(`${key.split('|')[0]}: ${inner.fallbackReason ?? `ran on ${ranOn}`}`);
    }
  }

  /** Host values → a device buffer (a texture on GL backends, a private copy elsewhere). */
  upload(values: Float32Array): DeviceValue {
    this.stats.uploads++;
    if (values.length === 0 || !this.usesTextures()) return Float32Array.from(values);
    return this.run('upload', () => ({ params: ['a'], body: ['return a[this.thread.x];'] }), values.length, [values]);
  }

  /** A device buffer → host values (the array itself where gpu.js keeps results in host memory). */
  download(value: DeviceValue, counter: 'downloads' | 'indexDownloads' = 'downloads'): Float32Array {
    this.stats[counter]++;
    if (!isTexture(value)) return value;
    const values = value.toArray();
    return values instanceof Float32Array ? values : Float32Array.from(values as number[]);
  }

  /** Deletes `value`'s texture when `owner` is garbage-collected. */
  track(owner: object, value: DeviceValue): void {
    if (isTexture(value) && textureReaper !== null) textureReaper.register(owner, value);
  }

  /** Forgets compiled kernels (webasm/cpu only: GL kernels own the textures their results share). */
  private dispose(): void {
    if (this.instance !== null && !this.usesTextures()) {
      for (const { run } of this.kernels.values()) run.destroy();
    }
    this.kernels.clear();
    this.instance = null;
    this.resolvedMode = null;
  }

  /** Number of compiled kernels held. */
  cacheSize(): number {
    return this.kernels.size;
  }
}

/** The backend a GPU instance chose (its kernel class: the GL kernels all call their mode 'gpu'). */
function modeOf(instance: GPU): GpuMode {
  const chosen = (instance as unknown as { Kernel: unknown }).Kernel;
  const { HeadlessGLKernel, WebGL2Kernel, WebGLKernel, WebAssemblyKernel, CPUKernel } = gpuJs();
  const classes: [unknown, GpuMode][] = [
    [HeadlessGLKernel, 'headlessgl'], [WebGL2Kernel, 'webgl2'], [WebGLKernel, 'webgl'], [WebAssemblyKernel, 'webasm'], [CPUKernel, 'cpu'],
  ];
  const found = classes.find(([kernelClass]) => kernelClass === chosen);
  if (!found) throw new Error('gpu: gpu.js chose a backend this device does not know');
  return found[1];
}

/** The one runtime of the process. */
export const runtime = new Runtime();

/** Modes gpu.js can run here, best first (checks platform support without creating kernels). */
export function supportedModes(): GpuMode[] {
  const modes: GpuMode[] = [];
  const { GPU } = gpuJs();
  if (GPU.isHeadlessGLSupported) modes.push('headlessgl');
  if (GPU.isWebGL2Supported) modes.push('webgl2');
  if (GPU.isWebGLSupported) modes.push('webgl');
  if (GPU.isWebAssemblySupported) modes.push('webasm');
  modes.push('cpu');
  return modes;
}

export { lengthOf, isTexture };
