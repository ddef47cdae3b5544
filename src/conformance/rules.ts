/**
 * The comparison rules of the kit: how an implementation's output is compared with the expected one, so
 * that legitimate freedom (a sign, a basis inside a repeated eigenvalue, another random generator) is
 * never punished and everything determined is checked. Each rule says what it means and why; the kit's
 * README is written from these texts.
 */
import { type Mat, mat, matmul, svd, transpose } from '../linalg/kernels';
import type { CheckEntry, PatternRng, Precision, RuleName } from './manifest';
import { patternProblem } from './patterns';

/** A tensor as the grader sees it: float64 values (row-major) and a shape. */
export interface Values {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** The outcome of one check. */
export interface Outcome {
  readonly pass: boolean;
  /** Worst error in units of the check's scale (a count for patterns and sets); null when not measured. */
  readonly error: number | null;
  /** The tolerance that error is held to. */
  readonly bound: number | null;
  /** Where the worst error is, or what is wrong. */
  readonly detail: string;
}

/** What a rule needs besides the two values. */
export interface RuleContext {
  readonly precision: Precision;
  readonly patternRng: PatternRng;
  /** Alignments found by basis checks, by their output name: expected·Q ≈ actual. */
  readonly alignments: Map<string, Mat>;
}

export const RULES: Readonly<Record<RuleName, { meaning: string; reason: string }>> = {
  'direct': {
    meaning: 'entry by entry: |actual − expected| / scale ≤ tolerance × condition (+ floor), where scale is the largest entry of the componentwise magnitude of the factors that make the value (e.g. |U|·|S + diag λ|·|V|ᵀ for a merged weight)',
    reason: 'these quantities are fully determined once V and the pattern are fixed (or, at initialisation, by W itself); scaling by the magnitude of the factors makes the tolerance a small multiple of the unit roundoff whatever the size of the numbers',
  },
  'columns-up-to-sign': {
    meaning: 'each column of V is compared with the expected column or its negative (whichever is closer): ‖a_j − s_j e_j‖ / scale ≤ tolerance × condition_j, condition_j = (largest |eigenvalue|) / (gap to its nearest eigenvalue)',
    reason: 'an eigenvector (or singular vector) is only defined up to sign, and every sign gives the same adapter (U\'s column flips with it); the error an eigensolver makes grows as the gap to the next eigenvalue shrinks',
  },
  'subspace': {
    meaning: 'columns whose eigenvalues cluster (closer than 1e-3 of the largest) are compared as a block: actual_c ≈ expected_c · Q_c for the orthogonal Q_c that fits best (orthogonal Procrustes); single columns as in columns-up-to-sign',
    reason: 'inside a repeated eigenvalue every orthonormal basis of the eigenspace is an eigenbasis, and inside a cluster a float32 eigensolver cannot tell the vectors apart: only the spanned subspace (with an orthonormal change of basis, as V = RᵀE has) is determined',
  },
  'gram': {
    meaning: 'V is not compared; the invariant product V·Vᵀ is compared directly instead (for the qr-eig path V·Vᵀ = RᵀR = MᵀM)',
    reason: 'where all eigenvalues of T coincide (a category of one layer, a square stack) or the stack is rank deficient, any V·O with O orthogonal is as valid: only V·Vᵀ is determined',
  },
  'aligned-with-basis': {
    meaning: 'U·diag(λ) (= B = W·V⁻ᵀ) is compared column by column after applying to the expected one the same signs / block rotations that matched V: ‖a_j − (E·Q)_j‖ / scale ≤ tolerance × condition_j',
    reason: 'B moves with V (a flipped column of V flips the same column of B), so comparing B alone would punish a legitimate sign; comparing it with V\'s alignment catches a V column flipped without its U column. U and λ are not compared separately: U\'s columns where λ ≈ 0 are not determined',
  },
  'pattern': {
    meaning: 'the (2, nnz) indices must be valid (nnz entries, in range, off the diagonal, none repeated); when the implementation claims PEFT\'s generator (or frod-ts\'s), they must also be the same entries in the same order as that generator\'s',
    reason: 'the pattern is random: another generator gives another, equally valid pattern, and adapters carry their indices. Only an implementation that says it reproduces a generator can be held to its draws',
  },
  'same-set': {
    meaning: 'the same strings as expected, in any order',
    reason: 'which modules are adapted and which tensors an adapter file holds are exact facts; their order is not',
  },
};

/** The bound for entry (or column) i: tolerance × condition_i + floor. */
function boundAt(check: CheckEntry, precision: Precision, i: number): number {
  const tolerance = check.tolerance?.[precision];
  if (tolerance === undefined) throw new Error(`no tolerance for precision ${precision}`);
  const c = check.condition;
  const condition = c === undefined ? 1 : typeof c === 'number' ? c : c[i] ?? 1;
  return tolerance * condition + (check.floor ?? 0);
}

/** Keeps the worst (largest error / bound) of a list of measured errors. */
function worstOf(check: CheckEntry, precision: Precision, errors: ArrayLike<number>, label: (i: number) => string): Outcome {
  const skip = new Set(check.exclude?.indices ?? []);
  let worst = -1, worstRatio = -Infinity;
  for (let i = 0; i < errors.length; i++) {
    if (skip.has(i)) continue;
    const ratio = errors[i] / boundAt(check, precision, i);
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
      if (Number.isNaN(ratio)) break;
    }
  }
  if (worst < 0) return { pass: true, error: 0, bound: null, detail: 'nothing to compare' };
  return { pass: worstRatio <= 1, error: errors[worst], bound: boundAt(check, precision, worst), detail: label(worst) };
}

