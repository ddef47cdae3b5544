/**
 * The expected results of a fresh adapter (step "init" of the protocol): which modules are adapted, the
 * keys its file would hold, V and the pattern per category, λ and U·diag(λ) per module, the merged weight
 * (= W at init) and the forward of every module — each with the rule that fits how determined it is.
 */
import { type Mat, matmul, transpose } from '../linalg/kernels';
import { groupByCategory } from '../frod/categories';
import { FrodConfig } from '../frod/config';
import { lambdaKey, projectionKey, sIndicesKey, sSizeKey, sValuesKey } from '../frod/keys';
import { type SparsePattern, samplePattern } from '../frod/pattern';
import { selectTargets } from '../peft/targets';
import type { AdapterSpec } from './cases';
import type { CaseContext } from './caseContext';
import { patternIndices, peftPatterns } from './patterns';
import {
  type LayerFactors, type ReferenceBasis, absolute, affine, largest, mergedMagnitude,
  referenceBasis, referenceDecomposition,
} from './reference';

/** One category of one adapter, as both stages need it. */
export interface CategoryInfo {
  readonly name: string;
  readonly paths: readonly string[];
  readonly basis: ReferenceBasis;
  /** frod-ts's pattern: the one the trained adapter carries. */
  readonly pattern: SparsePattern;
}

/** What the trained stage reuses from the init stage of an adapter. */
export interface AdapterInfo {
  readonly name: string;
  readonly config: FrodConfig;
  readonly targets: readonly string[];
  readonly categories: readonly CategoryInfo[];
}

/** The keys of the adapter file PEFT saves for these targets and config. */
export function savedKeys(ctx: CaseContext, config: FrodConfig, targets: readonly string[], categories: readonly string[]): string[] {
  const keys = targets.flatMap((p) => [lambdaKey(p), sValuesKey(p)]);
  if (config.saveProjection) keys.push(...categories.flatMap((c) => [projectionKey(c), sIndicesKey(c), sSizeKey(c)]));
  const adapted = new Set(targets);
  for (const path of ctx.biases.keys()) {
    if (config.bias === 'all' || (config.bias === 'frod_only' && adapted.has(path))) {
      keys.push(`base_model.model.${path}${adapted.has(path) ? '.base_layer' : ''}.bias`);
    }
  }
  return keys.sort();
}

/** Columns of B whose norms (λ) are determined: alone in their cluster, or in a cluster where BᵀB ∝ I. */
function determinedColumns(b: Mat, clusters: readonly (readonly number[])[]): Set<number> {
  const out = new Set<number>();
  const n = b.cols;
  for (const cluster of clusters) {
    const g = cluster.map((i) => cluster.map((j) => {
      let sum = 0;
      for (let r = 0; r < b.rows; r++) sum += b.data[r * n + i] * b.data[r * n + j];
      return sum;
    }));
    const mean = cluster.reduce((s, _, k) => s + g[k][k], 0) / cluster.length;
    const spread = Math.max(...g.flat().map(Math.abs), Number.MIN_VALUE);
    const isotropic = g.every((row, i) => row.every((x, j) => Math.abs(x - (i === j ? mean : 0)) <= 1e-8 * spread));
    if (cluster.length === 1 || isotropic) cluster.forEach((j) => out.add(j));
  }
  return out;
}

function basisChecks(ctx: CaseContext, prefix: string, category: CategoryInfo, peft: SparsePattern): void {
  const { v, spectrum } = category.basis;
  const n = v.cols;
  const output = `${prefix}/V/${category.name}`;
  if (spectrum.singular || spectrum.arbitrary) {
    const gram = matmul(v, transpose(v));
    ctx.expect(output, v.data, [n, n]);
    ctx.check({
      output, expected: output, rule: 'gram', what: `V of ${category.name} (only V·Vᵀ is determined)`,
      scale: Math.max(...Array.from({ length: n }, (_, i) => gram.data[i * n + i])), ...ctx.tolerances('basis', 1, 4),
    });
  } else {
    const colNorms = Array.from({ length: n }, (_, j) => Math.hypot(...Array.from({ length: n }, (_, i) => v.data[i * n + j])));
    const simple = spectrum.clusters.every((c) => c.length === 1);
    ctx.check({
      output, expected: output, rule: simple ? 'columns-up-to-sign' : 'subspace', what: `V of ${category.name}`,
      scale: Math.max(...colNorms), clusters: spectrum.clusters, ...ctx.tolerances('basis', Array.from(spectrum.condition), 4),
    }, v.data, [n, n]);
  }
  const pattern = `${prefix}/pattern/${category.name}`;
  ctx.expect(`${pattern}@peft`, patternIndices(peft), [2, peft.nnz], true);
  ctx.expect(`${pattern}@frod-ts`, patternIndices(category.pattern), [2, category.pattern.nnz], true);
  ctx.check({
    output: pattern, rule: 'pattern', what: `pattern of ${category.name}`, inFeatures: n, nnz: peft.nnz,
    expected: { 'peft': `${pattern}@peft`, 'frod-ts': `${pattern}@frod-ts` },
  });
}

