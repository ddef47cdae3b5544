/**
 * Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem, as LAPACK's dstedc/dlaed*.
 *
 * T splits at its middle off-diagonal β into two tridiagonal halves T₁, T₂ (the two diagonal entries next
 * to the cut lose |β|) plus the rank-one |β|·uuᵀ, u = (e_last; sign(β)·e_first). With Tᵢ = Qᵢ·Λᵢ·Qᵢᵀ
 * solved recursively, T = Q·(Λ + ρ·zzᵀ)·Qᵀ with Q = diag(Q₁, Q₂), z = Qᵀu/√2 and ρ = 2|β|, and the
 * rank-one problem is solved by the secular equation (secular.ts). Its eigenvectors are then carried
 * back to T's basis by one matrix product, Q·U: the merges' flops are nearly all in gemm.
 *
 * Deflation makes the method fast and safe in practice: a component with ρ|zᵢ| below the tolerance, or
 * two eigenvalues of Λ so close that a plane rotation can zero one of their z entries, leaves an
 * eigenpair of Λ (rotated) as an eigenpair of the merge, untouched by the product. Clustered and repeated
 * spectra deflate heavily; for c·I every merge deflates completely.
 *
 * Vectors are rows (row j of a row-major m×m buffer is eigenvector j), the layout of tridiagonalQl.ts
 * and tridiagonalQ.ts.
 */
import { gemm } from '../../tensor/cpu/matmul';
import { EPS } from './mat';
import { tridiagonalQl } from './tridiagonalQl';
import { secularRoots, secularVectors } from './secular';

/** Problems this small are solved by QL directly (LAPACK's SMLSIZ). */
const LEAF = 25;

/** Eigenvalues ascending and the matching unit eigenvectors as rows (row-major m×m). */
export interface TridiagonalEigen {
  values: Float64Array;
  vectors: Float64Array;
}

/** Where a merged vector is non-zero: only the first half's rows, only the second's, or both. */
const TOP = 0, MIXED = 1, BOTTOM = 2;

/** Eigen-decomposition of the symmetric tridiagonal T with diagonal d (m) and off-diagonal e (m−1). */
export function divideAndConquer(d: Float64Array, e: Float64Array): TridiagonalEigen {
  const m = d.length;
  if (m <= LEAF) return leaf(d, e);
  const k = m >> 1;
  const beta = e[k - 1];
  const d1 = d.slice(0, k), d2 = d.slice(k);
  d1[k - 1] -= Math.abs(beta);
  d2[0] -= Math.abs(beta);
  const left = divideAndConquer(d1, e.subarray(0, k - 1));
  const right = divideAndConquer(d2, e.subarray(k));
  return merge(left, right, beta);
}

/** QL on a small tridiagonal, vectors sorted by ascending eigenvalue. */
function leaf(d: Float64Array, e: Float64Array): TridiagonalEigen {
  const m = d.length;
  const values = d.slice();
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  tridiagonalQl(values, e, m, z, m);
  const order = ascending(values);
  const out = { values: new Float64Array(m), vectors: new Float64Array(m * m) };
  order.forEach((src, dst) => {
    out.values[dst] = values[src];
    out.vectors.set(z.subarray(src * m, src * m + m), dst * m);
  });
  return out;
}

/** Indices that sort `values` ascending (ties in index order, so the result is deterministic). */
function ascending(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[i] - values[j] || i - j);
}

/** Merges the halves' eigen-decompositions across the coupling β (see the file comment). */
function merge(left: TridiagonalEigen, right: TridiagonalEigen, beta: number): TridiagonalEigen {
  const k = left.values.length, m = k + right.values.length;
  // Q = diag(Q₁, Q₂) as m-long rows, the eigenvalues Λ beside them, and z = Qᵀu/√2.
  const q = new Float64Array(m * m);
  const lambda = new Float64Array(m);
  const z = new Float64Array(m);
  const type = new Uint8Array(m);
  const sign = beta < 0 ? -1 : 1;
  for (let i = 0; i < k; i++) {
    q.set(left.vectors.subarray(i * k, i * k + k), i * m);
    lambda[i] = left.values[i];
    z[i] = left.vectors[i * k + k - 1] * Math.SQRT1_2;
    type[i] = TOP;
  }
  const r = m - k;
  for (let i = 0; i < r; i++) {
    q.set(right.vectors.subarray(i * r, i * r + r), (k + i) * m + k);
    lambda[k + i] = right.values[i];
    z[k + i] = sign * right.vectors[i * r] * Math.SQRT1_2;
    type[k + i] = BOTTOM;
  }
  const rho = 2 * Math.abs(beta);
  const { kept, deflated } = deflate(lambda, z, rho, q, m, type);
  // Eigenvalues first (deflated, then the secular roots), so every vector can be written straight to
  // its place in ascending order.
  const values = new Float64Array(m);
  deflated.forEach((i, at) => { values[at] = lambda[i]; });
  const from = deflated.length;
  const dK = Float64Array.from(kept, (i) => lambda[i]);
  const zK = Float64Array.from(kept, (i) => z[i]);
  const roots = secularRoots(dK, zK, rho);
  for (let j = 0; j < kept.length; j++) values[from + j] = dK[roots.origin[j]] + roots.tau[j];
  const order = ascending(values);
  const slot = new Int32Array(m);
  order.forEach((src, dst) => { slot[src] = dst; });
  const out = { values: new Float64Array(m), vectors: new Float64Array(m * m) };
  for (let i = 0; i < m; i++) out.values[slot[i]] = values[i];
  deflated.forEach((i, at) => out.vectors.set(q.subarray(i * m, i * m + m), slot[at] * m));
  if (kept.length > 0) {
    const u = secularVectors(dK, zK, roots);
    rotateKept(u, kept, q, m, k, type, out.vectors, slot.subarray(from));
  }
  return out;
}

