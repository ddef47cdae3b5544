/**
 * The parity cases on headless-gl (real GLSL kernels on a GPU, or on Mesa's software GL), where the optional
 * `gl` package is installed and can open a context (it needs an X server: run under `xvfb-run -a`).
 * Elsewhere every test of the suite is skipped with the reason (test/util/skip.ts).
 */
import { createRequire } from 'node:module';
import { GPU } from 'gpu.js';
import { paritySuite } from './suite';

/** Why headless-gl cannot run here, or null when it can. */
function unavailableReason(): string | null {
  if (GPU.isHeadlessGLSupported) return null;
  try {
    createRequire(import.meta.url)('gl');
  } catch {
    return "the optional 'gl' package is not installed";
  }
  return "'gl' is installed but cannot create a context (no X server? run under xvfb-run -a)";
}

const reason = unavailableReason();
paritySuite('gpu parity (headless-gl)', 'headlessgl', 4,
  reason === null ? null : `${reason}; parity.test.ts and gpujs-cpu.test.ts cover the device here`);
