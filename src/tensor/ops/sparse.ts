/**
 * Sparse COO × dense: the product FRoD's S needs. `indices` is (2, nnz) int32 (rows, cols), `values` (nnz),
 * `size` [m, k], `dense` (k, n). Differentiable in the values and the dense operand:
 *   d/dvalues[t] = Σ_j g[rows[t], j] · dense[cols[t], j]     d/ddense = Sᵀ · g
 */
import { record } from '../../autograd/graph';
import { backendFor } from '../backend';
import { promoteTypes } from '../dtype';
import { formatShape } from '../shape';
import type { Tensor } from '../tensor';
import { castTo, checkSameDevice, denseStorage, fromStorage } from './util';

export function sparseMm(indices: Tensor, values: Tensor, size: readonly [number, number], dense: Tensor): Tensor {
  checkSameDevice('sparseMm', indices, values, dense);
  const [m, k] = size;
  if (indices.dtype !== 'int32' || indices.ndim !== 2 || indices.shape[0] !== 2) {
    throw new Error(`sparseMm: indices must be an int32 tensor of shape (2, nnz), got ${indices.dtype} ${formatShape(indices.shape)}`);
  }
  const nnz = indices.shape[1];
  if (values.ndim !== 1 || values.shape[0] !== nnz) {
    throw new Error(`sparseMm: values must have shape (${nnz}), got ${formatShape(values.shape)}`);
  }
  if (dense.ndim !== 2 || dense.shape[0] !== k) {
    throw new Error(`sparseMm: (${m},${k}) and ${formatShape(dense.shape)} cannot be multiplied`);
  }
  const rows = denseStorage(indices.select(0, 0));
  const cols = denseStorage(indices.select(0, 1));
  const common = promoteTypes(values.dtype, dense.dtype);
  const dtype = common === 'int32' ? 'float32' : common;
  const backend = backendFor(dense.device);
  const n = dense.shape[1];
  const vals = castTo(values, dtype);
  const mat = castTo(dense, dtype);
  const out = fromStorage(backend.sparseMm(rows, cols, denseStorage(vals), mat, m, n, dtype), [m, n]);
  return record(out, 'SparseMmBackward', [values, dense], (g) => {
    const gValues = values.requiresGrad
      ? fromStorage(backend.sampledDot(rows, cols, g, mat, dtype), [nnz]).to(values.dtype)
      : null;
    const gDense = dense.requiresGrad
      ? sparseMm(indices.flip(0), vals, [k, m], g).to(dense.dtype)
      : null;
    return [gValues, gDense];
  });
}
