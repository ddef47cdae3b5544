/**
 * docs/frod-math.md's claims about rank, the basis, the rotational degrees and the budget: each number is
 * recomputed with the library (examples/frodMathClaims.ts) and must appear in the doc as written there.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { budgetRow, categoryRanks, checkpointShare, qrEigBasisFacts, tiltAndShares } from '../../examples/frodMathClaims';

const doc = readFileSync('docs/frod-math.md', 'utf8');
const en = (n: number) => n.toLocaleString('en-US');
const mentions = (text: string) => assert.ok(doc.includes(text), `docs/frod-math.md should say ${JSON.stringify(text)}`);

test('rank of the update: 2 of 3 in §4, S alone 28 and λ alone 64 of 64 on the walkthrough pattern', () => {
  const r = categoryRanks();
  assert.is(r.example, 2);
  assert.is(r.walkthroughNnz, 40);
  assert.is(r.sAlone, 28);
  assert.is(r.lambdaAlone, 64);
  assert.is(r.both, 64);
  mentions(`**rank(W1' − W1) = ${r.example}** of 3`);
  mentions(`**rank ${r.sAlone}** of 64`);
  mentions(`**λ alone** gives **${r.lambdaAlone}** of 64`);
  mentions(`${r.walkthroughNnz} entries in ${r.patternRows} rows\n  and ${r.patternCols} columns`);
});

test('qr-eig basis: Σᵢ λᵢⱼ² = 1, μ ≥ L/(1+Lα), V not orthogonal, U orthonormal for L ≤ 2 only', () => {
  for (const f of qrEigBasisFacts()) {
    assert.is(f.path, 'qr-eig');
    assert.ok(f.maxShareError < 1e-12, `${f.label}: shares ${f.maxShareError}`);
    assert.ok(f.minMu >= f.muBound * (1 - 1e-12), `${f.label}: μ ${f.minMu} < ${f.muBound}`);
    assert.ok(f.uNormError < 1e-12, `${f.label}: unit columns`);
    if (f.layers <= 2) assert.ok(f.uCrossMax < 1e-6, `${f.label}: orthonormal U`);
    else assert.ok(f.uCrossMax > 0.5, `${f.label}: U not orthonormal`);
  }
  const [single, example, vit, three] = qrEigBasisFacts();
  assert.ok(Math.abs(single.minMu - single.muBound) < 1e-12, 'one layer: every direction perfectly shared, μ = L/(1+Lα)');
  assert.ok(example.vOrthogonalityError > 1, 'V is not orthogonal');
  mentions(`the bound is ${example.muBound.toFixed(4)}; the example's smallest μ is ${example.minMu.toFixed(4)}, the demo ViT's \`query\` category's\n  ${vit.minMu.toFixed(4)}`);
  mentions(`the largest entry of \`VᵀV − I\` is ${example.vOrthogonalityError.toFixed(2)}`);
  mentions(`an\ninner product of ${three.uCrossMax.toFixed(2)}`);
  assert.ok(qrEigBasisFacts().find((f) => f.singularGram)!.minMu > 0, 'out < in runs with α');
});

test('λ shares and the tilt of one S entry', () => {
  const t = tiltAndShares();
  mentions(`\`λ₂ = [${Array.from(t.lambda2, (v) => v.toFixed(4)).join(' ')}]\``);
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(t.lambda1[j] ** 2 + t.lambda2[j] ** 2 - 1) < 1e-12);
  assert.equal([t.r, t.c], [1, 0]);
  mentions(`trained \`λ₀\` is ${t.lambdaC.toFixed(4)})\ntoward \`u₁\` by atan(0.1 / ${t.lambdaC.toFixed(4)}) = ${t.degrees.toFixed(2)}°`);
});

test('budget against LoRA and the cost table', () => {
  const rows = [budgetRow(768, 768, 0.01), budgetRow(4096, 4096, 0.01), budgetRow(11008, 4096, 0.01)];
  assert.equal(rows.map((r) => r.frod), [6666, 171868, 1222768]);
  for (const r of rows) {
    mentions(`| ${en(r.frod)} | ${r.loraRank.toFixed(2)} | ${en(r.frozenU)} | ${en(r.frozenV)} | ${(r.forwardFlops / r.baseFlops).toFixed(2)}× |`);
  }
  const share = checkpointShare(12, 768, 2, 0.01);
  mentions(`${en(share.v)} values of \`V\` against ${en(share.trained)} trained ones — \`V\` is\n  ${(100 * share.vFraction).toFixed(1)}% of the file`);
});

test.run();
