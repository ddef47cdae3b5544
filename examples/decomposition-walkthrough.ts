/**
 * A walk through FRoD's decomposition of one layer, on the demo's pretrained ViT (models/vit-mnist-0to4).
 *
 *   npx tsx examples/decomposition-walkthrough.ts
 *
 * The `query` projections of the two encoder layers form one category ("attention_query"). FRoD computes one
 * basis V for the category, writes every layer as W = U diag(λ) Vᵀ, and trains only λ and a few
 * off-diagonal entries of S in W' = U (S + diag λ) Vᵀ. This script prints each step and checks it.
 */
import { fileURLToPath } from 'node:url';
import {
  adaptedWeight, categoryProjection, decomposeWeight, linalg, loadSafetensors, prepareBasis, samplePattern, sparseNnz, tensor,
} from 'frod-ts';

type Mat = linalg.Mat;
const PREFIX = 'vit.encoder.layer';
// The demo's pretrained ViT ships with the package (frod-ts/models/…), so this runs from any project.
const { tensors } = loadSafetensors(fileURLToPath(import.meta.resolve('frod-ts/models/vit-mnist-0to4.safetensors')));

/** A weight tensor as a float64 row-major matrix (the form FRoD's kernels take). */
function matOf(name: string): Mat {
  const t = tensors[name];
  return { rows: t.shape[0], cols: t.shape[1], data: Float64Array.from(t.data()) };
}

const maxAbs = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const show = (values: ArrayLike<number>, n = 6) => Array.from(values).slice(0, n).map((v) => v.toFixed(3)).join(', ');

// 1. The category: every layer's query weight, each (out, in) = (64, 64).
const weights = [0, 1].map((i) => matOf(`${PREFIX}.${i}.attention.attention.query.weight`));
console.log(`1. category attention_query: ${weights.length} weights of shape (${weights[0].rows}, ${weights[0].cols})`);

// 2. One basis V for the whole category. Stacked rows (128) ≥ in (64), so the "qr-eig" path:
//    M = [W_0; W_1] = QR, T = mean_i (Q_iᵀQ_i + αI)⁻¹ = E diag(μ) Eᵀ, V = Rᵀ E.
const projection = categoryProjection(weights, 1e-3);
console.log(`2. V: (${projection.v.rows}, ${projection.v.cols}) by the ${projection.path} path; first μ: ${show(projection.spectrum)}`);

// 3. Each layer in that basis: B = W V⁻ᵀ, λ = column norms of B, U = B with unit columns, so W = U diag(λ) Vᵀ.
const basis = prepareBasis(projection.v);
const layer0 = decomposeWeight(basis, weights[0]);
console.log(`3. layer 0: λ (${layer0.lambda.length},) starts ${show(layer0.lambda)}; U (${layer0.u.rows}, ${layer0.u.cols})`);

// 4. With S = 0 the adapted weight is the original: a fresh adapter does not change the model.
const pattern = samplePattern(64, 0.01, 0, 'attention_query');
const zeros = new Float64Array(pattern.nnz);
const rebuilt = adaptedWeight(layer0.u, projection.v, layer0.lambda, pattern, zeros);
console.log(`4. ‖U diag(λ) Vᵀ − W‖max = ${maxAbs(rebuilt.data, weights[0].data).toExponential(2)} (rounding only)`);

// 5. What trains: λ (64 values) and S on a sparse pattern shared by the category:
//    nnz = floor(in² · sparse_rate) = floor(4096 · 0.01) = 40 off-diagonal positions.
console.log(`5. sparse pattern: nnz = ${pattern.nnz} (= sparseNnz(64, 0.01) = ${sparseNnz(64, 0.01)}), first entries `
  + `${Array.from(pattern.rows.slice(0, 4), (r, i) => `(${r},${pattern.cols[i]})`).join(' ')}`);
console.log(`   trainable per layer: in + nnz = ${64 + pattern.nnz}, against in·out = ${64 * 64} for the full weight`);

// 6. A trained-looking adapter: λ scaled by 1 ± 5%, S small. The update ΔW = W' − W is full rank,
//    although only 104 numbers moved — the point of FRoD's rotational degrees.
const lambda = layer0.lambda.map((l, j) => l * (1 + 0.05 * Math.cos(j)));
const sValues = zeros.map((_, t) => 0.02 * Math.sin(t + 1));
const adapted = adaptedWeight(layer0.u, projection.v, lambda, pattern, sValues);
const delta = tensor(adapted.data.map((v, i) => v - weights[0].data[i]), { shape: [64, 64], dtype: 'float64' });
const singular = linalg.svdvals(delta).data();
const rank = Array.from(singular).filter((s) => s > singular[0] * 1e-10).length;
console.log(`6. ΔW = W' − W: rank ${rank} of 64; ‖ΔW‖ / ‖W‖ = ${(frob(delta.data()) / frob(weights[0].data)).toFixed(4)}`);

function frob(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}
