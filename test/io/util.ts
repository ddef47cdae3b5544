/** Shared helpers for the safetensors tests (not a test file itself). */
import * as fc from 'fast-check';
import * as assert from 'uvu/assert';

/** Runs a fast-check property with a fixed seed, so every run draws the same cases. */
export function check<T>(property: fc.IProperty<T>, numRuns = 100, seed = 20260704): void {
  fc.assert(property, { numRuns, seed });
}

/** Asserts that `fn` throws an Error whose message matches every pattern. */
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

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bits of a float32 value. */
export function float32Bits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x, true);
  return view.getUint32(0, true);
}

/** The float32 whose bits are `bits`. */
export function float32FromBits(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits >>> 0, true);
  return view.getFloat32(0, true);
}
