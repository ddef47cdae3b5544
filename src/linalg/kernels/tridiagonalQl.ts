/**
 * Implicit QL with Wilkinson-type shifts on a symmetric tridiagonal matrix (the classic tql2/tqli
 * iteration): eigenvalues and, by accumulating the plane rotations, an orthonormal set of eigenvectors.
 *
 * Each sweep chases a bulge from the bottom of an unreduced block to its top with plane rotations, after
 * shifting by the eigenvalue of the top 2×2 block closest to its corner; an off-diagonal entry is set to
 * zero once it is below ε·(|d_m| + |d_{m+1}|), which splits the problem. Convergence is cubic for almost
 * all matrices, about 1.3–1.6 sweeps per eigenvalue. Because the eigenvectors are products of rotations
 * they are orthonormal to working precision whatever the spectrum (repeated or clustered eigenvalues
 * included).
 *
 * Cost: O(n²) for the eigenvalues plus about 3n³ flops for the vectors; divideConquer.ts uses this for
 * its small leaves, where that is cheap.
 */
import { EPS } from './mat';
import { rotateRows } from './rowOps';

/** Sweeps allowed per eigenvalue before giving up (never reached in practice: ~1.5 are needed). */
const MAX_SWEEPS = 60;

/**
 * Diagonalises the n×n tridiagonal T (diagonal `d`, off-diagonal `e`: e[i] = T[i+1, i], length ≥ n−1) in
 * place: `d` becomes the eigenvalues (unsorted), `e` is destroyed. Each rotation of rows i, i+1 of T is
 * applied to rows i, i+1 of the row-major n×`len` `z` (row i of z is multiplied into the result: start
 * from z = I to get the eigenvectors as rows, eigenvector i in row i, matching d[i]).
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, n: number, z: Float64Array, len: number): void {
  const off = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) off[i] = e[i];
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        if (Math.abs(off[m]) <= EPS * (Math.abs(d[m]) + Math.abs(d[m + 1]))) break;
      }
      if (m === l) break;
      if (++sweeps > MAX_SWEEPS) throw new Error('linalg.eigh: the tridiagonal QL iteration did not converge');
      qlSweep(d, off, l, m, z, len);
    }
  }
}

/** One implicit shifted QL sweep on the unreduced block l…m, rotations applied to the rows of z. */
function qlSweep(d: Float64Array, off: Float64Array, l: number, m: number, z: Float64Array, len: number): void {
  // Shift: the eigenvalue of the leading 2×2 block closest to d[l].
  let g = (d[l + 1] - d[l]) / (2 * off[l]);
  let r = Math.hypot(g, 1);
  g = d[m] - d[l] + off[l] / (g + (g >= 0 ? r : -r));
  let s = 1, c = 1, p = 0;
  let i = m - 1;
  for (; i >= l; i--) {
    const f = s * off[i];
    const b = c * off[i];
    r = Math.hypot(f, g);
    off[i + 1] = r;
    if (r === 0) {
      // Underflow: the block splits here; undo the partial shift and restart on the rest.
      d[i + 1] -= p;
      off[m] = 0;
      break;
    }
    s = f / r;
    c = g / r;
    g = d[i + 1] - p;
    r = (d[i] - g) * s + 2 * c * b;
    p = s * r;
    d[i + 1] = g + p;
    g = c * r - b;
    rotateRows(z, i * len, (i + 1) * len, len, c, -s); // (zᵢ, zᵢ₊₁) ← (c·zᵢ − s·zᵢ₊₁, s·zᵢ + c·zᵢ₊₁)
  }
  if (i >= l) return;
  d[l] -= p;
  off[l] = g;
  off[m] = 0;
}

