/**
 * The numbers of a case: base weights (following the category's recipe), inputs and upstream gradients,
 * drawn from a generator seeded by the export seed and the case id. Only uniform draws (alea: integer
 * arithmetic) and IEEE basic operations and square roots are used, so the values are the same bits on
 * every machine; they are rounded to the case's dtype once, when stored.
 */
import { type Mat, mat, matmul, qr } from '../linalg/kernels';
import { Generator } from '../tensor/random';
import { groupByCategory } from '../frod/categories';
import type { CaseSpec, ModuleSpec, WeightRecipe } from './cases';

/** The seeded source of a case's numbers. */
export class Draws {
  private readonly generator: Generator;

  constructor(seed: number, caseId: string, purpose: string) {
    this.generator = new Generator(`frod-conformance/${seed}/${caseId}/${purpose}`);
  }

  /** Uniform in [low, high). */
  uniform(low = -1, high = 1): number {
    return low + (high - low) * this.generator.random();
  }

  /** A fresh array of `n` uniform values in [low, high). */
  array(n: number, low = -1, high = 1): Float64Array {
    return Float64Array.from({ length: n }, () => this.uniform(low, high));
  }

  /** Integer in [low, high). */
  int(low: number, high: number): number {
    return this.generator.randint(low, high);
  }

  /** One element of a list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length)];
  }
}

/** A random orthogonal n×n matrix: Q of the QR factorisation of a uniform random matrix. */
function randomOrthogonal(n: number, draws: Draws): Mat {
  return qr(mat(n, n, draws.array(n * n)), 'reduced').Q;
}

/** A random upper-triangular n×n matrix with diagonal in [1, 2) (well conditioned). */
function randomUpperTriangular(n: number, draws: Draws): Mat {
  const r = mat(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) r.data[i * n + j] = i === j ? draws.uniform(1, 2) : draws.uniform();
  }
  return r;
}

/** Scales row i of `a` by s[i] (a new matrix). */
function scaleRows(a: Mat, s: readonly number[]): Mat {
  const out = mat(a.rows, a.cols, a.data.slice());
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] *= s[i];
  return out;
}

/** The (out, in) float64 weights of one category, in member order, following its recipe. */
function categoryWeights(members: readonly ModuleSpec[], recipe: WeightRecipe, draws: Draws): Mat[] {
  const n = members[0].inFeatures;
  switch (recipe.kind) {
    case 'random':
      return members.map((m) => mat(m.outFeatures, n, draws.array(m.outFeatures * n)));
    case 'unused-input':
      return members.map((m) => {
        const w = mat(m.outFeatures, n, draws.array(m.outFeatures * n));
        for (let i = 0; i < m.outFeatures; i++) w.data[i * n + recipe.column] = 0;
        return w;
      });
    case 'duplicate': {
      const w = mat(members[0].outFeatures, n, draws.array(members[0].outFeatures * n));
      return members.map(() => mat(w.rows, w.cols, w.data.slice()));
    }
    case 'spectrum': {
      const d = recipe.fractions;
      if (members.length !== 2 || d.length !== n || members.some((m) => m.outFeatures !== n)) {
        throw new Error(`conformance: a 'spectrum' recipe needs two ${d.length}×${d.length} layers`);
      }
      const gr = matmul(randomOrthogonal(n, draws), randomUpperTriangular(n, draws));
      return [d.map((x) => Math.sqrt(x)), d.map((x) => Math.sqrt(1 - x))]
        .map((s) => matmul(randomOrthogonal(n, draws), scaleRows(gr, s)));
    }
  }
}

/** The float64 values of a case's base model before rounding: weights (out, in) and biases, by module path. */
export interface BaseValues {
  readonly weights: ReadonlyMap<string, Mat>;
  readonly biases: ReadonlyMap<string, Float64Array>;
}

/** Draws every module's weight (by its category's recipe) and bias. */
export function baseValues(spec: CaseSpec, seed: number): BaseValues {
  const draws = new Draws(seed, spec.id, 'base');
  const byPath = new Map(spec.modules.map((m) => [m.path, m]));
  const weights = new Map<string, Mat>();
  for (const group of groupByCategory(spec.modules.map((m) => m.path))) {
    const members = group.paths.map((p) => byPath.get(p) as ModuleSpec);
    const recipe = spec.recipes?.[group.name] ?? { kind: 'random' };
    const mats = categoryWeights(members, recipe, draws);
    members.forEach((m, i) => weights.set(m.path, mats[i]));
  }
  const biases = new Map<string, Float64Array>();
  for (const m of spec.modules) if (m.bias) biases.set(m.path, draws.array(m.outFeatures, -0.5, 0.5));
  return { weights, biases };
}
