/**
 * One-sided (Hestenes) Jacobi: rotate pairs of columns of W until all columns are mutually
 * orthogonal. Then W = X·J₁J₂… = U·Σ, with the columns of U orthonormal and Σ their norms — the
 * singular value decomposition of the starting X, with the product of rotations as the right
 * singular vectors.
 *
 * The rotation for the pair (p, q) is the two-sided Jacobi rotation of the 2×2 Gram matrix
 * [[‖w_p‖², w_pᵀw_q], [w_pᵀw_q, ‖w_q‖²]], so one sweep over all pairs is one implicit Jacobi sweep on
 * WᵀW without ever forming it. Everything is a column operation on a column-major buffer, so the
 * loops are contiguous. Columns are taken two at a time: the rotations (p, q) and (p+1, q) share
 * one pass over column q, which also computes the dot products the next q needs — two rotations for
 * one pass over four columns instead of two passes each (the loads and stores are what bound these
 * loops). The passes themselves are the kernels of ./jacobiColumns.ts (WebAssembly SIMD or JavaScript,
 * bit for bit the same), on a copy of the columns in their working buffer.
 *
 * A pair is left alone when |w_pᵀw_q| ≤ tol·‖w_p‖·‖w_q‖ (relative orthogonality, the criterion
 * that gives Jacobi its high relative accuracy), or when one of the two columns is negligible (norm
 * at most `negligible`, a level set by the caller at the rounding noise of the rotations: such a
 * column is numerically zero, and its direction is noise that no rotation can make orthogonal).
 * The method stops after a sweep without rotations.
 */
import { type JacobiKernels, jacobiKernels } from './jacobiColumns';

/** Sweeps before giving up; convergence is quadratic, so finite input never gets near this. */
const MAX_SWEEPS = 80;

/** Where the rotations also go: columns of the column-major `v` (len rows each), when present. */
export interface Accumulator {
  v: Float64Array;
  len: number;
}

/** When a pair counts as orthogonal: relative tolerance, and the squared norm below which a column is negligible. */
interface Criteria {
  tol: number;
  negligible2: number;
}

/** The columns being rotated, in the kernels' buffer: W's n columns `ld` apart, then V's `ldv` apart. */
interface Work {
  k: JacobiKernels;
  ld: number;
  /** Offset of V's first column, and its column stride (0 when there is no accumulator). */
  v0: number;
  ldv: number;
}

const even = (x: number) => x + (x & 1);

/**
 * Orthogonalizes the n columns (m rows each) of the column-major `w` in place, applying the same
 * rotations to `acc.v` if given. Columns of norm ≤ `negligible` are left alone. Returns the
 * squared column norms after convergence.
 */
export function orthogonalizeColumns(
  w: Float64Array, m: number, n: number, tol: number, acc: Accumulator | null = null, negligible = 0,
): Float64Array {
  const norms = new Float64Array(n);
  const crit: Criteria = { tol, negligible2: negligible * negligible };
  const k = jacobiKernels();
  const ld = even(m), ldv = acc ? even(acc.len) : 0;
  const work: Work = { k, ld, v0: ld * n, ldv };
  const buffer = k.reserve(ld * n + ldv * n);
  copyColumns(w, m, buffer, 0, ld, n, true);
  if (acc) copyColumns(acc.v, acc.len, buffer, work.v0, ldv, n, true);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let j = 0; j < n; j++) norms[j] = k.dot(j * ld, j * ld, ld);
    if (sweepPairs(work, n, crit, norms, acc !== null) === 0) {
      copyColumns(w, m, buffer, 0, ld, n, false);
      if (acc) copyColumns(acc.v, acc.len, buffer, work.v0, ldv, n, false);
      return norms;
    }
  }
  throw new Error(`linalg: one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps (${m}×${n})`);
}

/** Copies n columns of length `len` between `x` (packed) and `buffer` (ld apart from `at`, padding zeroed). */
function copyColumns(x: Float64Array, len: number, buffer: Float64Array, at: number, ld: number, n: number, into: boolean): void {
  for (let j = 0; j < n; j++) {
    const dst = at + j * ld;
    if (into) {
      buffer.set(x.subarray(j * len, (j + 1) * len), dst);
      if (ld > len) buffer[dst + len] = 0;
    } else {
      x.set(buffer.subarray(dst, dst + len), j * len);
    }
  }
}

/**
 * One sweep over all pairs, taking the columns two at a time: first the pair (p, p+1), then for each
 * q > p+1 the rotations (p, q) and (p+1, q) together in one pass over column q. Returns the number of
 * rotations applied.
 */
function sweepPairs(work: Work, n: number, crit: Criteria, norms: Float64Array, accumulate: boolean): number {
  let rotations = 0;
  for (let p = 0; p + 1 < n; p += 2) {
    rotations += rotateSinglePair(work, p, p + 1, crit, norms, accumulate);
    if (p + 2 < n) rotations += sweepTwoColumnsAgainstRest(work, n, p, crit, norms, accumulate);
  }
  return rotations;
}