/**
 * Deflation (dlaed2): walks Λ in ascending order; a component whose ρ|zᵢ| ≤ tol is an eigenpair as it
 * stands; of two neighbours whose plane rotation zeroing one z entry perturbs T by ≤ tol, the rotated
 * first one is. Rotations are applied to the rows of q and to Λ, and `type` records rows that now mix
 * both halves. Returns the indices kept for the secular equation (ascending Λ) and those deflated.
 */
function deflate(
  lambda: Float64Array, z: Float64Array, rho: number, q: Float64Array, m: number, type: Uint8Array,
): { kept: number[]; deflated: number[] } {
  let maxD = 0, maxZ = 0;
  for (let i = 0; i < m; i++) {
    maxD = Math.max(maxD, Math.abs(lambda[i]));
    maxZ = Math.max(maxZ, Math.abs(z[i]));
  }
  const tol = 8 * EPS * Math.max(maxD, maxZ);
  const kept: number[] = [];
  const deflated: number[] = [];
  let pj = -1;
  for (const nj of ascending(lambda)) {
    if (rho * Math.abs(z[nj]) <= tol) {
      deflated.push(nj);
      continue;
    }
    if (pj < 0) {
      pj = nj;
      continue;
    }
    const tau = Math.hypot(z[pj], z[nj]);
    const c = z[nj] / tau, s = -z[pj] / tau;
    if (Math.abs((lambda[nj] - lambda[pj]) * c * s) <= tol) {
      z[nj] = tau;
      z[pj] = 0;
      rotate(q, m, pj, nj, c, s);
      if (type[pj] !== type[nj]) type[pj] = type[nj] = MIXED;
      const dp = lambda[pj], dn = lambda[nj];
      lambda[pj] = dp * c * c + dn * s * s;
      lambda[nj] = dp * s * s + dn * c * c;
      deflated.push(pj);
    } else {
      kept.push(pj);
    }
    pj = nj;
  }
  if (pj >= 0) kept.push(pj);
  // Rotations move Λ by at most tol: re-sort so the secular equation sees increasing poles.
  kept.sort((i, j) => lambda[i] - lambda[j] || i - j);
  return { kept, deflated };
}

/** Rows x = q[p], y = q[n]: (x, y) ← (c·x + s·y, c·y − s·x), LAPACK's drot. */
function rotate(q: Float64Array, m: number, p: number, n: number, c: number, s: number): void {
  const a = p * m, b = n * m;
  for (let i = 0; i < m; i++) {
    const x = q[a + i], y = q[b + i];
    q[a + i] = c * x + s * y;
    q[b + i] = c * y - s * x;
  }
}

/**
 * Row slot[j] of `out` = Σᵢ U[j][i]·q[kept[i]]: the secular vectors carried back to T's basis. The kept
 * rows are grouped top-only, mixed, bottom-only, so the first k columns need only the first two groups
 * and the rest only the last two: two gemms that skip the zero blocks of diag(Q₁, Q₂).
 */
function rotateKept(
  u: Float64Array, kept: number[], q: Float64Array, m: number, k: number, type: Uint8Array,
  out: Float64Array, slot: Int32Array,
): void {
  const kk = kept.length;
  // posOf[g]: the position in `kept` (and U's column) of the g-th row in grouped order.
  const posOf: number[] = [];
  for (const t of [TOP, MIXED, BOTTOM]) kept.forEach((row, pos) => { if (type[row] === t) posOf.push(pos); });
  let nTop = 0, nBottom = 0;
  for (const row of kept) {
    if (type[row] === TOP) nTop++;
    else if (type[row] === BOTTOM) nBottom++;
  }
  // U's columns and q's rows permuted alike into the grouped order (row by row: sequential writes).
  const ug = new Float64Array(kk * kk);
  const qg = new Float64Array(kk * m);
  for (let g = 0; g < kk; g++) qg.set(q.subarray(kept[posOf[g]] * m, kept[posOf[g]] * m + m), g * m);
  for (let j = 0; j < kk; j++) {
    const row = j * kk;
    for (let g = 0; g < kk; g++) ug[row + g] = u[row + posOf[g]];
  }
  const topRows = kk - nBottom, bottomFrom = nTop;
  const top = new Float64Array(kk * k);
  const bottom = new Float64Array(kk * (m - k));
  gemm({ data: ug, offset: 0, rowStride: kk, colStride: 1 }, { data: qg, offset: 0, rowStride: m, colStride: 1 },
    kk, topRows, k, top, 0, 'float64');
  gemm({ data: ug, offset: bottomFrom, rowStride: kk, colStride: 1 }, { data: qg, offset: bottomFrom * m + k, rowStride: m, colStride: 1 },
    kk, kk - bottomFrom, m - k, bottom, 0, 'float64');
  for (let j = 0; j < kk; j++) {
    const dst = slot[j] * m;
    out.set(top.subarray(j * k, j * k + k), dst);
    out.set(bottom.subarray(j * (m - k), (j + 1) * (m - k)), dst + k);
  }
}
