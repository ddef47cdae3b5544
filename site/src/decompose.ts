/**
 * The Decompose panel: one category (of the shipped ViT, or a random stack) through FRoD's decomposition —
 * the stacked weights M, the spectrum (μ of T, or M's singular values on the svd path), V's columns, λ per
 * layer, S's sparse pattern, and the identity W = U diag(λ) Vᵀ checked live. Every number comes from the
 * library's own functions (categoryProjection, prepareBasis, decomposeWeight, samplePattern, adaptedWeight).
 */
import {
  Generator, adaptedWeight, categoryProjection, decomposeWeight, groupByCategory, prepareBasis, samplePattern, stackWeights,
  type CategoryProjection, type LayerFactors, type SparsePattern, type Tensor,
} from 'frod-ts';
import { heatmap, lambdaBars, patternDots, spectrum } from './charts';
import { byId, debounce, numberInput, setText } from './dom';
import { fmt, matOf, maxAbsDifference, type Mat } from './matrices';

/** One decomposed category: what the Rotate panel works on. */
export interface Decomposition {
  /** Category name (it also seeds S's pattern, as in the library). */
  category: string;
  /** Module path of each layer ('' for a random stack). */
  paths: string[];
  weights: Mat[];
  projection: CategoryProjection;
  layers: LayerFactors[];
  pattern: SparsePattern;
  alpha: number;
  sparseRate: number;
  /** max over layers of max |U diag(λ) Vᵀ − W|. */
  reconstructionError: number;
}

/** Friendlier names for the ViT's categories (categoryOf's names are kept beside them). */
const LABELS: Record<string, string> = {
  attention_query: 'query', attention_key: 'key', attention_value: 'value', attention_output: 'attention output',
  intermediate_dense: 'MLP in (intermediate.dense)', output_dense: 'MLP out (output.dense)',
};

/** The ViT's adaptable categories: every 2-D weight of the encoder, grouped as FRoD groups them. */
export function vitCategories(tensors: Record<string, Tensor>): { name: string; paths: string[] }[] {
  const paths = Object.keys(tensors)
    .filter((k) => k.startsWith('vit.encoder.') && k.endsWith('.weight') && tensors[k].shape.length === 2)
    .map((k) => k.slice(0, -'.weight'.length));
  return groupByCategory(paths).map((g) => ({ name: g.name, paths: [...g.paths] }));
}

/** Decomposes `weights` as FRoD's init does (projection key 0) and checks the reconstruction. */
export function decompose(category: string, paths: string[], weights: Mat[], alpha: number, sparseRate: number): Decomposition {
  const projection = categoryProjection(weights, alpha);
  const basis = prepareBasis(projection.v);
  const layers = weights.map((w) => decomposeWeight(basis, w));
  const n = projection.v.cols;
  const pattern = samplePattern(n, sparseRate, 0, category);
  const zeros = new Float64Array(pattern.nnz);
  const reconstructionError = Math.max(...layers.map((l, i) => maxAbsDifference(adaptedWeight(l.u, projection.v, l.lambda, pattern, zeros).data, weights[i].data)));
  return { category, paths, weights, projection, layers, pattern, alpha, sparseRate, reconstructionError };
}

/** `count` random (out, in) weights with standard normal entries from a seeded generator. */
function randomWeights(count: number, out: number, inFeatures: number, seed: number): Mat[] {
  const g = new Generator(`site-random-stack-${seed}`);
  return Array.from({ length: count }, () => ({ rows: out, cols: inFeatures, data: Float64Array.from({ length: out * inFeatures }, () => g.normal()) }));
}

