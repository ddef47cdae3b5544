/**
 * Back-transformation of the tridiagonal route: the eigenvectors of A are Q·z for the eigenvectors z of
 * T = QᵀAQ. Q's reflectors are applied a block at a time in compact WY form, B = I − V·T_b·Vᵀ (built by
 * blockReflector.ts), and each block costs two matrix products through gemm: all but a sliver of the
 * 2n³ flops of this step run at gemm speed.
 *
 * Vectors are stored as rows (row i of the row-major k×n `y` is one vector of length n) because that is
 * how the tridiagonal solvers produce them (contiguous rows make their rotations cheap). For a row y,
 * B·yᵀ is y·Bᵀ = y − (y·V)·T_bᵀ·Vᵀ.
 */
import { gemm } from '../../tensor/cpu/matmul';
import { buildBlockReflector, reflectorScratch } from './blockReflector';
import { transposeInto } from './mat';
import type { Tridiagonal } from './tridiagonal';

/**
 * Reflectors per block: gemm's inner dimension in the products, so not too narrow. Measured at n = 2048
 * on both threads (loaded machine): 64 reflectors × 256 rows per pass 1.15–1.35 s, 128 × 1024 0.82–0.91 s;
 * 96, 192 and 256 no better than 128, 32 slower (1.34–1.38 s).
 */
const BLOCK = 128;
/** Vectors transformed per pass: bounds the ROWS × width products P and P·T_bᵀ. */
const ROWS = 1024;

/** Replaces each row y of the row-major k×n `y` by (Q·yᵀ)ᵀ, Q = H₀H₁…H_{n−2} from `tri`. */
export function applyTridiagonalQ(tri: Tridiagonal, y: Float64Array, k: number): void {
  const { n, reflectors, taus } = tri;
  if (n < 3) return; // H_{n−2} acts on one entry only and is the identity (τ = 0).
  // Q = B₀B₁…: the last block acts first. Reflector columns 1…n−2 (column n−1 is a trivial reflector).
  const last = n - 2;
  const firstBlock = 1 + Math.floor((last - 1) / BLOCK) * BLOCK;
  const p = new Float64Array(Math.min(ROWS, k) * (BLOCK + 4));
  const pt = new Float64Array(p.length);
  const vRows = new Float64Array(n * (BLOCK + 4));
  const scratch = reflectorScratch(n, BLOCK, 0);
  for (let j0 = firstBlock; j0 >= 1; j0 -= BLOCK) {
    const j1 = Math.min(j0 + BLOCK, last + 1);
    const br = buildBlockReflector(reflectors, taus, n, j0, j1, scratch);
    const { len, width, v, t, rowOff } = br;
    // V row-major (len × width) as well: the layout gemm packs fastest as its right operand.
    transposeInto(v, width, len, vRows);
    for (let r0 = 0; r0 < k; r0 += ROWS) {
      const rows = Math.min(ROWS, k - r0);
      // P = Y[r0…, rowOff…]·V  (rows × width)
      gemm(
        { data: y, offset: r0 * n + rowOff, rowStride: n, colStride: 1 },
        { data: vRows, offset: 0, rowStride: width, colStride: 1 },
        rows, len, width, p, 0, 'float64',
      );
      // P·T_bᵀ (T_b upper triangular, row-major width × width)
      gemm(
        { data: p, offset: 0, rowStride: width, colStride: 1 },
        { data: t, offset: 0, rowStride: 1, colStride: width },
        rows, width, width, pt, 0, 'float64',
      );
      // Y[r0…, rowOff…] −= (P·T_bᵀ)·Vᵀ, accumulated by gemm in place
      gemm(
        { data: pt, offset: 0, rowStride: width, colStride: 1 },
        { data: v, offset: 0, rowStride: len, colStride: 1 },
        rows, width, len, y, r0 * n + rowOff, 'float64', { ldc: n, accumulate: true, subtract: true },
      );
    }
  }
}
