/**
 * The large-n route of `eigh`: A = Q·T·Qᵀ by blocked Householder tridiagonalisation (tridiagonal.ts),
 * T = Z·diag(w)·Zᵀ by divide and conquer (divideConquer.ts; implicit QL on its small pieces), and the
 * eigenvectors Q·Z by blocked back-transformation (tridiagonalQ.ts). About 4n³/3 + 4n³/3 + 2n³ flops,
 * most of them in gemm, against Jacobi's ~4n³ per sweep times 8–12 sweeps.
 */
import { tridiagonalize } from './tridiagonal';
import { applyTridiagonalQ } from './tridiagonalQ';
import { tridiagonalQl } from './tridiagonalQl';
import { divideAndConquer } from './divideConquer';

/** Which tridiagonal eigensolver the route uses: divide and conquer (the default) or plain QL. */
export type TridiagonalSolver = 'divide-and-conquer' | 'ql';

/** Options of {@link eighByTridiagonal}. */
export interface EighTridiagonalOptions {
  solver?: TridiagonalSolver;
  /**
   * A buffer divide and conquer may use as scratch once T is formed (its contents are then lost): `a` itself,
   * since the reduction works on its own copy — one n×n buffer fewer —, or a longer one that also holds the
   * secular strip (divideAndConquerScratch).
   */
  scratch?: Float64Array;
}

/**
 * Eigenvalues and eigenvectors as rows (row i of the row-major n×n result belongs to value i) of the
 * symmetric matrix whose lower triangle is in the column-major n×n `a` (not modified unless it is the
 * `scratch`). Divide and conquer gives the values ascending; QL leaves them unsorted.
 */
export function eighByTridiagonal(
  a: Float64Array, n: number, options: EighTridiagonalOptions = {},
): { values: Float64Array; vectors: Float64Array } {
  const tri = tridiagonalize(a, n);
  let values: Float64Array, vectors: Float64Array;
  if (options.solver === 'ql') {
    values = tri.d.slice();
    vectors = new Float64Array(n * n);
    for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
    tridiagonalQl(values, tri.e.slice(), n, vectors, n);
  } else {
    ({ values, vectors } = divideAndConquer(tri.d, tri.e, options.scratch));
  }
  applyTridiagonalQ(tri, vectors, n);
  return { values, vectors };
}
