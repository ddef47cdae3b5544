/**
 * Compact WY block reflectors: the product of a panel of Householder reflectors written as
 * H₀H₁…H_{b−1} = I − V·T·Vᵀ (V unit lower trapezoidal, T upper triangular, as in LAPACK's dlarft).
 *
 * Applying a whole panel this way turns b rank-1 updates into two matrix products, W = Vᵀ·C and
 * C −= V·(T·W). Their inner loops combine four columns of V with two (for W) or four (for the update)
 * columns of C in each pass over memory. That register blocking is what makes a blocked QR faster
 * than the plain one in JavaScript, where there is no SIMD and every load counts.
 */

/** A panel of reflectors in explicit form, ready to apply to rows `rowOff…rowOff+len−1` of a target. */
export interface BlockReflector {
  /** First row the reflectors touch (the panel's first column index). */
  rowOff: number;
  /** Rows touched: m − rowOff. */
  len: number;
  /** Number of reflector columns, padded up to a multiple of 4 with zero columns. */
  width: number;
  /** Column-major len×width: column j is v_j with its implicit zeros and leading 1 written out. */
  v: Float64Array;
  /** Row-major width×width upper triangular T. */
  t: Float64Array;
}

/**
 * Builds V and T for reflectors j0…j1−1 stored LAPACK-style in the column-major `work` (m rows).
 */
export function buildBlockReflector(
  work: Float64Array, taus: Float64Array, m: number, j0: number, j1: number,
): BlockReflector {
  const len = m - j0;
  const count = j1 - j0;
  const width = (count + 3) & ~3;
  const v = new Float64Array(len * width);
  for (let jj = 0; jj < count; jj++) {
    const src = (j0 + jj) * m + j0;
    const dst = jj * len;
    v[dst + jj] = 1;
    for (let r = jj + 1; r < len; r++) v[dst + r] = work[src + r];
  }
  const t = new Float64Array(width * width);
  const z = new Float64Array(width);
  for (let i = 0; i < count; i++) {
    const tau = taus[j0 + i];
    t[i * width + i] = tau;
    if (tau === 0) continue;
    // z_s = v_sᵀ v_i for s < i (v_i is zero above row i, so the dot starts there).
    const vi = i * len;
    for (let s = 0; s < i; s++) {
      const vs = s * len;
      let dot = 0;
      for (let r = i; r < len; r++) dot += v[vs + r] * v[vi + r];
      z[s] = dot;
    }
    // T[0:i, i] = −τ_i · T[0:i, 0:i] · z
    for (let r = 0; r < i; r++) {
      let acc = 0;
      for (let s = r; s < i; s++) acc += t[r * width + s] * z[s];
      t[r * width + i] = -tau * acc;
    }
  }
  return { rowOff: j0, len, width, v, t };
}

/** Target columns handled per chunk: their slice of W (width × CHUNK) stays tiny. */
const CHUNK = 16;
/** Rows per tile in the two products: a tile of V (width columns) plus one of C fits in L1/L2. */
const ROW_TILE = 512;

/**
 * C ← (I − V·op(T)·Vᵀ)·C on columns c0…c1−1 of the column-major `target` (m rows), where op(T) is Tᵀ
 * when `transposeT` (applying Qᵀ of the panel, as the factorization does) and T otherwise (applying
 * Q, as when Q is formed).
 */
export function applyBlockReflector(
  br: BlockReflector, transposeT: boolean, target: Float64Array, m: number, c0: number, c1: number,
): void {
  const w = new Float64Array(br.width * CHUNK);
  const tw = new Float64Array(br.width * CHUNK);
  for (let cs = c0; cs < c1; cs += CHUNK) {
    const count = Math.min(CHUNK, c1 - cs);
    projectOntoV(br, target, m, cs, count, w);
    multiplyByT(br, transposeT, w, count, tw);
    subtractVTimes(br, target, m, cs, count, tw);
  }
}

