/**
 * What this browser offers the page — WebGL2 (the gpu device's fast path), WebGPU, cross-origin isolation
 * (SharedArrayBuffer, threads) — each said in one line, with what its absence changes.
 */
import { byId } from './dom';

export interface Environment {
  webgl2: string | null;
  webgpu: string | null;
  isolated: boolean;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string };
}
interface NavigatorGpu {
  gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> };
}

function webgl2Renderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'WebGL2');
}

async function webgpuAdapter(): Promise<string | null> {
  const { gpu } = navigator as Navigator & NavigatorGpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'an adapter';
  } catch {
    return null;
  }
}

function line(key: string, ok: boolean, text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.feature = key;
  item.dataset.available = String(ok);
  item.className = ok ? 'ok' : 'missing';
  item.textContent = text;
  return item;
}

/** Probes the browser and fills the #environment list. */
export async function reportEnvironment(): Promise<Environment> {
  const env: Environment = { webgl2: webgl2Renderer(), webgpu: await webgpuAdapter(), isolated: globalThis.crossOriginIsolated === true };
  byId('environment').replaceChildren(
    line('webgl2', env.webgl2 !== null, env.webgl2 !== null
      ? `WebGL2: yes (${env.webgl2}) — the gpu device runs its kernels as GL shaders.`
      : 'WebGL2: not available — so no gpu device here: gpu.js would emulate the GPU in WebAssembly, which is slower than the cpu device and, in Chromium, runs out of WebAssembly memory during training (one memory per compiled kernel). The cpu device works as usual.'),
    line('webgpu', env.webgpu !== null, env.webgpu !== null
      ? `WebGPU: yes (${env.webgpu}) — not used by the gpu device: gpu.js runs WebGPU kernels only asynchronously, and frod-ts’s tensor ops are synchronous.`
      : 'WebGPU: not available in this browser — nothing on this page needs it.'),
    line('isolated', env.isolated, env.isolated
      ? 'Cross-origin isolated: yes (SharedArrayBuffer and threads are available; frod-ts itself computes on one thread).'
      : 'Cross-origin isolated: no (the server sent no COOP/COEP headers), so no SharedArrayBuffer or threads — frod-ts computes on one thread anyway, so the page works the same.'),
  );
  return env;
}