function sameShape(actual: Values, expected: Values): string | null {
  const a = actual.shape.join(','), e = expected.shape.join(',');
  return a === e ? null : `shape (${a}), expected (${e})`;
}

function asMat(v: Values): Mat {
  return mat(v.shape[0], v.shape[1] ?? 1, v.data);
}

/** The orthogonal factor of the polar decomposition of a (k×k): the Q closest to a. */
function polarFactor(a: Mat): Mat {
  const { U, Vh } = svd(a);
  return matmul(U, Vh);
}

/** Block-diagonal Q (n×n) over `clusters` that best maps `expected` onto `actual` (signs for single columns). */
export function alignBasis(expected: Mat, actual: Mat, clusters: readonly (readonly number[])[]): Mat {
  const n = expected.cols;
  const q = mat(n, n);
  const column = (m: Mat, cols: readonly number[]) => {
    const out = mat(m.rows, cols.length);
    for (let i = 0; i < m.rows; i++) cols.forEach((c, k) => { out.data[i * cols.length + k] = m.data[i * m.cols + c]; });
    return out;
  };
  for (const cluster of clusters) {
    const block = polarFactor(matmul(transpose(column(expected, cluster)), column(actual, cluster)));
    cluster.forEach((r, i) => cluster.forEach((c, j) => { q.data[r * n + c] = block.data[i * cluster.length + j]; }));
  }
  return q;
}

/** Column norms of (actual − expected·q), in units of `scale`. */
function columnResiduals(expected: Mat, actual: Mat, q: Mat, scale: number): Float64Array {
  const fit = matmul(expected, q);
  const n = actual.cols;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < actual.rows; i++) sum += (actual.data[i * n + j] - fit.data[i * n + j]) ** 2;
    out[j] = Math.sqrt(sum) / scale;
  }
  return out;
}

function compareBasis(check: CheckEntry, actual: Values, expected: Values, ctx: RuleContext): Outcome {
  const e = asMat(expected), a = asMat(actual);
  const clusters = check.rule === 'gram' ? [Array.from({ length: e.cols }, (_, j) => j)] : check.clusters ?? [];
  const q = alignBasis(e, a, clusters);
  ctx.alignments.set(check.output, q);
  if (check.rule === 'gram') {
    const ga = matmul(a, transpose(a)), ge = matmul(e, transpose(e));
    const errors = ga.data.map((x, i) => Math.abs(x - ge.data[i]) / (check.scale ?? 1));
    return worstOf({ ...check, condition: 1 }, ctx.precision, errors, (i) => `V·Vᵀ[${Math.floor(i / e.cols)}, ${i % e.cols}]`);
  }
  const errors = columnResiduals(e, a, q, check.scale ?? 1);
  return worstOf(check, ctx.precision, errors, (j) => `column ${j}${(clusters.find((c) => c.includes(j))?.length ?? 1) > 1 ? ' (in a cluster)' : ''}`);
}

