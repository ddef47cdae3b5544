/**
 * Matrix products of the float64 kernels on the tensor engine's matmul (src/tensor/cpu/matmul.ts): blocked,
 * WebAssembly SIMD and, for large products, on several threads — with the same bits whatever the thread
 * count. Operands are {@link Mat}s or parts of them, read through strides, so transposes are never copied.
 * The symmetric and triangular forms (syrk, triangular operands) skip the work whose result is known: half
 * the flops of a plain product.
 */
import { type GemmOptions, gemm as engineGemm } from '../../tensor/cpu/matmul';
import { type Mat, mat } from './mat';

/** A strided view of (part of) a row-major buffer: entry (i, j) at data[offset + i·rowStride + j·colStride]. */
export interface MatView {
  data: Float64Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** The whole of `a` (transposed when `trans`) as a view. */
export function view(a: Mat, trans = false): MatView {
  return trans
    ? { data: a.data, offset: 0, rowStride: 1, colStride: a.cols }
    : { data: a.data, offset: 0, rowStride: a.cols, colStride: 1 };
}

/** Rows r0…, columns c0… of the row-major buffer `data` with `cols` columns (transposed when `trans`). */
export function subView(data: Float64Array, cols: number, r0: number, c0: number, trans = false): MatView {
  const offset = r0 * cols + c0;
  return trans ? { data, offset, rowStride: 1, colStride: cols } : { data, offset, rowStride: cols, colStride: 1 };
}

/**
 * out[outOffset + i·ldc + j] (+)= (A·B)[i][j] for the m×k view A and k×n view B (see GemmOptions: ldc,
 * accumulate, subtract, lowerOnly, triangular operands).
 */
export function gemmInto(
  a: MatView, b: MatView, m: number, k: number, n: number, out: Float64Array, outOffset = 0, options: GemmOptions = {},
): void {
  engineGemm(a, b, m, k, n, out, outOffset, 'float64', options);
}

/** op(A)·op(B) as a new matrix, op transposing when asked. */
export function matmulT(a: Mat, b: Mat, transA = false, transB = false, options: GemmOptions = {}): Mat {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2) throw new Error(`matmul: (${m},${k}) and (${k2},${n}) cannot be multiplied`);
  const out = mat(m, n);
  gemmInto(view(a, transA), view(b, transB), m, k, n, out.data, 0, options);
  return out;
}

/** Copies the lower triangle of the square row-major n×n buffer onto its upper triangle. */
export function mirrorLower(x: Float64Array, n: number): void {
  // 8×8 blocks written as runs of consecutive values, as transposeInto (mat.ts) does, for the same reason.
  const tile = 8;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(i0 + tile, n);
    for (let j0 = 0; j0 <= i0; j0 += tile) {
      const j1 = Math.min(j0 + tile, i1);
      for (let j = j0; j < j1; j++) {
        const upperRow = j * n;
        for (let i = Math.max(i0, j + 1); i < i1; i++) x[upperRow + i] = x[i * n + j];
      }
    }
  }
}

/**
 * The Gram matrix AᵀA (n×n for an m×n A; `trans` false gives AAᵀ), computed on its lower triangle and
 * mirrored, so it is exactly symmetric. Half the flops of a plain product.
 */
export function syrk(a: Mat, transposeFirst = true): Mat {
  const n = transposeFirst ? a.cols : a.rows;
  const k = transposeFirst ? a.rows : a.cols;
  const out = mat(n, n);
  gemmInto(view(a, transposeFirst), view(a, !transposeFirst), n, k, n, out.data, 0, { lowerOnly: true });
  mirrorLower(out.data, n);
  return out;
}
