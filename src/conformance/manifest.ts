/**
 * The kit's file layout and manifest.json: every case, every check with its rule, scale and tolerances.
 * Language-neutral: JSON and safetensors only.
 *
 *   SUITE/manifest.json                       this file
 *   SUITE/README.md                           how to run the kit, what each rule means and why
 *   SUITE/cases/<id>/base.safetensors         base weights "<path>.weight", "<path>.bias" (the case's dtype)
 *   SUITE/cases/<id>/inputs.safetensors       "x/<path>" inputs and "g/<path>" upstream gradients
 *   SUITE/cases/<id>/adapters/<a>/adapter_config.json   the config of adapter a (fresh adapter)
 *   SUITE/cases/<id>/trained/<a>/             adapter a with fixed trained λ/S (PEFT's adapter layout)
 *   SUITE/cases/<id>/expected.safetensors     expected tensors (float64; patterns int64)
 *   SUITE/cases/<id>/expected.json            expected lists (targets, saved keys)
 *
 *   ACTUAL/implementation.json                optional: {"name", "pattern_rng", "precision"}
 *   ACTUAL/cases/<id>/outputs.safetensors     the implementation's tensors, named as the checks' outputs
 *   ACTUAL/cases/<id>/outputs.json            its lists
 */
import type { BaseDType, CaseSpec, ModuleKind } from './cases';

/** The manifest's format name; a grader refuses a manifest of another format. */
export const KIT_FORMAT = 'frod-conformance/1';

/** The arithmetic an implementation uses, which picks the tolerance of a check. */
export type Precision = 'float64' | 'float32' | 'float16' | 'bfloat16';
export const PRECISIONS: readonly Precision[] = ['float64', 'float32', 'float16', 'bfloat16'];

/** Whose random generator a pattern is compared with; null: only nnz and validity. */
export type PatternRng = 'peft' | 'frod-ts' | null;
export const PATTERN_RNGS: readonly string[] = ['peft', 'frod-ts'];

/** How an output is compared with what is expected (see ./rules.ts for each rule's meaning and reason). */
export type RuleName = 'direct' | 'columns-up-to-sign' | 'subspace' | 'gram' | 'aligned-with-basis' | 'pattern' | 'same-set';

/** One check of a case. */
export interface CheckEntry {
  /** The output's name in outputs.safetensors (tensors) or outputs.json (lists). */
  readonly output: string;
  readonly rule: RuleName;
  /** The expected value's name in expected.safetensors / expected.json; patterns name one per generator. */
  readonly expected: string | Readonly<Record<string, string>>;
  /** What the check is about, in a few words. */
  readonly what: string;
  /** Errors are measured in units of this (a norm of the expected value or of its factors). */
  readonly scale?: number;
  /** Allowed error (in units of `scale`) per precision, before `condition`. */
  readonly tolerance?: Readonly<Partial<Record<Precision, number>>>;
  /** Multiplies the tolerance: one number, or one per column (bases) or entry. */
  readonly condition?: number | readonly number[];
  /** Added to the tolerance after `condition`: the rounding of a stored half-precision value. */
  readonly floor?: number;
  /** Column groups of a basis whose vectors are free up to sign (one column) or rotation (several). */
  readonly clusters?: readonly (readonly number[])[];
  /** For `aligned-with-basis`: the output of the basis whose alignment applies. */
  readonly alignWith?: string;
  /** Entries (flat indices) or columns left out, and why. */
  readonly exclude?: { readonly indices: readonly number[]; readonly why: string };
  /** For patterns: in_features and nnz. */
  readonly inFeatures?: number;
  readonly nnz?: number;
}

/** A module of a case, as the implementation must build it. */
export interface ModuleEntry {
  readonly path: string;
  /** "linear": weight (out, in), y = x·Wᵀ + b; "conv1d": weight (in, out), y = x·W + b. */
  readonly kind: ModuleKind;
  readonly in_features: number;
  readonly out_features: number;
  readonly bias: boolean;
}

/** One case in the manifest: its spec's description (id, title, teaches, dtype, batch), then what the kit derived. */
export interface CaseEntry extends Pick<CaseSpec, 'id' | 'title' | 'teaches' | 'dtype' | 'batch'> {
  readonly modules: readonly ModuleEntry[];
  /** Adapter names in the order they are added (the first is created, the others added). */
  readonly adapters: readonly string[];
  /** Outputs a reader might expect but that this case does not determine, and why. */
  readonly not_checked: readonly string[];
  readonly checks: readonly CheckEntry[];
}

/** manifest.json. */
export interface Manifest {
  readonly format: string;
  readonly generator: string;
  readonly seed: number;
  readonly random_cases: number;
  /** The steps an implementation runs for each case (see README.md). */
  readonly protocol: readonly string[];
  readonly rules: Readonly<Record<string, { readonly meaning: string; readonly reason: string }>>;
  readonly cases: readonly CaseEntry[];
}

/**
 * Tolerances in units of each check's scale, per precision of the arithmetic. Direct quantities (a few
 * products and sums) are good to a small multiple of the unit roundoff; V and what follows from it also
 * carry the condition of their spectrum (up to 1/CLUSTER_GAP = 1000).
 */
export const TOLERANCE = {
  direct: { float64: 1e-10, float32: 2e-5, float16: 1e-2, bfloat16: 6e-2 },
  basis: { float64: 1e-11, float32: 2e-5, float16: 2e-5, bfloat16: 2e-5 },
} as const;

/** The unit roundoff of a stored dtype (what rounding a value to it may change, relatively). */
export const ROUNDING: Readonly<Record<Precision, number>> = {
  float64: 2 ** -53, float32: 2 ** -24, float16: 2 ** -11, bfloat16: 2 ** -8,
};

/** The precisions a case of this dtype may be graded at: its own, and float32 for float64 cases. */
export function precisionsFor(dtype: BaseDType): Precision[] {
  return dtype === 'float64' ? ['float64', 'float32'] : [dtype];
}