function compareAligned(check: CheckEntry, actual: Values, expected: Values, ctx: RuleContext): Outcome {
  const q = ctx.alignments.get(check.alignWith ?? '');
  if (!q) return { pass: false, error: null, bound: null, detail: `needs ${check.alignWith} (its alignment) first` };
  const errors = columnResiduals(asMat(expected), asMat(actual), q, check.scale ?? 1);
  return worstOf(check, ctx.precision, errors, (j) => `column ${j}`);
}

function compareDirect(check: CheckEntry, actual: Values, expected: Values, ctx: RuleContext): Outcome {
  const errors = actual.data.map((x, i) => Math.abs(x - expected.data[i]) / (check.scale ?? 1));
  const shape = expected.shape;
  const where = (i: number) => (shape.length <= 1 ? `entry ${i}` : `entry [${shape.map((_, d) => Math.floor(i / shape.slice(d + 1).reduce((p, s) => p * s, 1)) % shape[d]).join(', ')}]`);
  return worstOf(check, ctx.precision, errors, where);
}

/** Compares a pattern: validity always, the exact draws when a generator is claimed. */
export function comparePattern(check: CheckEntry, actual: Values, expected: Readonly<Record<string, Values>>, rng: PatternRng): Outcome {
  const n = check.inFeatures ?? 0, nnz = check.nnz ?? 0;
  const problem = patternProblem(actual.data, actual.shape, n, nnz);
  if (problem) return { pass: false, error: null, bound: 0, detail: `invalid pattern: ${problem}` };
  if (rng === null) return { pass: true, error: 0, bound: 0, detail: `valid, ${nnz} entries (no generator claimed: draws not compared)` };
  const want = expected[rng];
  if (!want) return { pass: false, error: null, bound: 0, detail: `the suite has no ${rng} pattern here` };
  let differ = 0, first = -1;
  for (let k = 0; k < nnz; k++) {
    if (actual.data[k] !== want.data[k] || actual.data[nnz + k] !== want.data[nnz + k]) {
      differ++;
      if (first < 0) first = k;
    }
  }
  const detail = differ === 0 ? `the ${rng} generator's ${nnz} entries, in order`
    : `${differ} of ${nnz} entries differ from the ${rng} generator's; first at ${first}: (${actual.data[first]}, ${actual.data[nnz + first]}) instead of (${want.data[first]}, ${want.data[nnz + first]})`;
  return { pass: differ === 0, error: differ, bound: 0, detail };
}

/** Compares two lists of strings as sets. */
export function compareSets(actual: readonly string[], expected: readonly string[]): Outcome {
  const a = new Set(actual), e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x)), extra = [...a].filter((x) => !e.has(x));
  const differ = missing.length + extra.length;
  const show = (label: string, xs: string[]) => (xs.length ? `${label} ${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ` (+${xs.length - 3})` : ''}` : '');
  const detail = differ === 0 ? `${e.size} entries` : [show('missing', missing), show('unexpected', extra)].filter(Boolean).join('; ');
  return { pass: differ === 0, error: differ, bound: 0, detail };
}

/** Compares one tensor check (every rule but pattern and same-set). */
export function compareTensor(check: CheckEntry, actual: Values, expected: Values, ctx: RuleContext): Outcome {
  const shape = sameShape(actual, expected);
  if (shape) return { pass: false, error: null, bound: null, detail: shape };
  switch (check.rule) {
    case 'direct': return compareDirect(check, actual, expected, ctx);
    case 'columns-up-to-sign': case 'subspace': case 'gram': return compareBasis(check, actual, expected, ctx);
    case 'aligned-with-basis': return compareAligned(check, actual, expected, ctx);
    default: throw new Error(`rule ${check.rule} does not compare tensors`);
  }
}
