/**
 * Float64 matrix products of the FRoD set-up on the tensor engine's matmul (blocked, and WebAssembly where
 * available: about 10× the plain loops the small linear-algebra kernels use). The big products of the
 * projection and of U / λ — stacked Gram matrices, M·R⁻¹, per-layer Gram blocks, V⁻¹·Wᵀ — go through here.
 */
import { type Mat, mat } from '../linalg/kernels/mat';
import { type Tensor, tensor } from '../tensor';

function asTensor(a: Mat): Tensor {
  return tensor(a.data, { dtype: 'float64', shape: [a.rows, a.cols] });
}

function fromTensor(t: Tensor): Mat {
  return mat(t.shape[0], t.shape[1], Float64Array.from(t.data()));
}

/** op(A)·op(B) for row-major float64 matrices, where op transposes when asked. Inputs are not modified. */
export function gemm(a: Mat, b: Mat, transA = false, transB = false): Mat {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2) throw new Error(`gemm: (${m},${k}) and (${k2},${n}) cannot be multiplied`);
  if (m === 0 || n === 0 || k === 0) return mat(m, n);
  const left = transA ? asTensor(a).t() : asTensor(a);
  const right = transB ? asTensor(b).t() : asTensor(b);
  return fromTensor(left.matmul(right));
}

/** Rows r0…r1−1 of a row-major matrix, as a matrix sharing memory with it. */
export function rowBlock(a: Mat, r0: number, r1: number): Mat {
  return mat(r1 - r0, a.cols, a.data.subarray(r0 * a.cols, r1 * a.cols));
}