function describe(d: Decomposition): void {
  const { projection, layers, weights } = d;
  const L = weights.length;
  const m = stackWeights(weights);
  const path = byId('decompose-path');
  path.textContent = projection.path;
  path.dataset.value = projection.path;
  setText('decompose-shape', `M is ${m.rows} × ${m.cols} (${L} layer${L > 1 ? 's' : ''} of ${weights[0].rows} × ${weights[0].cols}): `
    + (projection.path === 'qr-eig' ? 'at least as many rows as columns, so the qr-eig path.' : 'fewer rows than columns, so the svd path.'));
  const error = byId('reconstruction-error');
  error.textContent = fmt(d.reconstructionError);
  error.dataset.value = String(d.reconstructionError);
  const n = projection.v.cols;
  if (projection.path === 'qr-eig') {
    const shares = Array.from({ length: n }, (_, j) => layers.reduce((s, l) => s + l.lambda[j] ** 2, 0));
    const bound = L / (1 + L * d.alpha);
    const minMu = Math.min(...projection.spectrum);
    setText('decompose-facts', `Σᵢ λᵢⱼ² = 1 for every direction j: largest deviation ${fmt(Math.max(...shares.map((s) => Math.abs(s - 1))))}. `
      + `Smallest μ = ${fmt(minMu)} ≥ L/(1 + Lα) = ${fmt(bound)} (equality: a direction shared evenly by all ${L} layers).`);
  } else {
    setText('decompose-facts', `On the svd path V holds all right singular vectors of M; the directions beyond M's ${Math.min(m.rows, n)} singular values span its null space, so their λ are ≈ 0.`);
  }
  setText('decompose-nnz', `S: ${d.pattern.nnz} trainable entries of ${n} × ${n} (sparse_rate ${d.sparseRate}), in ${new Set(d.pattern.rows).size} rows and ${new Set(d.pattern.cols).size} columns.`);
}

function draw(d: Decomposition): void {
  const m = stackWeights(d.weights);
  heatmap(byId('chart-stack'), m, { xLabel: 'input feature', yLabel: 'row of M (layers stacked)', label: 'weight' });
  const { projection } = d;
  const L = d.weights.length;
  spectrum(byId('chart-spectrum'), projection.spectrum, projection.path === 'qr-eig'
    ? { yLabel: 'μⱼ (eigenvalues of T)', rule: { value: L / (1 + L * d.alpha), label: 'L/(1 + Lα)' } }
    : { yLabel: 'singular values of M' });
  heatmap(byId('chart-v'), projection.v, { xLabel: 'basis direction j (column of V)', yLabel: 'input feature', label: 'V' });
  lambdaBars(byId('chart-lambda'), d.layers.map((l) => l.lambda));
  patternDots(byId('chart-pattern'), d.pattern.rows, d.pattern.cols, projection.v.cols);
}

export interface DecomposePanel {
  current(): Decomposition;
  /** Selects a category by name ('random' for a random stack) and recomputes. */
  select(name: string): void;
}

/** Wires the panel's controls; `onChange` hears every new decomposition. */
export function decomposePanel(tensors: Record<string, Tensor>, onChange: (d: Decomposition) => void): DecomposePanel {
  const categories = vitCategories(tensors);
  const select = byId<HTMLSelectElement>('decompose-category');
  select.replaceChildren(...categories.map((c) => new Option(`${LABELS[c.name] ?? c.name} — ${c.name}`, c.name)), new Option('random stack (choose shapes)', 'random'));
  // The walkthrough's category (docs/frod-math.md) first.
  if (categories.some((c) => c.name === 'attention_query')) select.value = 'attention_query';
  let current: Decomposition | null = null;
  const update = () => {
    const alpha = numberInput('decompose-alpha');
    const sparseRate = numberInput('decompose-rate');
    const random = select.value === 'random';
    byId('decompose-random').hidden = !random;
    const error = byId('decompose-error');
    try {
      if (!(alpha > 0)) throw new Error('α must be positive: without it QᵢᵀQᵢ is singular for any layer with fewer outputs than inputs');
      const chosen = categories.find((c) => c.name === select.value);
      current = chosen
        ? decompose(chosen.name, chosen.paths, chosen.paths.map((p) => matOf(tensors[`${p}.weight`])), alpha, sparseRate)
        : decompose('random', [], randomWeights(numberInput('random-layers'), numberInput('random-out'), numberInput('random-in'), numberInput('random-seed')), alpha, sparseRate);
      error.hidden = true;
      describe(current);
      draw(current);
      onChange(current);
    } catch (err) {
      error.hidden = false;
      error.textContent = (err as Error).message;
    }
  };
  const later = debounce(update, 120);
  for (const id of ['decompose-alpha', 'decompose-rate', 'random-layers', 'random-out', 'random-in', 'random-seed']) byId(id).addEventListener('input', later);
  select.addEventListener('change', update);
  update();
  return {
    current: () => {
      if (!current) throw new Error('no decomposition yet');
      return current;
    },
    select: (name) => {
      select.value = name;
      update();
    },
  };
}
