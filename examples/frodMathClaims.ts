/**
 * The numbers behind docs/frod-math.md's claims about rank, the basis, the rotational degrees and the
 * budget, computed with the library (printed by examples/frod-math.ts, checked by test/frod/mathDoc.test.ts).
 */
import {
  adaptedWeight, categoryProjection, decomposeWeight, Generator, linalg, loadSafetensors, prepareBasis, samplePattern,
  sparseNnz, tensor,
} from 'frod-ts';
import { fileURLToPath } from 'node:url';

type Mat = linalg.Mat;

/**
 * rank as torch.linalg.matrix_rank: singular values above max(m, n) · ε · σ_max (float64). For a difference
 * ΔW = W′ − W, pass `scale` = σ_max(W): the rounding in W′ is relative to W, not to the (smaller) ΔW, so the
 * cut-off is max(m, n) · ε · max(σ_max(ΔW), scale).
 */
export function rank(m: Mat, scale = 0): number {
  const s = Array.from(linalg.svdvals(tensor(m.data, { dtype: 'float64', shape: [m.rows, m.cols] })).data());
  const tol = Math.max(m.rows, m.cols) * 2 ** -52 * Math.max(scale, ...s);
  return s.filter((v) => v > tol).length;
}

/** σ_max(m), the spectral norm. */
function normOf(m: Mat): number {
  return linalg.svdvals(tensor(m.data, { dtype: 'float64', shape: [m.rows, m.cols] })).data()[0] ?? 0;
}

function minus(a: Mat, b: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v - b.data[i]) };
}

const rows3 = (r: number[][]): Mat => ({ rows: r.length, cols: r[0].length, data: Float64Array.from(r.flat()) });

/** The demo ViT's weight `name` as a float64 matrix. */
export function vitWeight(name: string): Mat {
  // The demo's pretrained ViT ships with the package (frod-ts/models/…), so this runs from any project.
  const { tensors } = loadSafetensors(fileURLToPath(import.meta.resolve('frod-ts/models/vit-mnist-0to4.safetensors')));
  const t = tensors[name];
  return { rows: t.shape[0], cols: t.shape[1], data: Float64Array.from(t.data()) };
}

/** Ranks of ΔW: the §4 example, and S alone / λ alone / both on the demo ViT's query layer 0 (the walkthrough's pattern). */
export function categoryRanks() {
  const w1 = rows3([[2, 0, 1], [0, 1, 0], [1, 0, 3]]);
  const w2 = rows3([[1, 1, 0], [0, 2, 1], [0, 0, 1]]);
  const v = categoryProjection([w1, w2], 1e-3).v;
  const { u, lambda } = decomposeWeight(prepareBasis(v), w1);
  const pattern = samplePattern(3, 0.34, 0, 'self_attn_q_proj');
  const trained = Array.from(lambda, (l, i) => l * [1.1, 0.9, 1][i]);
  const example = rank(minus(adaptedWeight(u, v, trained, pattern, [0.1, -0.2, 0.05]), w1), normOf(w1));

  const weights = [0, 1].map((i) => vitWeight(`vit.encoder.layer.${i}.attention.attention.query.weight`));
  const vv = categoryProjection(weights, 1e-3).v;
  const layer = decomposeWeight(prepareBasis(vv), weights[0]);
  const walk = samplePattern(64, 0.01, 0, 'attention_query');
  const g = new Generator('frod-math-ranks');
  const sValues = Array.from({ length: walk.nnz }, () => g.normal());
  const scaled = Array.from(layer.lambda, (l) => l * (1 + 0.1 * g.normal()));
  const base = adaptedWeight(layer.u, vv, layer.lambda, walk, new Float64Array(walk.nnz));
  return {
    example,
    walkthroughNnz: walk.nnz,
    sAlone: rank(minus(adaptedWeight(layer.u, vv, layer.lambda, walk, sValues), base), normOf(base)),
    lambdaAlone: rank(minus(adaptedWeight(layer.u, vv, scaled, walk, new Float64Array(walk.nnz)), base), normOf(base)),
    both: rank(minus(adaptedWeight(layer.u, vv, scaled, walk, sValues), base), normOf(base)),
    patternRows: new Set(walk.rows).size,
    patternCols: new Set(walk.cols).size,
  };
}

