/**
 * The kit's own float64 reference of FRoD's math (docs/frod-math.md), written plainly on the linalg
 * kernels and independent of src/frod's optimised paths: Householder QR of the stack (not CholeskyQR2),
 * each (QᵢᵀQᵢ + αI)⁻¹ by LU (not Cholesky), B = W·V⁻ᵀ by an LU solve (not a prepared inverse). It also
 * says how much freedom the answer has: the spectrum that V's columns belong to, its clusters, and how
 * sensitive each column is.
 */
import {
  type Mat, clone, eigh, inv, luFactor, mat, matmul, pinv, qr, solve, svd, svdvals, transpose,
} from '../linalg/kernels';
import { canonicalizeColumnSigns, stackWeights } from '../frod/projection';
import { LAMBDA_EPS } from '../frod/decompose';
import type { SparsePattern } from '../frod/pattern';

/** Eigenvalues (or squared singular values) closer than this, relative to the largest, form a cluster. */
export const CLUSTER_GAP = 1e-3;
/** A stack whose smallest singular value is below this, relative to its largest, is rank deficient. */
export const RANK_CUTOFF = 1e-10;

/** What a category's V is determined up to. */
export interface Spectrum {
  readonly path: 'svd' | 'qr-eig';
  /** Per column of V: μ (qr-eig, ascending) or σ² (svd, descending, 0 for the null space). */
  readonly values: Float64Array;
  /** Column indices grouped by (near-)equal values; a column alone is determined up to sign. */
  readonly clusters: number[][];
  /** Per column: (largest |value|) / (distance to the nearest value outside its cluster), at least 1. */
  readonly condition: Float64Array;
  /** One cluster holds every column: any V with the same V·Vᵀ is as good. */
  readonly arbitrary: boolean;
  /** qr-eig on a rank-deficient stack: V is singular and only V·Vᵀ = MᵀM is determined. */
  readonly singular: boolean;
  /** 2-norm condition number of V over its non-zero singular values. */
  readonly kappa: number;
}

/** A category's basis and its freedom. */
export interface ReferenceBasis {
  readonly v: Mat;
  readonly spectrum: Spectrum;
}

/** Clusters of a sorted list of values and each column's condition (see {@link Spectrum}). */
export function clusterSpectrum(values: Float64Array): { clusters: number[][]; condition: Float64Array } {
  const n = values.length;
  const spread = Math.max(...Array.from(values, Math.abs), Number.MIN_VALUE);
  const clusters: number[][] = [];
  for (let j = 0; j < n; j++) {
    const last = clusters[clusters.length - 1];
    if (last && Math.abs(values[j] - values[j - 1]) <= CLUSTER_GAP * spread) last.push(j);
    else clusters.push([j]);
  }
  const condition = new Float64Array(n);
  for (const cluster of clusters) {
    let gap = Infinity;
    for (const j of cluster) {
      for (let k = 0; k < n; k++) if (!cluster.includes(k)) gap = Math.min(gap, Math.abs(values[j] - values[k]));
    }
    for (const j of cluster) condition[j] = Math.max(1, Number.isFinite(gap) ? spread / gap : 1);
  }
  return { clusters, condition };
}

/** σ_max / σ_min over the singular values above RANK_CUTOFF·σ_max. */
function effectiveCondition(a: Mat): number {
  const s = svdvals(a);
  const kept = Array.from(s).filter((x) => x > RANK_CUTOFF * s[0]);
  return kept.length === 0 ? 1 : kept[0] / kept[kept.length - 1];
}

/** T = (1/L) Σ (QᵢᵀQᵢ + αI)⁻¹, symmetrised, for the row blocks of Q. */
function averagedInverse(q: Mat, heights: readonly number[], alpha: number): Mat {
  const n = q.cols;
  const t = mat(n, n);
  let start = 0;
  for (const h of heights) {
    const block = mat(h, n, q.data.slice(start * n, (start + h) * n));
    const g = matmul(transpose(block), block);
    for (let i = 0; i < n; i++) g.data[i * n + i] += alpha;
    const gi = inv(g);
    for (let k = 0; k < n * n; k++) t.data[k] += gi.data[k] / heights.length;
    start += h;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) t.data[i * n + j] = t.data[j * n + i] = 0.5 * (t.data[i * n + j] + t.data[j * n + i]);
  }
  return t;
}

/** V of a category (weights (out_i, in) in layer order) with the freedom it has. */
export function referenceBasis(weights: readonly Mat[], alpha: number): ReferenceBasis {
  const m = stackWeights(weights);
  const n = m.cols;
  if (m.rows < n) {
    const { S, Vh } = svd(m, true);
    const values = Float64Array.from({ length: n }, (_, j) => (j < S.length ? S[j] * S[j] : 0));
    const v = canonicalizeColumnSigns(transpose(Vh));
    return { v, spectrum: describe('svd', values, false, 1) };
  }
  const { Q, R } = qr(m, 'reduced');
  const { eigenvalues, eigenvectors } = eigh(averagedInverse(Q, weights.map((w) => w.rows), alpha));
  const v = canonicalizeColumnSigns(matmul(transpose(R), eigenvectors));
  const sigma = svdvals(m);
  const singular = sigma[sigma.length - 1] <= RANK_CUTOFF * sigma[0];
  return { v, spectrum: describe('qr-eig', eigenvalues, singular, effectiveCondition(v)) };
}

function describe(path: 'svd' | 'qr-eig', values: Float64Array, singular: boolean, kappa: number): Spectrum {
  const { clusters, condition } = clusterSpectrum(values);
  return { path, values, clusters, condition, arbitrary: clusters.length === 1 && values.length > 1, singular, kappa };
}

