/**
 * Moore–Penrose pseudoinverse through the SVD: A⁺ = V·diag(1/σᵢ)·Uᵀ over the singular values above
 * a cutoff, the rest treated as zero. The result satisfies A·A⁺·A = A, A⁺·A·A⁺ = A⁺ and makes A·A⁺
 * and A⁺·A symmetric; for a full-rank square A it is A⁻¹ (but LU is cheaper for that).
 */
import { type Mat, EPS, mat, transposeInto } from './mat';
import { svd } from './svd';

/** Tolerances of the cutoff max(atol, rtol·σ_max), as in torch.linalg.pinv. */
export interface PinvOptions {
  /** Relative tolerance; default max(m, n)·ε when atol is not given, else 0. */
  rtol?: number;
  /** Absolute tolerance; default 0. */
  atol?: number;
}

/** A⁺ (n×m) for A (m×n). Singular values σ ≤ max(atol, rtol·σ_max) are dropped. */
export function pinv(a: Mat, options: PinvOptions = {}): Mat {
  const m = a.rows, n = a.cols;
  const atol = options.atol ?? 0;
  const rtol = options.rtol ?? (options.atol === undefined ? Math.max(m, n) * EPS : 0);
  if (!(atol >= 0) || !(rtol >= 0)) {
    throw new Error(`linalg.pinv: rtol and atol must be non-negative numbers, got rtol=${rtol}, atol=${atol}`);
  }
  const { U, S, Vh } = svd(a);
  const k = S.length;
  const cutoff = Math.max(atol, rtol * (k > 0 ? S[0] : 0));
  let kept = 0;
  while (kept < k && S[kept] > cutoff) kept++;
  // A⁺ᵀ = U_kept · diag(1/σ) · Vh_kept, built as m rows of n and transposed at the end.
  const plusT = new Float64Array(m * n);
  const u = U.data, vh = Vh.data;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let r = 0; r < kept; r++) {
      const coef = u[i * k + r] / S[r];
      if (coef === 0) continue;
      const vr = r * n;
      for (let j = 0; j < n; j++) plusT[row + j] += coef * vh[vr + j];
    }
  }
  const out = mat(n, m);
  transposeInto(plusT, m, n, out.data);
  return out;
}
