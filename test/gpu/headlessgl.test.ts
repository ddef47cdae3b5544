/**
 * The parity cases on headless-gl (real GLSL kernels on a GPU, or on Mesa's software GL), where the optional
 * `gl` package is installed and can open a context (it needs an X server: run under `xvfb-run -a`).
 * Elsewhere the suite is skipped with a visible line, and one test checks that skipping is right.
 */
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

if (reason === null) {
  paritySuite('gpu parity (headless-gl)', 'headlessgl', 4);
} else {
  console.log(`\n  gpu/headlessgl: SKIPPED — ${reason}; parity.test.ts and gpujs-cpu.test.ts cover the device here\n`);
  test('headless-gl parity is skipped only because headless-gl is unavailable here', () => {
    assert.is(GPU.isHeadlessGLSupported, false);
    assert.ok(reason.length > 0);
  });
  test.run();
}