/** Σᵢ λᵢⱼ², μ against L/(1 + Lα), how far V is from orthogonal and U's columns from orthonormal, per example. */
export function qrEigBasisFacts(alpha = 1e-3) {
  const g = new Generator('frod-math-basis');
  const random = (r: number, c: number): Mat => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => g.normal()) });
  const cases: { label: string; weights: Mat[] }[] = [
    { label: 'one square layer (L = 1)', weights: [random(6, 6)] },
    { label: 'the §1 example (L = 2)', weights: [rows3([[2, 0, 1], [0, 1, 0], [1, 0, 3]]), rows3([[1, 1, 0], [0, 2, 1], [0, 0, 1]])] },
    { label: 'demo ViT query (L = 2, 64×64)', weights: [0, 1].map((i) => vitWeight(`vit.encoder.layer.${i}.attention.attention.query.weight`)) },
    { label: 'three random 8×8 layers (L = 3)', weights: [random(8, 8), random(8, 8), random(8, 8)] },
    { label: 'four random 4×8 layers, out < in (L = 4)', weights: [random(4, 8), random(4, 8), random(4, 8), random(4, 8)] },
  ];
  return cases.map(({ label, weights }) => {
    const projection = categoryProjection(weights, alpha);
    const basis = prepareBasis(projection.v);
    const n = projection.v.cols;
    const layers = weights.map((w) => decomposeWeight(basis, w));
    const shares = Array.from({ length: n }, (_, j) => layers.reduce((s, l) => s + l.lambda[j] ** 2, 0));
    const L = weights.length;
    const vtv = gram(projection.v);
    const utu = gram(layers[0].u);
    let vErr = 0, uNorm = 0, uCross = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        vErr = Math.max(vErr, Math.abs(vtv[i * n + j] - (i === j ? 1 : 0)));
        if (i === j) uNorm = Math.max(uNorm, Math.abs(Math.sqrt(utu[i * n + i]) - 1));
        else uCross = Math.max(uCross, Math.abs(utu[i * n + j]));
      }
    }
    return {
      label, path: projection.path, layers: L,
      maxShareError: Math.max(...shares.map((s) => Math.abs(s - 1))),
      minMu: Math.min(...projection.spectrum),
      muBound: L / (1 + L * alpha),
      vOrthogonalityError: vErr,
      uNormError: uNorm,
      uCrossMax: uCross,
      /** Whether some layer's QᵢᵀQᵢ is singular (out_i < in), so α alone keeps (QᵢᵀQᵢ + αI) invertible. */
      singularGram: weights.some((w) => w.rows < w.cols),
    };
  });
}

/** MᵀM of a row-major matrix, row-major (cols × cols). */
function gram(m: Mat): Float64Array {
  const n = m.cols;
  const out = new Float64Array(n * n);
  for (let r = 0; r < m.rows; r++) {
    for (let i = 0; i < n; i++) {
      const a = m.data[r * n + i];
      for (let j = 0; j < n; j++) out[i * n + j] += a * m.data[r * n + j];
    }
  }
  return out;
}

/**
 * The angle (degrees) by which an S entry tilts direction c toward u_r, atan(S[r,c]/λ_c), for the §4 example's
 * first pattern entry after "training" (λ scaled by 1.1, S[1,0] = 0.1); and layer 2's λ of the §1 example.
 */
export function tiltAndShares() {
  const w1 = rows3([[2, 0, 1], [0, 1, 0], [1, 0, 3]]);
  const w2 = rows3([[1, 1, 0], [0, 2, 1], [0, 0, 1]]);
  const basis = prepareBasis(categoryProjection([w1, w2], 1e-3).v);
  const l1 = decomposeWeight(basis, w1).lambda;
  const l2 = decomposeWeight(basis, w2).lambda;
  const pattern = samplePattern(3, 0.34, 0, 'self_attn_q_proj');
  const r = pattern.rows[0], c = pattern.cols[0], sValue = 0.1, lambdaC = l1[c] * [1.1, 0.9, 1][c];
  return { lambda1: l1, lambda2: l2, r, c, s: sValue, lambdaC, degrees: (Math.atan(sValue / lambdaC) * 180) / Math.PI };
}

/** FRoD's trainable values for one layer against LoRA, and what stays frozen, at sparse rate `rho`. */
export function budgetRow(inFeatures: number, outFeatures: number, rho: number) {
  const frod = inFeatures + sparseNnz(inFeatures, rho);
  return {
    inFeatures, outFeatures, frod,
    loraRank: frod / (inFeatures + outFeatures),
    frozenU: outFeatures * inFeatures,
    frozenV: inFeatures * inFeatures,
    /** Multiply-adds per input row: x·V (in²), the sparse S (nnz), the scale (in), ·Uᵀ (out·in). */
    forwardFlops: inFeatures * inFeatures + sparseNnz(inFeatures, rho) + inFeatures + outFeatures * inFeatures,
    baseFlops: outFeatures * inFeatures,
  };
}

/** A default checkpoint (save_projection: true): V per category against λ and S of every layer. */
export function checkpointShare(layers: number, inFeatures: number, categories: number, rho: number) {
  const v = categories * inFeatures * inFeatures;
  const trained = layers * categories * (inFeatures + sparseNnz(inFeatures, rho));
  return { v, trained, vFraction: v / (v + trained) };
}