/** W (width × CHUNK, row-major) = Vᵀ · C[rows, cs…cs+count−1], four reflectors × two columns at a time. */
function projectOntoV(br: BlockReflector, c: Float64Array, m: number, cs: number, count: number, w: Float64Array): void {
  const { v, len, width, rowOff } = br;
  w.fill(0);
  // Rows are taken in tiles so that the tile of V and of C stays in the first-level caches.
  for (let r0 = 0; r0 < len; r0 += ROW_TILE) {
    const r1 = Math.min(r0 + ROW_TILE, len);
    for (let j = 0; j < width; j += 4) {
      const v0 = j * len, v1 = v0 + len, v2 = v1 + len, v3 = v2 + len;
      const o = j * CHUNK;
      let col = 0;
      for (; col + 1 < count; col += 2) {
        const x0 = (cs + col) * m + rowOff, x1 = x0 + m;
        let a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a30 = 0, a31 = 0;
        for (let r = r0; r < r1; r++) {
          const p = c[x0 + r], q = c[x1 + r];
          const y0 = v[v0 + r], y1 = v[v1 + r], y2 = v[v2 + r], y3 = v[v3 + r];
          a00 += y0 * p; a01 += y0 * q;
          a10 += y1 * p; a11 += y1 * q;
          a20 += y2 * p; a21 += y2 * q;
          a30 += y3 * p; a31 += y3 * q;
        }
        w[o + col] += a00; w[o + col + 1] += a01;
        w[o + CHUNK + col] += a10; w[o + CHUNK + col + 1] += a11;
        w[o + 2 * CHUNK + col] += a20; w[o + 2 * CHUNK + col + 1] += a21;
        w[o + 3 * CHUNK + col] += a30; w[o + 3 * CHUNK + col + 1] += a31;
      }
      if (col < count) {
        const x0 = (cs + col) * m + rowOff;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let r = r0; r < r1; r++) {
          const p = c[x0 + r];
          a0 += v[v0 + r] * p; a1 += v[v1 + r] * p; a2 += v[v2 + r] * p; a3 += v[v3 + r] * p;
        }
        w[o + col] += a0; w[o + CHUNK + col] += a1; w[o + 2 * CHUNK + col] += a2; w[o + 3 * CHUNK + col] += a3;
      }
    }
  }
}

/** out = op(T)·W for the first `count` columns (T upper triangular, so op(T)·W is a short triangular loop). */
function multiplyByT(br: BlockReflector, transposeT: boolean, w: Float64Array, count: number, out: Float64Array): void {
  const { t, width } = br;
  for (let i = 0; i < width; i++) {
    const lo = transposeT ? 0 : i;
    const hi = transposeT ? i + 1 : width;
    for (let col = 0; col < count; col++) {
      let acc = 0;
      for (let s = lo; s < hi; s++) {
        const tis = transposeT ? t[s * width + i] : t[i * width + s];
        acc += tis * w[s * CHUNK + col];
      }
      out[i * CHUNK + col] = acc;
    }
  }
}

/** C[rows, cs…] −= V · TW, four reflectors × four columns per pass, in row tiles. */
function subtractVTimes(br: BlockReflector, c: Float64Array, m: number, cs: number, count: number, tw: Float64Array): void {
  const { v, len, width, rowOff } = br;
  for (let r0 = 0; r0 < len; r0 += ROW_TILE) {
    const r1 = Math.min(r0 + ROW_TILE, len);
    let col = 0;
    for (; col + 3 < count; col += 4) {
      const x0 = (cs + col) * m + rowOff, x1 = x0 + m, x2 = x1 + m, x3 = x2 + m;
      for (let j = 0; j < width; j += 4) {
        const v0 = j * len, v1 = v0 + len, v2 = v1 + len, v3 = v2 + len;
        const o = j * CHUNK + col;
        const w00 = tw[o], w01 = tw[o + 1], w02 = tw[o + 2], w03 = tw[o + 3];
        const w10 = tw[o + CHUNK], w11 = tw[o + CHUNK + 1], w12 = tw[o + CHUNK + 2], w13 = tw[o + CHUNK + 3];
        const w20 = tw[o + 2 * CHUNK], w21 = tw[o + 2 * CHUNK + 1], w22 = tw[o + 2 * CHUNK + 2], w23 = tw[o + 2 * CHUNK + 3];
        const w30 = tw[o + 3 * CHUNK], w31 = tw[o + 3 * CHUNK + 1], w32 = tw[o + 3 * CHUNK + 2], w33 = tw[o + 3 * CHUNK + 3];
        for (let r = r0; r < r1; r++) {
          const y0 = v[v0 + r], y1 = v[v1 + r], y2 = v[v2 + r], y3 = v[v3 + r];
          c[x0 + r] -= y0 * w00 + y1 * w10 + y2 * w20 + y3 * w30;
          c[x1 + r] -= y0 * w01 + y1 * w11 + y2 * w21 + y3 * w31;
          c[x2 + r] -= y0 * w02 + y1 * w12 + y2 * w22 + y3 * w32;
          c[x3 + r] -= y0 * w03 + y1 * w13 + y2 * w23 + y3 * w33;
        }
      }
    }
    for (; col < count; col++) {
      const x0 = (cs + col) * m + rowOff;
      for (let j = 0; j < width; j += 4) {
        const v0 = j * len, v1 = v0 + len, v2 = v1 + len, v3 = v2 + len;
        const o = j * CHUNK + col;
        const w0 = tw[o], w1 = tw[o + CHUNK], w2 = tw[o + 2 * CHUNK], w3 = tw[o + 3 * CHUNK];
        for (let r = r0; r < r1; r++) {
          c[x0 + r] -= v[v0 + r] * w0 + v[v1 + r] * w1 + v[v2 + r] * w2 + v[v3 + r] * w3;
        }
      }
    }
  }
}
