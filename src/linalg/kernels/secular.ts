/**
 * The rank-one eigenproblem at the heart of divide and conquer: the eigenpairs of D + ρ·z·zᵀ, D =
 * diag(d) with d strictly increasing, ρ > 0 and no z_i zero (deflation in divideConquer.ts sees to all
 * three). Its eigenvalues are the roots of the secular equation
 *
 *   f(λ) = 1 + ρ·Σᵢ zᵢ²/(dᵢ − λ) = 0,
 *
 * one in each gap (d_j, d_{j+1}) and the last in (d_{K−1}, d_{K−1} + ρ·zᵀz]; f increases from −∞ to +∞
 * on each. The eigenvector for λ is (D − λI)⁻¹z, so what matters for it is the differences dᵢ − λ to full
 * relative accuracy: each root is therefore kept as λ_j = d_{o(j)} + τ_j relative to its nearer pole
 * d_{o(j)}, and dᵢ − λ_j is formed as (dᵢ − d_{o(j)}) − τ_j.
 *
 * Even then the computed vectors would lose orthogonality for close roots. Following Gu and Eisenstat,
 * z is replaced by the ẑ for which the computed roots are the exact eigenvalues of D + ρ·ẑẑᵀ (Löwner's
 * formula); the vectors (D − λ_jI)⁻¹ẑ are then orthogonal to working precision.
 */
import { EPS } from './mat';

/** Iterations allowed per root; the safeguarded rational steps take about 3–6. */
const MAX_ITERATIONS = 100;

/** The roots λ_j = d[origin[j]] + tau[j], ascending. */
export interface SecularRoots {
  origin: Int32Array;
  tau: Float64Array;
}

/** All K roots of 1 + ρ·Σ zᵢ²/(dᵢ − λ) for strictly increasing d and ρ > 0. */
export function secularRoots(d: Float64Array, z: Float64Array, rho: number): SecularRoots {
  const k = d.length;
  const w = new Float64Array(k);
  let zz = 0;
  for (let i = 0; i < k; i++) {
    w[i] = rho * z[i] * z[i];
    zz += w[i];
  }
  const origin = new Int32Array(k);
  const tau = new Float64Array(k);
  const delta = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let o: number, lo: number, hi: number;
    if (j === k - 1) {
      o = j; lo = 0; hi = zz;
    } else {
      // f at the middle of the gap says which half holds the root, hence which pole is nearer.
      const half = (d[j + 1] - d[j]) / 2;
      for (let i = 0; i < k; i++) delta[i] = d[i] - d[j];
      if (secular(w, delta, half) >= 0) {
        o = j; lo = 0; hi = half;
      } else {
        o = j + 1; lo = -half; hi = 0;
      }
    }
    for (let i = 0; i < k; i++) delta[i] = d[i] - d[o];
    origin[j] = o;
    tau[j] = solveRoot(w, delta, j, lo, hi);
  }
  return { origin, tau };
}

/** f(τ) = 1 + Σ wᵢ/(δᵢ − τ). */
function secular(w: Float64Array, delta: Float64Array, tau: number): number {
  let f = 1;
  for (let i = 0; i < w.length; i++) f += w[i] / (delta[i] - tau);
  return f;
}

/**
 * The root τ ∈ (lo, hi) of 1 + Σ wᵢ/(δᵢ − τ) in gap j (between poles δ_j and δ_{j+1}, or above δ_j when
 * j is last). Each step fits f by the model c + b₁/(δ_j − τ) + b₂/(δ_{j+1} − τ), matching the value and
 * slope of the sums left and right of the gap (Bunch–Nielsen–Sorensen), and takes its root; a step that
 * leaves the bracket, which shrinks with every evaluation, is replaced by bisection.
 */
