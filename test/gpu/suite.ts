/** Registers every parity case as a uvu test on a given gpu.js backend. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gpu, type GpuModeRequest } from '../../src/tensor/gpu';
import { elementwiseCases, type ParityCase } from './cases-elementwise';
import { indexCases } from './cases-index';
import { reduceCases } from './cases-reduce';
import { skip } from '../util/skip';

export const allCases: ParityCase[] = [...elementwiseCases, ...reduceCases, ...indexCases];

/**
 * A suite running each case with `numRuns` random inputs on `mode` (configured before the first test) and
 * checking afterwards that no kernel silently fell back to another gpu.js backend. With `unavailable` (why
 * `mode` cannot run here) every test of the suite is registered as skipped with that reason.
 */
export function paritySuite(title: string, mode: GpuModeRequest, numRuns: number, unavailable: string | null = null): void {
  const s = suite(title);
  if (unavailable !== null) {
    for (const c of allCases) skip(c.name, unavailable, s);
    skip('every kernel ran on the configured backend (no gpu.js fallback)', unavailable, s);
    s.run();
    return;
  }
  s.before(() => {
    gpu.configure({ mode });
    gpu.resetStats();
  });
  for (const c of allCases) s(c.name, () => c.run(numRuns));
  s('every kernel ran on the configured backend (no gpu.js fallback)', () => {
    assert.ok(gpu.stats().kernelsCompiled > 0);
    assert.equal(gpu.fallbackReasons(), []);
  });
  s.after(() => {
    gpu.configure({ mode: 'gpu' });
  });
  s.run();
}
