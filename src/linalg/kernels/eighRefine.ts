/**
 * One step of Ogita and Aishima's iterative refinement of a symmetric eigendecomposition (BIT 58, 2018),
 * in working precision, for the eigenvectors the Jacobi route of eigh finds.
 *
 * Why: Jacobi stops once every pair of columns is orthogonal to √n·ε relative to their norms, and it runs
 * on the shifted A + σI (σ = 2ρ), so an eigenvector whose eigenvalue lies a gap g from its neighbours is off
 * by about √n·ε·3ρ/g — 1e-10 for FRoD's averaged inverse Gram matrices (n = 200, relative gaps near 1e-5),
 * where the tridiagonal route, a backward-stable method on A itself, is within 1e-12 of the exact basis
 * (checked against an extended-precision refinement). One step takes Jacobi's error x to about ε·ρ/g + x²·ρ/g,
 * so both routes give the same basis to working accuracy, and a FRoD category's V does not depend on which
 * side of TRIDIAGONAL_FROM its size falls.
 *
 * With X the current eigenvectors (columns), R = I − XᵀX and S = XᵀAX:
 *   λ̃ᵢ = Sᵢᵢ / (1 − Rᵢᵢ)                       (the Rayleigh quotient of the unnormalised xᵢ)
 *   Fᵢⱼ = (Sᵢⱼ + λ̃ⱼRᵢⱼ) / (λ̃ⱼ − λ̃ᵢ)          for |λ̃ᵢ − λ̃ⱼ| > δ when that is at most √ε (see LINEAR_LIMIT)
 *   Fᵢⱼ = Rᵢⱼ / 2                               otherwise (a cluster: only re-orthonormalised, never rotated)
 *   X ← X + X·F
 * δ = 2(‖S − diag(λ̃)‖ + ‖A‖·‖R‖) (Frobenius norms, which bound the 2-norms the paper uses). A cluster keeps
 * the basis Jacobi chose for it, so c·I still gives E = I. The four products go through the engine's matmul
 * (deterministic, the same bits on its WebAssembly and JavaScript paths).
 */
import { gemm } from '../../tensor/cpu/matmul';

/**
 * The largest correction Fᵢⱼ applied. The step is first order: it leaves errors of order F², so a pair whose
 * computed correction exceeds √ε is one the step cannot separate in working precision (its gap is near the
 * rounding noise of S); it is treated as a cluster, which keeps Jacobi's orthogonality to ε.
 */
const LINEAR_LIMIT = Math.sqrt(2 ** -52);

type View = { data: Float64Array; offset: number; rowStride: number; colStride: number };
const rowMajor = (data: Float64Array, n: number): View => ({ data, offset: 0, rowStride: n, colStride: 1 });
const transposed = (data: Float64Array, n: number): View => ({ data, offset: 0, rowStride: 1, colStride: n });

/** C = op(A)·op(B) for n×n float64 views, into a fresh row-major buffer. */
function product(a: View, b: View, n: number): Float64Array {
  const c = new Float64Array(n * n);
  gemm(a, b, n, n, n, c, 0, 'float64');
  return c;
}

/**
 * Refines, in place, the eigenvectors in `y` (row-major n×n, row j = eigenvector j, unit length) of the
 * symmetric `s` (row-major n×n, ‖s‖ ≤ `norm`), and returns the eigenvalues λ̃ (in y's row order).
 */
export function refineEigenpairs(s: Float64Array, y: Float64Array, n: number, norm: number): Float64Array {
  const p = product(rowMajor(y, n), rowMajor(s, n), n); // P = XᵀA
  const sx = product(rowMajor(p, n), transposed(y, n), n); // S = XᵀAX
  const r = product(rowMajor(y, n), transposed(y, n), n); // XᵀX, turned into R = I − XᵀX below
  const values = new Float64Array(n);
  let offS = 0, normR = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      // S and R symmetric to the last bit, so that F + Fᵀ = R and the step keeps X orthonormal to ε.
      const s = 0.5 * (sx[i * n + j] + sx[j * n + i]);
      const q = -0.5 * (r[i * n + j] + r[j * n + i]);
      sx[i * n + j] = sx[j * n + i] = s;
      r[i * n + j] = r[j * n + i] = q;
      offS += 2 * s * s;
      normR += 2 * q * q;
    }
    r[i * n + i] = 1 - r[i * n + i];
    normR += r[i * n + i] * r[i * n + i];
    values[i] = sx[i * n + i] / (1 - r[i * n + i]);
  }
  const delta = 2 * (Math.sqrt(offS) + norm * Math.sqrt(normR));
  // F overwrites S (each entry reads only its own Sᵢⱼ and Rᵢⱼ).
  const f = sx;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const at = i * n + j;
      const gap = values[j] - values[i];
      const rotation = i !== j && Math.abs(gap) > delta ? (sx[at] + values[j] * r[at]) / gap : Infinity;
      f[at] = Math.abs(rotation) <= LINEAR_LIMIT ? rotation : r[at] / 2;
    }
  }
  // Xᵀ ← Xᵀ + FᵀXᵀ, row by row of the row-major y.
  const update = product(transposed(f, n), rowMajor(y, n), n);
  for (let k = 0; k < y.length; k++) y[k] += update[k];
  return values;
}