/** The Jacobi rotation (tan θ, cos θ, sin θ) that makes the 2×2 Gram [[α, γ], [γ, β]] diagonal. */
function rotationFor(alpha: number, beta: number, gamma: number, out: Float64Array): void {
  const zeta = (beta - alpha) / (2 * gamma);
  const t = Math.abs(zeta) > 1e150
    ? 1 / (2 * zeta)
    : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  out[0] = t;
  out[1] = c;
  out[2] = c * t;
}

/** True when columns with squared norms α, β and dot product γ are not yet orthogonal to within tol. */
function needsRotation(alpha: number, beta: number, gamma: number, crit: Criteria): boolean {
  return Math.abs(gamma) > crit.tol * Math.sqrt(alpha * beta) && Math.min(alpha, beta) > crit.negligible2;
}

const scratch = new Float64Array(3);
const coef = new Float64Array(4);
const dots = new Float64Array(3);

/** Rotates the pair (p, q) if needed; returns 1 if it did, else 0. */
function rotateSinglePair(work: Work, p: number, q: number, crit: Criteria, norms: Float64Array, accumulate: boolean): number {
  const { k, ld, v0, ldv } = work;
  const gamma = k.dot(p * ld, q * ld, ld);
  if (!needsRotation(norms[p], norms[q], gamma, crit)) return 0;
  rotationFor(norms[p], norms[q], gamma, scratch);
  const t = scratch[0], c = scratch[1], s = scratch[2];
  norms[p] -= t * gamma;
  norms[q] += t * gamma;
  coef[0] = s;
  coef[1] = s / (1 + c);
  k.rotate(p * ld, q * ld, ld, coef);
  if (accumulate) k.rotate(v0 + p * ldv, v0 + q * ldv, ldv, coef);
  return 1;
}

/**
 * Rotations (p, q) then (p+1, q) for q = p+2 … n−1. The dot products the next q needs (with the
 * updated columns p and p+1) and w_p·w_{p+1} are accumulated during each pass, and the second
 * rotation's γ follows from them: w_{p+1}·(s₀w_p + c₀w_q) = s₀·h + c₀·g₁. On W the rotations take the
 * plain form; on the accumulated V, Rutishauser's x' = x − s·(y + τx), y' = y + s·(x − τy), τ = s/(1 + c):
 * each update is a small correction when the rotation is close to the identity, as it is in the late
 * sweeps, so the accumulated product stays orthogonal to a few ulps.
 */
function sweepTwoColumnsAgainstRest(
  work: Work, n: number, p: number, crit: Criteria, norms: Float64Array, accumulate: boolean,
): number {
  const { k, ld, v0, ldv } = work;
  const a = p * ld, b = a + ld;
  let g0 = k.dot(a, b + ld, ld);
  let g1 = k.dot(b, b + ld, ld);
  let h = k.dot(a, b, ld);
  let rotations = 0;
  for (let q = p + 2; q < n; q++) {
    const qo = q * ld;
    const next = q + 1 < n ? qo + ld : qo;
    let beta = norms[q];
    let c0 = 1, s0 = 0, c1 = 1, s1 = 0;
    const active0 = needsRotation(norms[p], beta, g0, crit);
    if (active0) {
      rotationFor(norms[p], beta, g0, scratch);
      norms[p] -= scratch[0] * g0;
      beta += scratch[0] * g0;
      c0 = scratch[1]; s0 = scratch[2];
    }
    const gamma1 = s0 * h + c0 * g1;
    const active1 = needsRotation(norms[p + 1], beta, gamma1, crit);
    if (active1) {
      rotationFor(norms[p + 1], beta, gamma1, scratch);
      norms[p + 1] -= scratch[0] * gamma1;
      beta += scratch[0] * gamma1;
      c1 = scratch[1]; s1 = scratch[2];
    }
    norms[q] = beta;
    if (!active0 && !active1) {
      if (next !== qo) {
        k.dotsWithNext(a, b, next, ld, dots);
        g0 = dots[0]; g1 = dots[1];
      }
      continue;
    }
    rotations += (active0 ? 1 : 0) + (active1 ? 1 : 0);
    coef[0] = c0; coef[1] = s0; coef[2] = c1; coef[3] = s1;
    k.rotatePairAgainst(a, b, qo, next, ld, coef, dots);
    g0 = dots[0]; g1 = dots[1]; h = dots[2];
    if (accumulate) {
      coef[0] = s0; coef[1] = s0 / (1 + c0); coef[2] = s1; coef[3] = s1 / (1 + c1);
      k.rotateTwoAgainstOne(v0 + p * ldv, v0 + (p + 1) * ldv, v0 + q * ldv, ldv, coef);
    }
  }
  return rotations;
}
