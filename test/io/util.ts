/** Shared helpers for the safetensors tests (not a test file itself). */
import { propertyCheck } from '../util/check';

/** Runs a fast-check property with a fixed seed (100 cases unless told). */
export const check = propertyCheck(100);
export { throwsMatching } from '../util/check';

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

const encoder = new TextEncoder();

/** Orders strings by their UTF-8 bytes (= by code point): the reference order for tensor names. */
export function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
