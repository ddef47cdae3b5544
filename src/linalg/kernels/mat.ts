/**
 * The dense float64 matrix the linear-algebra kernels work on, and the small helpers they share.
 *
 * A `Mat` is row-major: entry (i, j) lives at `data[i * cols + j]`. Kernels never write into the
 * matrices they are given; they copy first (often into column-major order, so that the hot inner
 * loops of column algorithms run over contiguous memory).
 */

/** A dense row-major float64 matrix: entry (i, j) is `data[i * cols + j]`. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Machine epsilon of float64 (2^-52). */
export const EPS = 2.220446049250313e-16;

/** A rows×cols matrix; zero-filled unless `data` (length rows·cols, taken as is) is given. */
export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  if (data && data.length !== rows * cols) {
    throw new Error(`mat: data of length ${data.length} does not fit a ${rows}×${cols} matrix`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

/** A matrix from nested arrays (rows of equal length); handy in tests and examples. */
export function fromRows(rows: readonly (readonly number[])[]): Mat {
  const m = rows.length;
  const n = m === 0 ? 0 : rows[0].length;
  const out = mat(m, n);
  for (let i = 0; i < m; i++) {
    if (rows[i].length !== n) throw new Error(`fromRows: row ${i} has ${rows[i].length} entries, expected ${n}`);
    out.data.set(rows[i], i * n);
  }
  return out;
}

/** The matrix as nested arrays of rows. */
export function toRows(a: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

/** The n×n identity, or the rows×cols matrix with ones on its main diagonal. */
export function identity(rows: number, cols = rows): Mat {
  const out = mat(rows, cols);
  const k = Math.min(rows, cols);
  for (let i = 0; i < k; i++) out.data[i * cols + i] = 1;
  return out;
}

/** A copy that shares nothing with `a`. */
export function clone(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** Transpose of a rows×cols row-major buffer into a cols×rows one, in 8×8 blocks. */
export function transposeInto(src: Float64Array, rows: number, cols: number, dst: Float64Array): void {
  // 8×8 blocks, each written as 8 runs of 8 consecutive values (one cache line each). Writing down dst's
  // columns instead (stride `rows`, often a power of two) sends every write of a block to one cache set, which
  // made this copy 3–10× slower on tall matrices.
  const tile = 8;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(i0 + tile, rows);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(j0 + tile, cols);
      for (let j = j0; j < j1; j++) {
        const colOff = j * rows;
        for (let i = i0, s = i0 * cols + j; i < i1; i++, s += cols) dst[colOff + i] = src[s];
      }
    }
  }
}

/** Aᵀ as a new matrix. */
export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  transposeInto(a.data, a.rows, a.cols, out.data);
  return out;
}

/** C = A·B (A is m×k, B is k×n). The i-k-j loop order keeps the inner loop contiguous in B and C. */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) {
    throw new Error(`matmul: (${a.rows},${a.cols}) and (${b.rows},${b.cols}) cannot be multiplied`);
  }
  const m = a.rows, k = a.cols, n = b.cols;
  const out = mat(m, n);
  const A = a.data, B = b.data, C = out.data;
  for (let i = 0; i < m; i++) {
    const cOff = i * n;
    const aOff = i * k;
    for (let p = 0; p < k; p++) {
      const aip = A[aOff + p];
      if (aip === 0) continue;
      const bOff = p * n;
      for (let j = 0; j < n; j++) C[cOff + j] += aip * B[bOff + j];
    }
  }
  return out;
}

/** Frobenius norm ‖A‖_F, scaled so that huge or tiny entries neither overflow nor underflow. */
export function frobeniusNorm(a: Mat): number {
  return norm2(a.data, 0, a.data.length);
}

/**
 * Euclidean norm of `len` contiguous entries of `x` starting at `off`. The plain sum of squares is
 * used when it is safely representable; otherwise the entries are rescaled by their largest magnitude.
 */
export function norm2(x: Float64Array, off: number, len: number): number {
  let sum = 0;
  const end = off + len;
  for (let i = off; i < end; i++) sum += x[i] * x[i];
  if (sum > 1e-290 && sum < 1e290) return Math.sqrt(sum);
  let scale = 0;
  for (let i = off; i < end; i++) scale = Math.max(scale, Math.abs(x[i]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let scaled = 0;
  for (let i = off; i < end; i++) {
    const r = x[i] / scale;
    scaled += r * r;
  }
  return scale * Math.sqrt(scaled);
}

/** Largest |entry| (the max norm); 0 for an empty matrix. */
export function maxAbs(a: Mat): number {
  let best = 0;
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    const v = Math.abs(d[i]);
    if (v > best) best = v;
  }
  return best;
}

/** `(rows,cols)` as PyTorch prints shapes, for error messages. */
export function shapeText(a: Mat): string {
  return `(${a.rows},${a.cols})`;
}

/** Throws `<fn>: expected a square matrix, got shape (m,n)` unless `a` is square. */
export function assertSquare(a: Mat, fn: string): void {
  if (a.rows !== a.cols) throw new Error(`${fn}: expected a square matrix, got shape ${shapeText(a)}`);
}

/**
 * A power of two s with s·maxAbsValue near 1 (1 when maxAbsValue is 0 or not finite). Multiplying
 * by a power of two is exact, so kernels can rescale their input to dodge overflow and underflow
 * without changing any digit of the result.
 */
export function powerOfTwoScale(maxAbsValue: number): number {
  if (!(maxAbsValue > 0) || !Number.isFinite(maxAbsValue)) return 1;
  return 2 ** -Math.round(Math.log2(maxAbsValue));
}
