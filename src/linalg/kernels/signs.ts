/**
 * The sign convention for eigenvectors and singular vectors. Each is determined only up to sign, so
 * we pick the one whose entry of largest magnitude is positive (the first such entry on a tie).
 * This makes results reproducible and comparable across implementations.
 */

/**
 * +1 when the entry of largest |value| among x[off], x[off+stride], … (len entries) is ≥ 0, else −1.
 * On a tie in magnitude the first entry decides.
 */
export function canonicalSign(x: Float64Array, off: number, len: number, stride = 1): 1 | -1 {
  let best = -1;
  let value = 0;
  for (let i = 0, at = off; i < len; i++, at += stride) {
    const mag = Math.abs(x[at]);
    if (mag > best) {
      best = mag;
      value = x[at];
    }
  }
  return value < 0 ? -1 : 1;
}

/** Negates `len` entries x[off], x[off+stride], …. */
export function negate(x: Float64Array, off: number, len: number, stride = 1): void {
  for (let i = 0, at = off; i < len; i++, at += stride) x[at] = -x[at];
}
