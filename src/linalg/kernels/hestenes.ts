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
 * one pass over four columns instead of two passes each (in JavaScript, without SIMD, the loads and
 * stores are what bound these loops).
 *
 * A pair is left alone when |w_pᵀw_q| ≤ tol·‖w_p‖·‖w_q‖ (relative orthogonality, the criterion
 * that gives Jacobi its high relative accuracy), or when one of the two columns is negligible (norm
 * at most `negligible`, a level set by the caller at the rounding noise of the rotations: such a
 * column is numerically zero, and its direction is noise that no rotation can make orthogonal).
 * The method stops after a sweep without rotations.
 */

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
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let j = 0; j < n; j++) norms[j] = squaredNorm(w, j * m, m);
    if (sweepPairs(w, m, n, crit, norms, acc) === 0) return norms;
  }
  throw new Error(`linalg: one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps (${m}×${n})`);
}

function squaredNorm(x: Float64Array, off: number, len: number): number {
  let s = 0;
  for (let i = off; i < off + len; i++) s += x[i] * x[i];
  return s;
}

function dotColumns(x: Float64Array, a: number, b: number, len: number): number {
  let s0 = 0, s1 = 0;
  let i = 0;
  for (; i + 1 < len; i += 2) {
    s0 += x[a + i] * x[b + i];
    s1 += x[a + i + 1] * x[b + i + 1];
  }
  if (i < len) s0 += x[a + i] * x[b + i];
  return s0 + s1;
}

/**
 * One sweep over all pairs, taking the columns two at a time: first the pair (p, p+1), then for each
 * q > p+1 the rotations (p, q) and (p+1, q) together in one pass over column q. Returns the number of
 * rotations applied.
 */
function sweepPairs(
  w: Float64Array, m: number, n: number, crit: Criteria, norms: Float64Array, acc: Accumulator | null,
): number {
  let rotations = 0;
  for (let p = 0; p + 1 < n; p += 2) {
    rotations += rotateSinglePair(w, m, p, p + 1, crit, norms, acc);
    if (p + 2 < n) rotations += sweepTwoColumnsAgainstRest(w, m, n, p, crit, norms, acc);
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

/** Rotates the pair (p, q) if needed; returns 1 if it did, else 0. */
function rotateSinglePair(
  w: Float64Array, m: number, p: number, q: number, crit: Criteria, norms: Float64Array, acc: Accumulator | null,
): number {
  const gamma = dotColumns(w, p * m, q * m, m);
  if (!needsRotation(norms[p], norms[q], gamma, crit)) return 0;
  rotationFor(norms[p], norms[q], gamma, scratch);
  const t = scratch[0], c = scratch[1], s = scratch[2];
  norms[p] -= t * gamma;
  norms[q] += t * gamma;
  rotateColumns(w, p * m, q * m, m, c, s);
  if (acc) rotateColumns(acc.v, p * acc.len, q * acc.len, acc.len, c, s);
  return 1;
}

/**
 * Rotations (p, q) then (p+1, q) for q = p+2 … n−1. The dot products the next q needs (with the
 * updated columns p and p+1) and w_p·w_{p+1} are accumulated during each pass, and the second
 * rotation's γ follows from them: w_{p+1}·(s₀w_p + c₀w_q) = s₀·h + c₀·g₁.
 */
function sweepTwoColumnsAgainstRest(
  w: Float64Array, m: number, n: number, p: number, crit: Criteria, norms: Float64Array, acc: Accumulator | null,
): number {
  const a = p * m, b = a + m;
  let g0 = dotColumns(w, a, b + m, m);
  let g1 = dotColumns(w, b, b + m, m);
  let h = dotColumns(w, a, b, m);
  let rotations = 0;
  for (let q = p + 2; q < n; q++) {
    const qo = q * m;
    const next = q + 1 < n ? qo + m : qo;
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
        // Both dot products with the next column in one pass.
        let d0 = 0, d1 = 0;
        for (let i = 0; i < m; i++) {
          const y = w[next + i];
          d0 += w[a + i] * y;
          d1 += w[b + i] * y;
        }
        g0 = d0; g1 = d1;
      }
      continue;
    }
    rotations += (active0 ? 1 : 0) + (active1 ? 1 : 0);
    let d0 = 0, d1 = 0, hh = 0;
    for (let i = 0; i < m; i++) {
      const xa = w[a + i], xb = w[b + i], xq = w[qo + i];
      const na = c0 * xa - s0 * xq;
      const xq1 = s0 * xa + c0 * xq;
      const nb = c1 * xb - s1 * xq1;
      w[a + i] = na;
      w[b + i] = nb;
      w[qo + i] = s1 * xb + c1 * xq1;
      const y = w[next + i];
      d0 += na * y;
      d1 += nb * y;
      hh += na * nb;
    }
    g0 = d0; g1 = d1; h = hh;
    if (acc) rotateTwoAgainstOne(acc.v, p * acc.len, q * acc.len, acc.len, c0, s0, c1, s1);
  }
  return rotations;
}

/**
 * Applies (p, q) with (c0, s0) and then (p+1, q) with (c1, s1) to columns of x (column p+1 follows p),
 * in Rutishauser's form x' = x − s·(y + τx), y' = y + s·(x − τy), τ = s/(1 + c): each update is a
 * small correction when the rotation is close to the identity, as it is in the late sweeps, so the
 * accumulated product stays orthogonal to a few ulps.
 */
function rotateTwoAgainstOne(
  x: Float64Array, a: number, qo: number, len: number, c0: number, s0: number, c1: number, s1: number,
): void {
  const b = a + len;
  const tau0 = s0 / (1 + c0), tau1 = s1 / (1 + c1);
  for (let i = 0; i < len; i++) {
    const xa = x[a + i], xb = x[b + i], xq = x[qo + i];
    const xq1 = xq + s0 * (xa - tau0 * xq);
    x[a + i] = xa - s0 * (xq + tau0 * xa);
    x[b + i] = xb - s1 * (xq1 + tau1 * xb);
    x[qo + i] = xq1 + s1 * (xb - tau1 * xq1);
  }
}

/** (x_a, x_b) ← (c·x_a − s·x_b, s·x_a + c·x_b) over len contiguous entries, in Rutishauser's form. */
function rotateColumns(x: Float64Array, a: number, b: number, len: number, c: number, s: number): void {
  const tau = s / (1 + c);
  for (let i = 0; i < len; i++) {
    const xa = x[a + i], xb = x[b + i];
    x[a + i] = xa - s * (xb + tau * xa);
    x[b + i] = xb + s * (xa - tau * xb);
  }
}
