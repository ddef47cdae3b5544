/**
 * Skipping a test with a reason, so that a test this machine cannot run is counted as skipped — never as a
 * pass through a placeholder — and the runner (scripts/run-tests.mjs) lists why above its closing line
 * `N passed, N failed, N skipped`. Only for what the environment lacks (torch, headless-gl, glslangValidator,
 * WebAssembly SIMD): a test that could run here must run.
 *
 *   const why = hasValidator ? null : 'glslangValidator is not on PATH (apt-get install glslang-tools)';
 *   testUnless(why, 'every generated kernel compiles as GLSL ES 1.00', () => { … });
 *
 * A plain `test.skip` (no reason) makes the runner report a failure.
 */
import { type Callback, type Test, test as defaultTest } from 'uvu';

/** One skipped test as the runner reports it. */
export interface SkipRecord {
  /** The test file, relative to the repository root ('' outside scripts/run-tests.mjs). */
  readonly file: string;
  readonly test: string;
  readonly reason: string;
}

interface RunnerGlobals {
  /** Set by scripts/test-harness.mjs: where the runner collects skips. */
  __FROD_TEST_SKIPS__?: SkipRecord[];
  /** Set by scripts/test-harness.mjs while it imports a test file. */
  __FROD_TEST_FILE__?: string;
}

/** Registers `name` as skipped because of `reason` (uvu counts it as skipped; the runner lists the reason). */
export function skip(name: string, reason: string, suite: Test = defaultTest): void {
  if (reason.trim() === '') throw new Error(`skip '${name}': a skip needs a reason`);
  suite.skip(name);
  const globals = globalThis as RunnerGlobals;
  const record: SkipRecord = { file: globals.__FROD_TEST_FILE__ ?? '', test: name, reason };
  if (globals.__FROD_TEST_SKIPS__) globals.__FROD_TEST_SKIPS__.push(record);
  else console.log(`  SKIPPED: ${name} — ${reason}`);
}

/** `suite(name, fn)` when `reason` is null; otherwise the test is skipped with that reason. */
export function testUnless<T>(reason: string | null, name: string, fn: Callback<T>, suite: Test<T> = defaultTest as unknown as Test<T>): void {
  if (reason === null) suite(name, fn);
  else skip(name, reason, suite as unknown as Test);
}