function solveRoot(w: Float64Array, delta: Float64Array, j: number, lo: number, hi: number): number {
  const k = w.length;
  const last = j === k - 1;
  let tau = (lo + hi) / 2;
  for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
    let psi = 0, dpsi = 0, phi = 0, dphi = 0;
    for (let i = 0; i <= j; i++) {
      const t = w[i] / (delta[i] - tau);
      psi += t;
      dpsi += t / (delta[i] - tau);
    }
    for (let i = j + 1; i < k; i++) {
      const t = w[i] / (delta[i] - tau);
      phi += t;
      dphi += t / (delta[i] - tau);
    }
    const f = 1 + psi + phi;
    const bound = EPS * (8 * (1 + Math.abs(psi) + Math.abs(phi)) + Math.abs(tau) * (dpsi + dphi));
    if (Math.abs(f) <= bound) return tau;
    if (f < 0) lo = tau;
    else hi = tau;
    if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) return (lo + hi) / 2;
    const next = tau + modelStep(f, psi, dpsi, phi, dphi, delta[j] - tau, last ? 0 : delta[j + 1] - tau, last);
    tau = next > lo && next < hi ? next : (lo + hi) / 2;
  }
  return tau;
}

/**
 * η such that τ + η is the root of the two-pole model (pL = δ_j − τ, pR = δ_{j+1} − τ); NaN when the
 * model has none (the caller then bisects).
 */
function modelStep(
  f: number, psi: number, dpsi: number, phi: number, dphi: number, pL: number, pR: number, last: boolean,
): number {
  const b1 = dpsi * pL * pL;
  if (last) {
    // c + b₁/(pL − η) = 0 with c = f − b₁/pL.
    const c = f - dpsi * pL;
    return c > 0 ? pL + b1 / c : NaN;
  }
  const b2 = dphi * pR * pR;
  const c = f - dpsi * pL - dphi * pR;
  // c(pL − η)(pR − η) + b₁(pR − η) + b₂(pL − η) = 0, i.e. Aη² + Bη + C with C = pL·pR·f.
  const A = c, B = -(c * (pL + pR) + b1 + b2), C = pL * pR * f;
  if (A === 0) return -C / B;
  const disc = B * B - 4 * A * C;
  if (disc < 0) return NaN;
  const q = -0.5 * (B + (B >= 0 ? Math.sqrt(disc) : -Math.sqrt(disc)));
  const e1 = q / A, e2 = q !== 0 ? C / q : NaN;
  // The model's root between its poles is the one that keeps pL − η and pR − η of opposite signs.
  const inGap = (e: number) => (pL - e) * (pR - e) < 0;
  if (inGap(e2) && (!inGap(e1) || Math.abs(e2) <= Math.abs(e1))) return e2;
  return inGap(e1) ? e1 : NaN;
}

/**
 * Löwner's vector ẑ (sign of z kept): the z for which the computed roots are the exact eigenvalues of
 * D + ρ·ẑẑᵀ,
 *   ẑᵢ² = −(dᵢ − λᵢ)·Πⱼ≠ᵢ (dᵢ − λⱼ)/(dᵢ − dⱼ)   (up to the common factor 1/ρ, which normalisation removes),
 * its product taken as a running product of ratios near 1 so that it neither overflows nor underflows.
 */
export function loewnerVector(d: Float64Array, z: Float64Array, roots: SecularRoots): Float64Array {
  const k = d.length;
  const zHat = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let prod = poleDistance(d, roots, i, i);
    for (let j = 0; j < k; j++) if (j !== i) prod *= poleDistance(d, roots, j, i) / (d[i] - d[j]);
    const mag = Math.sqrt(Math.max(-prod, 0));
    zHat[i] = z[i] < 0 ? -mag : mag;
  }
  return zHat;
}

/** dᵢ − λⱼ, accurate through the pole λⱼ is measured from. */
function poleDistance(d: Float64Array, roots: SecularRoots, j: number, i: number): number {
  return (d[i] - d[roots.origin[j]]) - roots.tau[j];
}

/**
 * Rows j0…j1−1 of the eigenvectors of D + ρ·ẑẑᵀ for the computed roots (row j for root j, each of unit
 * length: (D − λⱼI)⁻¹ẑ normalised), written row-major ((j1 − j0) × K) into the start of `out`. Made a block
 * of rows at a time, so that the K×K matrix of all of them need never exist.
 */
export function secularVectorRows(
  d: Float64Array, zHat: Float64Array, roots: SecularRoots, j0: number, j1: number, out: Float64Array,
): void {
  const k = d.length;
  for (let j = j0; j < j1; j++) {
    const row = (j - j0) * k;
    let norm = 0;
    for (let i = 0; i < k; i++) {
      const v = zHat[i] / poleDistance(d, roots, j, i);
      out[row + i] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < k; i++) out[row + i] *= inv;
  }
}
