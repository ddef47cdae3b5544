/**
 * What the export builds for one case: its rounded numbers (what every implementation sees), the expected
 * tensors and lists, and the checks — with the helpers that give each check its scale and tolerances.
 */
import { type Mat, mat, transpose } from '../linalg/kernels';
import { roundToDType } from '../frod/weights';
import type { BaseDType, CaseSpec, ModuleSpec } from './cases';
import { type CheckEntry, ROUNDING, TOLERANCE, type Precision } from './manifest';
import { baseValues, Draws } from './values';

/** An expected tensor: float64 values (or int64 indices) and a shape. */
export interface ExpectedTensor {
  readonly data: Float64Array;
  readonly shape: readonly number[];
  readonly int?: boolean;
}

/** Tolerance fields of a check (see CheckEntry). */
export type ToleranceFields = Pick<CheckEntry, 'tolerance' | 'condition' | 'floor'>;

/** Rounds a float64 matrix to what `dtype` stores (a new matrix). */
function rounded(m: Mat, dtype: BaseDType): Mat {
  return mat(m.rows, m.cols, roundToDType(m.data, dtype));
}

export class CaseContext {
  readonly modules: ReadonlyMap<string, ModuleSpec>;
  /** Base weights (out, in) as stored (rounded to the dtype), float64. */
  readonly weights = new Map<string, Mat>();
  /** Biases as stored. */
  readonly biases = new Map<string, Float64Array>();
  /** Inputs x (rows, in) and upstream gradients g (rows, out), as stored. */
  readonly inputs = new Map<string, { x: Mat; g: Mat }>();
  readonly expected = new Map<string, ExpectedTensor>();
  readonly lists = new Map<string, string[]>();
  readonly checks: CheckEntry[] = [];
  readonly notChecked: string[] = [];

  constructor(readonly spec: CaseSpec, readonly seed: number) {
    this.modules = new Map(spec.modules.map((m) => [m.path, m]));
    const base = baseValues(spec, seed);
    for (const m of spec.modules) {
      this.weights.set(m.path, rounded(base.weights.get(m.path) as Mat, spec.dtype));
      const bias = base.biases.get(m.path);
      if (bias) this.biases.set(m.path, roundToDType(bias, spec.dtype));
    }
    const draws = new Draws(seed, spec.id, 'inputs');
    const rows = spec.batch.reduce((p, s) => p * s, 1);
    for (const m of spec.modules) {
      const x = mat(rows, m.inFeatures, roundToDType(draws.array(rows * m.inFeatures), spec.dtype));
      const g = mat(rows, m.outFeatures, roundToDType(draws.array(rows * m.outFeatures), spec.dtype));
      this.inputs.set(m.path, { x, g });
    }
  }

  get dtype(): BaseDType {
    return this.spec.dtype;
  }

  /** The weight as the base file stores it: (out, in) for Linear, (in, out) for Conv1D. */
  storedWeight(path: string, w: Mat = this.weights.get(path) as Mat): Mat {
    return (this.modules.get(path) as ModuleSpec).kind === 'conv1d' ? transpose(w) : w;
  }

  /** Shape of a module's forward output: batch + (out,). */
  outputShape(path: string): number[] {
    return [...this.spec.batch, (this.modules.get(path) as ModuleSpec).outFeatures];
  }

  /** Records an expected matrix or vector under `name`. */
  expect(name: string, data: Float64Array, shape: readonly number[], int = false): void {
    this.expected.set(name, { data, shape, int });
  }

  /** Records an expected tensor and its check. */
  check(entry: CheckEntry, data?: Float64Array, shape?: readonly number[]): void {
    if (data && shape) this.expect(typeof entry.expected === 'string' ? entry.expected : entry.output, data, shape);
    this.checks.push(entry);
  }

  /**
   * Tolerances of a check whose error grows with `condition` in the arithmetic that computes it:
   * `kind` picks the table (bases are held tighter in float64), and a half-precision case adds a floor for
   * its own rounding (`halfUnits` unit roundoffs of the dtype).
   */
  tolerances(kind: 'direct' | 'basis', condition: number | readonly number[] = 1, halfUnits = 0): ToleranceFields {
    const table = TOLERANCE[kind];
    const dtype = this.dtype;
    if (dtype === 'float64') return { tolerance: { float64: table.float64, float32: table.float32 }, condition };
    if (dtype === 'float32') return { tolerance: { float32: table.float32 }, condition };
    const floor = kind === 'direct' && halfUnits === 0 ? TOLERANCE.direct[dtype] : halfUnits * ROUNDING[dtype];
    return { tolerance: { [dtype]: TOLERANCE.basis.float32 } as Partial<Record<Precision, number>>, condition, floor };
  }
}