/** B = W·V⁻ᵀ (W·pinv(V)ᵀ when V is exactly singular), λ its column norms, U its normalised columns. */
export interface Decomposition {
  readonly b: Mat;
  readonly lambda: Float64Array;
  readonly u: Mat;
}

/** Splits W (out, in) in the basis V: W = U·diag(λ)·Vᵀ. */
export function referenceDecomposition(v: Mat, w: Mat): Decomposition {
  const singular = luFactor(v).zeroPivot >= 0;
  const b = singular ? matmul(w, transpose(pinv(v))) : transpose(solve(v, transpose(w)));
  const n = v.cols;
  const lambda = new Float64Array(n);
  const u = clone(b);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < b.rows; i++) sum += b.data[i * n + j] ** 2;
    lambda[j] = Math.sqrt(sum);
    for (let i = 0; i < b.rows; i++) u.data[i * n + j] = lambda[j] > LAMBDA_EPS ? b.data[i * n + j] / lambda[j] : 0;
  }
  return { b, lambda, u };
}

/** The inner factor S + diag(λ) (in, in), dense. */
export function innerFactor(lambda: ArrayLike<number>, pattern: SparsePattern, sValues: ArrayLike<number>): Mat {
  const n = lambda.length;
  const c = mat(n, n);
  for (let j = 0; j < n; j++) c.data[j * n + j] = lambda[j];
  for (let k = 0; k < pattern.nnz; k++) c.data[pattern.rows[k] * n + pattern.cols[k]] += sValues[k];
  return c;
}

/** Entrywise |a|. */
export function absolute(a: Mat): Mat {
  return mat(a.rows, a.cols, a.data.map(Math.abs));
}

/** The largest entry of a matrix (0 for an empty one). */
export function largest(a: Mat | Float64Array): number {
  let best = 0;
  for (const x of 'data' in a ? a.data : a) best = Math.max(best, x);
  return best;
}

/** One trained FRoD layer: everything its forward, merge and gradients need (float64). */
export interface LayerFactors {
  readonly u: Mat;
  readonly v: Mat;
  readonly lambda: Float64Array;
  readonly pattern: SparsePattern;
  readonly sValues: Float64Array;
}

/** W′ = U (S + diag λ) Vᵀ (out, in). */
export function mergedWeight(f: LayerFactors): Mat {
  return matmul(matmul(f.u, innerFactor(f.lambda, f.pattern, f.sValues)), transpose(f.v));
}

/** The componentwise bound |U|·|S + diag λ|·|V|ᵀ, whose largest entry scales the merged weight's tolerance. */
export function mergedMagnitude(f: LayerFactors): Mat {
  const inner = absolute(innerFactor(f.lambda, f.pattern, f.sValues));
  return matmul(matmul(absolute(f.u), inner), transpose(absolute(f.v)));
}

/** y = x·Wᵀ + b for x (rows, in), W (out, in). */
export function affine(x: Mat, w: Mat, bias: Float64Array | null): Mat {
  const y = matmul(x, transpose(w));
  if (bias) for (let i = 0; i < y.rows; i++) for (let o = 0; o < y.cols; o++) y.data[i * y.cols + o] += bias[o];
  return y;
}

/** Gradients of L = Σ y ⊙ g (y = the layer's output on x) with respect to λ, the S values and the bias. */
export interface LayerGradients {
  readonly lambda: Float64Array;
  readonly sValues: Float64Array;
  readonly bias: Float64Array;
  /** The same sums over absolute values: the scales of their tolerances. */
  readonly lambdaScale: Float64Array;
  readonly sValuesScale: Float64Array;
  readonly biasScale: Float64Array;
}

/**
 * With z = x·V and h = z·Sᵀ + z ⊙ λ, y = h·Uᵀ + b, so ∂L/∂h = g·U and
 * ∂L/∂λ_r = Σ_b z_br (gU)_br, ∂L/∂S_rc = Σ_b (gU)_br z_bc, ∂L/∂b = Σ_b g_b.
 */
export function layerGradients(f: LayerFactors, x: Mat, g: Mat): LayerGradients {
  const z = matmul(x, f.v), gu = matmul(g, f.u);
  const za = matmul(absolute(x), absolute(f.v)), gua = matmul(absolute(g), absolute(f.u));
  const n = f.v.cols;
  const lambda = new Float64Array(n), lambdaScale = new Float64Array(n);
  const sValues = new Float64Array(f.pattern.nnz), sValuesScale = new Float64Array(f.pattern.nnz);
  for (let b = 0; b < x.rows; b++) {
    for (let r = 0; r < n; r++) {
      lambda[r] += z.data[b * n + r] * gu.data[b * n + r];
      lambdaScale[r] += za.data[b * n + r] * gua.data[b * n + r];
    }
    for (let k = 0; k < f.pattern.nnz; k++) {
      const r = f.pattern.rows[k], c = f.pattern.cols[k];
      sValues[k] += gu.data[b * n + r] * z.data[b * n + c];
      sValuesScale[k] += gua.data[b * n + r] * za.data[b * n + c];
    }
  }
  const out = g.cols;
  const bias = new Float64Array(out), biasScale = new Float64Array(out);
  for (let b = 0; b < g.rows; b++) {
    for (let o = 0; o < out; o++) {
      bias[o] += g.data[b * out + o];
      biasScale[o] += Math.abs(g.data[b * out + o]);
    }
  }
  return { lambda, sValues, bias, lambdaScale, sValuesScale, biasScale };
}
