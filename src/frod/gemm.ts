/**
 * Float64 matrix products of the FRoD set-up on the tensor engine's matmul (blocked, WebAssembly SIMD where
 * available and on several threads for large products, with the same bits whatever the thread count). The
 * big products of the projection and of U / λ — stacked Gram matrices, M·R⁻¹, per-layer Gram blocks,
 * V⁻¹·Wᵀ — go through here. Operands are read in place through strides (src/linalg/kernels/blas.ts), so a
 * transposed operand is never copied and the result is the only new buffer.
 */
import { matmulT } from '../linalg/kernels/blas';
import { type Mat, mat } from '../linalg/kernels/mat';

/** op(A)·op(B) for row-major float64 matrices, where op transposes when asked. Inputs are not modified. */
export function gemm(a: Mat, b: Mat, transA = false, transB = false): Mat {
  return matmulT(a, b, transA, transB);
}

/** Rows r0…r1−1 of a row-major matrix, as a matrix sharing memory with it. */
export function rowBlock(a: Mat, r0: number, r1: number): Mat {
  return mat(r1 - r0, a.cols, a.data.subarray(r0 * a.cols, r1 * a.cols));
}
