/**
 * Fused layer-norm kernels on host arrays (the cpu fast path of F.layerNorm): one pass per row for the
 * forward, one for the backward, accumulating in float64. Rows are the leading dims flattened; each row has
 * `width` = ∏ normalizedShape values.
 */
import { allocArray, type DType, type TypedArray } from '../../tensor/dtype';

export interface LayerNormSaved {
  /** x̂ = (x − μ)·r per element. */
  xhat: Float64Array;
  /** r = 1/√(σ² + eps) per row. */
  rstd: Float64Array;
}

/** y = x̂·w + b row by row; returns y in `dtype` and what the backward needs. */
export function layerNormForward(
  x: TypedArray, rows: number, width: number, weight: TypedArray | null, bias: TypedArray | null, eps: number, dtype: DType,
): { y: TypedArray; saved: LayerNormSaved } {
  const y = allocArray(dtype, rows * width);
  const xhat = new Float64Array(rows * width);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let sum = 0;
    for (let j = 0; j < width; j++) sum += x[base + j];
    const mean = sum / width;
    let sq = 0;
    for (let j = 0; j < width; j++) {
      const c = x[base + j] - mean;
      sq += c * c;
    }
    const inv = 1 / Math.sqrt(sq / width + eps);
    rstd[r] = inv;
    for (let j = 0; j < width; j++) {
      const h = (x[base + j] - mean) * inv;
      xhat[base + j] = h;
      y[base + j] = (weight ? h * weight[j] : h) + (bias ? bias[j] : 0);
    }
  }
  return { y, saved: { xhat, rstd } };
}

/**
 * Gradients from g (rows × width): dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w; dw = Σ_rows g·x̂; db = Σ_rows g.
 */
export function layerNormBackward(
  g: TypedArray, saved: LayerNormSaved, rows: number, width: number, weight: TypedArray | null, dtype: DType,
): { gx: TypedArray; gw: TypedArray; gb: TypedArray } {
  const { xhat, rstd } = saved;
  const gx = allocArray(dtype, rows * width);
  const gw = new Float64Array(width);
  const gb = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let meanG = 0;
    let meanGX = 0;
    for (let j = 0; j < width; j++) {
      const gj = g[base + j];
      const gh = weight ? gj * weight[j] : gj;
      meanG += gh;
      meanGX += gh * xhat[base + j];
      gw[j] += gj * xhat[base + j];
      gb[j] += gj;
    }
    meanG /= width;
    meanGX /= width;
    const inv = rstd[r];
    for (let j = 0; j < width; j++) {
      const gh = weight ? g[base + j] * weight[j] : g[base + j];
      gx[base + j] = inv * (gh - meanG - xhat[base + j] * meanGX);
    }
  }
  const cast = (a: Float64Array) => {
    const out = allocArray(dtype, a.length);
    out.set(a);
    return out;
  };
  return { gx, gw: cast(gw), gb: cast(gb) };
}
