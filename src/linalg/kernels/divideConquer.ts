import { tridiagonalQl } from './tridiagonalQl';
export function divideAndConquer(d: Float64Array, e: Float64Array): { values: Float64Array; vectors: Float64Array } {
  const n = d.length;
  const values = d.slice();
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
  tridiagonalQl(values, e.slice(), n, vectors, n);
  return { values, vectors };
}
