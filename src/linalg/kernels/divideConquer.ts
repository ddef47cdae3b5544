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
import { rotateRows } from './rowOps';
import { tridiagonalQl } from './tridiagonalQl';
import { type SecularRoots, loewnerVector, secularRoots, secularVectorRows } from './secular';

/** Problems this small are solved by QL directly (LAPACK's SMLSIZ). */
const LEAF = 25;
/** Secular vectors made and carried back per pass: bounds their scratch to SECULAR_ROWS × n. */
const SECULAR_ROWS = 512;

/** Eigenvalues ascending and the matching unit eigenvectors as rows (row-major m×m). */
export interface TridiagonalEigen {
  values: Float64Array;
  vectors: Float64Array;
}

/** Where a merged vector is non-zero: only the first half's rows, only the second's, or both. */
const TOP = 0, MIXED = 1, BOTTOM = 2;

/**
 * Where the merges work: every subproblem [lo, lo + m) keeps its eigenvectors in the diagonal block of one
 * n×n row-major buffer (row lo + j, columns lo…lo+m−1: vector j), as LAPACK's dstedc does, so the two
 * halves' blocks already form the merge's diag(Q₁, Q₂) (the off-diagonal blocks are never written, hence
 * zero) and the merged vectors go back into the same block. The scratch is allocated once for the top
 * merge and reused by every merge below it: with q, 2n² and a strip (LAPACK's dstedc needs about 2n² beside Z).
 */
interface Workspace {
  /** The n×n eigenvector buffer. */
  q: Float64Array;
  n: number;
  /** m×m: a copy of the merge's rows (kept ones grouped first), read by the products. */
  rows: Float64Array;
  /** SECULAR_ROWS × K: a strip of the secular equation's vectors. */
  secular: Float64Array;
}

/** Scratch divide and conquer uses for an m×m problem: the merges' copy of the rows, then a strip of secular vectors. */
export function divideAndConquerScratch(m: number): number {
  return m > LEAF ? m * m + Math.min(SECULAR_ROWS, m) * m : 0;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal T with diagonal d (m) and off-diagonal e (m−1).
 * `scratch`, when given, serves as the merges' copy of the rows (at least m² entries) and, when long enough
 * (divideAndConquerScratch(m)), the secular strip too, instead of fresh buffers; its contents are lost (eigh
 * hands over its copy of A, no longer needed once T is formed).
 */
export function divideAndConquer(d: Float64Array, e: Float64Array, scratch?: Float64Array): TridiagonalEigen {
  const n = d.length;
  const big = n > LEAF ? n * n : 0, strip = divideAndConquerScratch(n) - big;
  const given = scratch ?? new Float64Array(0);
  const rows = given.length >= big ? given.subarray(0, big) : new Float64Array(big);
  const secular = given.length >= big + strip ? given.subarray(big, big + strip) : new Float64Array(strip);
  const ws: Workspace = { q: new Float64Array(n * n), n, rows, secular };
  const values = solve(d, e, 0, ws);
  return { values, vectors: ws.q };
}

/** Solves the subproblem starting at row `lo` (d, e its own), vectors into its block; returns its values. */
function solve(d: Float64Array, e: Float64Array, lo: number, ws: Workspace): Float64Array {
  const m = d.length;
  if (m <= LEAF) return leaf(d, e, lo, ws);
  const k = m >> 1;
  const beta = e[k - 1];
  const d1 = d.slice(0, k), d2 = d.slice(k);
  d1[k - 1] -= Math.abs(beta);
  d2[0] -= Math.abs(beta);
  const left = solve(d1, e.subarray(0, k - 1), lo, ws);
  const right = solve(d2, e.subarray(k), lo + k, ws);
  return merge(left, right, beta, lo, ws);
}

/** QL on a small tridiagonal, vectors sorted by ascending eigenvalue into the block at `lo`. */
function leaf(d: Float64Array, e: Float64Array, lo: number, ws: Workspace): Float64Array {
  const m = d.length, { q, n } = ws;
  const values = d.slice();
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  tridiagonalQl(values, e, m, z, m);
  const order = ascending(values);
  const sorted = new Float64Array(m);
  order.forEach((src, dst) => {
    sorted[dst] = values[src];
    q.set(z.subarray(src * m, src * m + m), (lo + dst) * n + lo);
  });
  return sorted;
}

/** Indices that sort `values` ascending (ties in index order, so the result is deterministic). */
function ascending(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[i] - values[j] || i - j);
}

