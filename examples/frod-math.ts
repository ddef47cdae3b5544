/**
 * Prints every intermediate quantity of FRoD on a tiny example, computed by the library itself: the numbers
 * in docs/frod-math.md come from this script (`npx tsx examples/frod-math.ts`).
 */
import {
  adaptedWeight, averagedInverseGram, categoryOf, categoryProjection, decomposeWeight, linalg, prepareBasis, samplePattern,
  sparseNnz, stackWeights, tallQr,
} from 'frod-ts';

// The float64 matrix kernels behind `linalg`, on plain row-major matrices { rows, cols, data }.
const { eigh, fromRows, mat, matmul, transpose } = linalg.kernels;
type Mat = linalg.Mat;

/** Rows r0..r1−1 of a matrix (a view: layer i's block of the stacked Q). */
const rowBlock = (a: Mat, r0: number, r1: number): Mat => mat(r1 - r0, a.cols, a.data.subarray(r0 * a.cols, r1 * a.cols));
import { budgetRow, categoryRanks, checkpointShare, qrEigBasisFacts, tiltAndShares } from './frodMathClaims.js';

const fmt = (x: number) => (Math.abs(x) < 5e-5 ? 0 : x).toFixed(4).padStart(8);
function show(name: string, m: Mat): void {
  console.log(`${name} (${m.rows}×${m.cols})`);
  for (let i = 0; i < m.rows; i++) console.log(`  [${Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), fmt).join(' ')} ]`);
}
const vec = (name: string, v: ArrayLike<number>) => console.log(`${name} = [${Array.from(v, fmt).join(' ')} ]`);

console.log('# Categories');
for (const path of ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj', 'encoder.layer.0.attention.output.dense', 'encoder.layer.0.output.dense']) {
  console.log(`  ${path} → ${categoryOf(path)}`);
}

console.log('\n# The shared basis (qr-eig path): two layers of the category "self_attn_q_proj"');
const w1 = fromRows([[2, 0, 1], [0, 1, 0], [1, 0, 3]]);
const w2 = fromRows([[1, 1, 0], [0, 2, 1], [0, 0, 1]]);
show('W1', w1);
show('W2', w2);
const m = stackWeights([w1, w2]);
const { Q, R } = tallQr(m);
show('R (M = Q R, M = [W1; W2])', R);
show('Q1 (rows of Q for layer 1)', rowBlock(Q, 0, 3));
show('Q1ᵀQ1', matmul(transpose(rowBlock(Q, 0, 3)), rowBlock(Q, 0, 3)));
show('Q2ᵀQ2', matmul(transpose(rowBlock(Q, 3, 6)), rowBlock(Q, 3, 6)));
const t = averagedInverseGram(Q, [3, 3], 1e-3);
show('T = ½[(Q1ᵀQ1 + αI)⁻¹ + (Q2ᵀQ2 + αI)⁻¹], α = 0.001', t);
const { eigenvalues, eigenvectors } = eigh(t);
vec('μ (ascending)', eigenvalues);
show('E', eigenvectors);
const projection = categoryProjection([w1, w2], 1e-3);
show('V = RᵀE, canonical signs (largest entry of each column positive)', projection.v);

console.log('\n# One layer in that basis: W1 = U diag(λ) Vᵀ');
const basis = prepareBasis(projection.v);
const { u, lambda } = decomposeWeight(basis, w1);
show('B = W1 V⁻ᵀ (solve V Bᵀ = W1ᵀ)', matmul(w1, transpose(basis.inverse)));
vec('λ (column norms of B)', lambda);
show('U (B with unit columns)', u);
const none = samplePattern(3, 0, 0, 'self_attn_q_proj');
show('U diag(λ) Vᵀ (= W1)', adaptedWeight(u, projection.v, lambda, none, []));

console.log('\n# The sparse rotation S');
const rate = 0.34;
const pattern = samplePattern(3, rate, 0, 'self_attn_q_proj');
console.log(`nnz = min(floor(3·3·${rate}), 3·2) = ${sparseNnz(3, rate)}; positions (row, col): ${Array.from(pattern.rows, (r, i) => `(${r}, ${pattern.cols[i]})`).join(' ')}`);
const trainedValues = [0.1, -0.2, 0.05];
const trainedLambda = Array.from(lambda, (l, i) => l * [1.1, 0.9, 1][i]);
vec('trained S values', trainedValues);
vec('trained λ', trainedLambda);
show('W1\' = U (S + diag λ) Vᵀ', adaptedWeight(u, projection.v, trainedLambda, pattern, trainedValues));
const x = fromRows([[1, -1, 0.5]]);
const z = matmul(x, projection.v);
vec('x', x.data);
vec('z = x V', z.data);
const zs = new Float64Array(3);
for (let k = 0; k < pattern.nnz; k++) zs[pattern.rows[k]] += trainedValues[k] * z.data[pattern.cols[k]];
vec('z Sᵀ', zs);
const h = fromRows([Array.from(zs, (s, j) => s + z.data[j] * trainedLambda[j])]);
vec('h = z Sᵀ + z ⊙ λ', h.data);
vec('y = h Uᵀ (bias left out)', matmul(h, transpose(u)).data);
vec('x W1\'ᵀ (the same)', matmul(x, transpose(adaptedWeight(u, projection.v, trainedLambda, pattern, trainedValues))).data);
console.log(`trainable per layer: in + nnz = 3 + ${pattern.nnz} = ${3 + pattern.nnz} (the full weight has 9)`);

