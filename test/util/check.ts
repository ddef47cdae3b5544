/**
 * Helpers shared by several test areas (not a test file itself): seeded fast-check runs and the check that an
 * error is thrown with a one-line message.
 */
import * as fc from 'fast-check';
import * as assert from 'uvu/assert';

/** The seed every property run starts from, so each run draws the same cases. */
export const PROPERTY_SEED = 20260704;

/**
 * A `check(property, numRuns?, seed?)` that runs a fast-check property with a fixed seed; `defaultRuns` is the
 * area's number of cases (kept modest so the whole suite stays fast).
 */
export function propertyCheck(defaultRuns: number) {
  return <T>(property: fc.IProperty<T>, numRuns = defaultRuns, seed = PROPERTY_SEED): void => {
    fc.assert(property, { numRuns, seed });
  };
}

/** Asserts that `fn` throws a one-line Error whose message matches every pattern. */
export function throwsMatching(fn: () => unknown, ...patterns: RegExp[]): void {
  let message: string | null = null;
  try {
    fn();
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message !== null, `expected an error matching ${patterns.join(' and ')}`);
  for (const pattern of patterns) {
    assert.ok(pattern.test(message as string), `error '${message}' does not match ${pattern}`);
  }
  assert.not.ok((message as string).includes('\n'), `error message is not one line: ${message}`);
}