/** Merges the halves' eigenpairs (in the blocks at lo and lo + k) across the coupling β (see the file comment). */
function merge(leftValues: Float64Array, rightValues: Float64Array, beta: number, lo: number, ws: Workspace): Float64Array {
  const k = leftValues.length, m = k + rightValues.length, { q, n } = ws;
  const rowAt = (i: number) => (lo + i) * n + lo;
  // Λ, and z = Qᵀu/√2: the last entry of each first-half vector, ± the first of each second-half one.
  const lambda = new Float64Array(m);
  const z = new Float64Array(m);
  const type = new Uint8Array(m);
  const sign = beta < 0 ? -1 : 1;
  for (let i = 0; i < k; i++) {
    lambda[i] = leftValues[i];
    z[i] = q[rowAt(i) + k - 1] * Math.SQRT1_2;
    type[i] = TOP;
  }
  for (let i = k; i < m; i++) {
    lambda[i] = rightValues[i - k];
    z[i] = sign * q[rowAt(i) + k] * Math.SQRT1_2;
    type[i] = BOTTOM;
  }
  const rho = 2 * Math.abs(beta);
  const { kept, deflated } = deflate(lambda, z, rho, q, rowAt, m, type);
  // The merge's eigenvalues: the deflated ones, then the secular roots (the vectors are written in this
  // order below, then moved to ascending order).
  const values = new Float64Array(m);
  deflated.forEach((i, at) => { values[at] = lambda[i]; });
  const from = deflated.length;
  const dK = Float64Array.from(kept, (i) => lambda[i]);
  const zK = Float64Array.from(kept, (i) => z[i]);
  const roots = secularRoots(dK, zK, rho);
  for (let j = 0; j < kept.length; j++) values[from + j] = dK[roots.origin[j]] + roots.tau[j];
  const order = ascending(values);
  const sorted = Float64Array.from(order, (src) => values[src]);
  // Copy the block's rows out (kept ones grouped, then the deflated), write the results back in the order
  // of `values` (the deflated first, then the secular vectors), then move each row to its sorted place.
  const grouped = groupedOrder(kept, type);
  const copied = [...grouped.map((pos) => kept[pos]), ...deflated];
  copied.forEach((row, at) => ws.rows.set(q.subarray(rowAt(row), rowAt(row) + m), at * m));
  const kk = kept.length;
  deflated.forEach((_, at) => q.set(ws.rows.subarray((kk + at) * m, (kk + at + 1) * m), rowAt(at)));
  if (kk > 0) rotateKept(dK, zK, roots, grouped, kept, type, m, k, ws, rowAt(from));
  permuteRows(q, order, m, rowAt);
  return sorted;
}

/**
 * Row d of the block becomes its row order[d], for every d (a permutation applied in place, cycle by cycle,
 * with one row of scratch): the merge's vectors, written in the order of their values, put in ascending order.
 */
function permuteRows(q: Float64Array, order: number[], m: number, rowAt: (i: number) => number): void {
  const done = new Uint8Array(m);
  const held = new Float64Array(m);
  for (let start = 0; start < m; start++) {
    if (done[start] === 1 || order[start] === start) continue;
    held.set(q.subarray(rowAt(start), rowAt(start) + m));
    let d = start;
    for (let src = order[d]; src !== start; d = src, src = order[d]) {
      q.copyWithin(rowAt(d), rowAt(src), rowAt(src) + m);
      done[d] = 1;
    }
    q.set(held, rowAt(d));
    done[d] = 1;
  }
}

/** Positions in `kept` ordered top-only rows first, then mixed, then bottom-only. */
function groupedOrder(kept: number[], type: Uint8Array): number[] {
  const posOf: number[] = [];
  for (const t of [TOP, MIXED, BOTTOM]) kept.forEach((row, pos) => { if (type[row] === t) posOf.push(pos); });
  return posOf;
}

/**
 * Deflation (dlaed2): walks Λ in ascending order; a component whose ρ|zᵢ| ≤ tol is an eigenpair as it
 * stands; of two neighbours whose plane rotation zeroing one z entry perturbs T by ≤ tol, the rotated
 * first one is. Rotations are applied to the rows of q and to Λ, and `type` records rows that now mix
 * both halves. Returns the indices kept for the secular equation (ascending Λ) and those deflated.
 */
function deflate(
  lambda: Float64Array, z: Float64Array, rho: number, q: Float64Array, rowAt: (i: number) => number, m: number,
  type: Uint8Array,
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
      rotateRows(q, rowAt(pj), rowAt(nj), m, c, s);
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

/**
 * The secular vectors carried back to T's basis: row j of the result, Σᵢ U[j][i]·q[kept[i]], goes to
 * q's row at `target` + j·n, written there by gemm (it reads only ws.rows, the copies). The kept rows sit
 * in ws.rows grouped top-only, mixed, bottom-only, so the first k columns need only the first two groups
 * and the rest only the last two: two gemms that skip the zero blocks of diag(Q₁, Q₂). U is made a strip
 * of rows at a time, its columns permuted alike.
 */
function rotateKept(
  dK: Float64Array, zK: Float64Array, roots: SecularRoots, grouped: number[], kept: number[], type: Uint8Array,
  m: number, k: number, ws: Workspace, target: number,
): void {
  const kk = kept.length;
  let nTop = 0, nBottom = 0;
  for (const row of kept) {
    if (type[row] === TOP) nTop++;
    else if (type[row] === BOTTOM) nBottom++;
  }
  const topRows = kk - nBottom, bottomFrom = nTop, { q, n } = ws;
  const zHat = loewnerVector(dK, zK, roots);
  const line = new Float64Array(kk);
  const strip = Math.min(SECULAR_ROWS, kk);
  const u = ws.secular.subarray(0, strip * kk);
  for (let j0 = 0; j0 < kk; j0 += strip) {
    const rows = Math.min(strip, kk - j0);
    secularVectorRows(dK, zHat, roots, j0, j0 + rows, u);
    for (let j = 0; j < rows; j++) {
      const row = j * kk;
      for (let g = 0; g < kk; g++) line[g] = u[row + grouped[g]];
      u.set(line, row);
    }
    const at = target + j0 * n;
    gemm({ data: u, offset: 0, rowStride: kk, colStride: 1 }, { data: ws.rows, offset: 0, rowStride: m, colStride: 1 },
      rows, topRows, k, q, at, 'float64', { ldc: n });
    gemm({ data: u, offset: bottomFrom, rowStride: kk, colStride: 1 }, { data: ws.rows, offset: bottomFrom * m + k, rowStride: m, colStride: 1 },
      rows, kk - bottomFrom, m - k, q, at + k, 'float64', { ldc: n });
  }
}
