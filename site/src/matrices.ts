/** Small glue between tensors and FRoD's float64 matrices, and the one measure the page adds: numerical rank. */
import { linalg, tensor, type Tensor } from 'frod-ts';

/** A row-major float64 matrix, the form FRoD's decomposition functions take. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A 2-D tensor as a float64 matrix. */
export function matOf(t: Tensor): Mat {
  return { rows: t.shape[0], cols: t.shape[1], data: Float64Array.from(t.data()) };
}

/** The largest |a − b| over two equal-length arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Singular values (descending) and rank as torch.linalg.matrix_rank counts it: above max(m, n) · ε · σ_max. */
export function rankOf(m: Mat): { rank: number; singularValues: Float64Array; tolerance: number } {
  const singularValues = Float64Array.from(linalg.svdvals(tensor(m.data, { dtype: 'float64', shape: [m.rows, m.cols] })).data());
  const tolerance = Math.max(m.rows, m.cols) * 2 ** -52 * (singularValues[0] ?? 0);
  return { rank: singularValues.filter((s) => s > tolerance).length, singularValues, tolerance };
}

/** Formats a number for the page: 4 significant digits, exponent form for small and large values. */
export function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e5 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}