console.log('\n# The svd path: one wide layer (2×3, fewer rows than columns)');
const wide = fromRows([[1, 2, 0], [0, 1, 1]]);
const svdProjection = categoryProjection([wide], 1e-3);
vec('singular values', svdProjection.spectrum);
show('V (all right singular vectors, descending)', svdProjection.v);
const split = decomposeWeight(prepareBasis(svdProjection.v), wide);
vec('λ (the null-space direction gets λ ≈ 0 and a zero column in U)', split.lambda);
show('U', split.u);

// ---------------------------------------------------------------------------------------------------------
// The claims docs/frod-math.md makes about rank, the basis, the rotational degrees and the budget, each
// computed here (test/frod/mathDoc.test.ts checks the same numbers).

console.log('\n# Rank of the update');
const ranks = categoryRanks();
console.log(`§4 example (λ₃ unchanged, pattern strictly lower triangular): rank(W1' − W1) = ${ranks.example} of 3`);
console.log(`demo ViT query layer 0, sparse_rate 0.01 (nnz ${ranks.walkthroughNnz}): S alone (random values) rank ${ranks.sAlone} of 64; λ alone rank ${ranks.lambdaAlone} of 64; both ${ranks.both}`);
console.log(`the pattern touches ${ranks.patternRows} distinct rows and ${ranks.patternCols} distinct columns of S`);

console.log('\n# The basis on the qr-eig path');
for (const facts of qrEigBasisFacts()) {
  console.log(`${facts.label}: max |Σᵢ λᵢⱼ² − 1| = ${facts.maxShareError.toExponential(1)}; min μⱼ = ${facts.minMu.toFixed(4)} ≥ L/(1+Lα) = ${facts.muBound.toFixed(4)}; `
    + `‖VᵀV − I‖max = ${facts.vOrthogonalityError.toFixed(3)}; U: unit columns (max |‖uⱼ‖ − 1| = ${facts.uNormError.toExponential(1)}), `
    + `max |uᵢᵀuⱼ| (i ≠ j) = ${facts.uCrossMax.toExponential(1)}`);
}

const tilt = tiltAndShares();
vec('λ of layer 2 (Σᵢ λᵢⱼ² = 1 with layer 1\'s)', tilt.lambda2);
console.log('\n# Rotational degrees: tilt of direction c toward u_r, atan(S[r,c]/λ_c)');
console.log(`S[${tilt.r},${tilt.c}] = ${tilt.s} with λ_${tilt.c} = ${tilt.lambdaC.toFixed(4)}: ${tilt.degrees.toFixed(2)}°`);

console.log('\n# Budget against LoRA (trainable values per layer: in + floor(ρ·in²); LoRA rank r trains r·(in + out))');
for (const row of [budgetRow(768, 768, 0.01), budgetRow(4096, 4096, 0.01), budgetRow(11008, 4096, 0.01)]) {
  console.log(`  in ${row.inFeatures}, out ${row.outFeatures}: FRoD ${row.frod.toLocaleString('en-US')} = LoRA rank ${row.loraRank.toFixed(2)}; `
    + `frozen U ${row.frozenU.toLocaleString('en-US')} (= W), V ${row.frozenV.toLocaleString('en-US')} per category; `
    + `forward multiply-adds per input row ${row.forwardFlops.toLocaleString('en-US')} vs base ${row.baseFlops.toLocaleString('en-US')} (${(row.forwardFlops / row.baseFlops).toFixed(2)}×)`);
}
const share = checkpointShare(12, 768, 2, 0.01);
console.log(`a BERT-base adapter on query, value (12 layers, 2 categories): V ${share.v.toLocaleString('en-US')} values, λ and S ${share.trained.toLocaleString('en-US')}: V is ${(100 * share.vFraction).toFixed(1)}% of the file`);