function layerChecks(ctx: CaseContext, prefix: string, category: CategoryInfo, path: string): void {
  const { v, spectrum } = category.basis;
  const w = ctx.weights.get(path) as Mat;
  const { b, lambda, u } = referenceDecomposition(v, w);
  const factors: LayerFactors = { u, v, lambda, pattern: { rows: new Int32Array(0), cols: new Int32Array(0), nnz: 0, size: v.cols }, sValues: new Float64Array(0) };
  if (spectrum.singular) {
    ctx.notChecked.push(`${prefix}/lambda/${path} and ${prefix}/U_lambda/${path}: V is singular (rank-deficient stack), so B = W·pinv(V)ᵀ depends on the V chosen`);
  } else {
    const condition = spectrum.kappa * Math.max(...spectrum.condition);
    const tolerances = ctx.tolerances('basis', condition, 8 * spectrum.kappa);
    const clusters = spectrum.arbitrary ? [Array.from({ length: v.cols }, (_, j) => j)] : spectrum.clusters;
    const determined = determinedColumns(b, clusters);
    const excluded = Array.from({ length: v.cols }, (_, j) => j).filter((j) => !determined.has(j));
    ctx.check({
      output: `${prefix}/lambda/${path}`, expected: `${prefix}/lambda/${path}`, rule: 'direct', what: `λ of ${path}`,
      scale: largest(lambda), ...tolerances,
      ...(excluded.length ? { exclude: { indices: excluded, why: 'columns in a cluster of T\'s eigenvalues: their norms depend on the basis chosen inside it' } } : {}),
    }, lambda, [v.cols]);
    ctx.check({
      output: `${prefix}/U_lambda/${path}`, expected: `${prefix}/U_lambda/${path}`, rule: 'aligned-with-basis',
      what: `U·diag(λ) of ${path}`, alignWith: `${prefix}/V/${category.name}`, scale: largest(lambda), ...tolerances,
    }, b.data, [b.rows, b.cols]);
  }
  const stored = ctx.storedWeight(path);
  ctx.check({
    output: `${prefix}/merged/${path}`, expected: `${prefix}/merged/${path}`, rule: 'direct', what: `W′ of ${path} at init (= W)`,
    scale: largest(mergedMagnitude(factors)), ...ctx.tolerances('direct'),
  }, stored.data, [stored.rows, stored.cols]);
  forwardCheck(ctx, prefix, path, w, mergedMagnitude(factors), ctx.biases.get(path) ?? null, 'at init (= the base forward)');
}

/**
 * The forward of one module on its input: y = x·W′ᵀ + b for the effective weight `weight` (out, in), with
 * the scale taken from `magnitude` (|U|·|S + diag λ|·|V|ᵀ for an adapted layer, |W| for a plain one).
 */
export function forwardCheck(ctx: CaseContext, prefix: string, path: string, weight: Mat, magnitude: Mat,
  bias: Float64Array | null, when: string, condition = 1): void {
  const { x } = ctx.inputs.get(path) as { x: Mat };
  const y = affine(x, weight, bias);
  const bound = affine(absolute(x), magnitude, bias ? bias.map(Math.abs) : null);
  ctx.check({
    output: `${prefix}/forward/${path}`, expected: `${prefix}/forward/${path}`, rule: 'direct', what: `forward of ${path} ${when}`,
    scale: largest(bound), ...ctx.tolerances('direct', condition),
  }, y.data, ctx.outputShape(path));
}

/** Adds the init checks of one adapter and returns what the trained stage needs. */
export function initStage(ctx: CaseContext, spec: AdapterSpec): AdapterInfo {
  const config = new FrodConfig({ ...spec.config, progressbar: false });
  const prefix = `init/${spec.name}`;
  const targets = selectTargets(ctx.spec.modules.map((m) => m.path), config);
  if (targets.length === 0) throw new Error(`conformance case ${ctx.spec.id}: adapter ${spec.name} targets no module`);
  const groups = groupByCategory(targets);
  const categories = groups.map((g) => ({
    name: g.name, paths: g.paths,
    basis: referenceBasis(g.paths.map((p) => ctx.weights.get(p) as Mat), config.regularizationAlpha),
    pattern: samplePattern(ctx.weights.get(g.paths[0])!.cols, config.sparseRate, config.projectionPrngKey, g.name),
  }));
  const peft = peftPatterns(categories.map((c) => ({ name: c.name, inFeatures: c.basis.v.cols })), config.sparseRate, config.projectionPrngKey);
  ctx.lists.set(`${prefix}/targets`, [...targets].sort());
  ctx.check({ output: `${prefix}/targets`, expected: `${prefix}/targets`, rule: 'same-set', what: 'the adapted modules' });
  ctx.lists.set(`${prefix}/saved_keys`, savedKeys(ctx, config, targets, categories.map((c) => c.name)));
  ctx.check({ output: `${prefix}/saved_keys`, expected: `${prefix}/saved_keys`, rule: 'same-set', what: 'the keys of the saved adapter file' });
  for (const category of categories) basisChecks(ctx, prefix, category, peft.get(category.name) as SparsePattern);
  for (const category of categories) for (const path of category.paths) layerChecks(ctx, prefix, category, path);
  for (const m of ctx.spec.modules) {
    if (targets.includes(m.path)) continue;
    const w = ctx.weights.get(m.path) as Mat;
    forwardCheck(ctx, prefix, m.path, w, absolute(w), ctx.biases.get(m.path) ?? null, 'at init (not adapted)');
  }
  return { name: spec.name, config, targets, categories };
}
