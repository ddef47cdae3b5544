/**
 * `frod conformance grade`: compares an implementation's outputs with a suite, check by check, by each
 * check's rule. Browser-safe: files come through reader functions (relative path → bytes, or null when
 * absent). A missing or unreadable output is a "missing" row, never a crash.
 */
import { loadSafetensors } from '../nn/io';
import {
  type CaseEntry, type CheckEntry, KIT_FORMAT, type Manifest, PATTERN_RNGS, PRECISIONS, type PatternRng, type Precision,
} from './manifest';
import { type Outcome, type RuleContext, type Values, compareSets, comparePattern, compareTensor } from './rules';

/** Reads a file of the suite or of the outputs, relative to its root; null when there is none. */
export type FileReader = (relativePath: string) => Uint8Array | null;

/** What an implementation says about itself (implementation.json), possibly overridden on the command line. */
export interface Claims {
  readonly name: string | null;
  readonly patternRng: PatternRng;
  /** The arithmetic it uses for float64 cases (null: float64). */
  readonly precision: Precision | null;
}

/** One graded check. */
export interface GradeRow {
  readonly case: string;
  readonly check: string;
  readonly rule: string;
  readonly what: string;
  readonly status: 'pass' | 'fail' | 'missing';
  readonly error: number | null;
  readonly tolerance: number | null;
  readonly detail: string;
}

/** The grade of a whole suite. */
export interface GradeReport {
  readonly implementation: Claims;
  readonly rows: readonly GradeRow[];
  readonly passed: number;
  readonly failed: number;
  readonly missing: number;
  /** True when every check passed. */
  readonly ok: boolean;
}

/** Parses manifest.json (errors say what is wrong). */
export function parseManifest(bytes: Uint8Array, source = 'manifest.json'): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const manifest = json as Manifest;
  if (manifest?.format !== KIT_FORMAT || !Array.isArray(manifest.cases)) {
    throw new Error(`${source}: not a manifest of format ${KIT_FORMAT} (format ${JSON.stringify(manifest?.format)})`);
  }
  return manifest;
}

/** Reads implementation.json (absent: no claims). Unknown values are errors that name the file and key. */
export function readClaims(bytes: Uint8Array | null, source = 'implementation.json'): Claims {
  if (bytes === null) return { name: null, patternRng: null, precision: null };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const rng = json.pattern_rng ?? null, precision = json.precision ?? null;
  if (rng !== null && !PATTERN_RNGS.includes(rng as string)) throw new Error(`${source}: pattern_rng must be ${PATTERN_RNGS.map((r) => `"${r}"`).join(', ')} or null, got ${JSON.stringify(rng)}`);
  if (precision !== null && !PRECISIONS.includes(precision as Precision)) throw new Error(`${source}: precision must be one of ${PRECISIONS.join(', ')} or null, got ${JSON.stringify(precision)}`);
  return { name: typeof json.name === 'string' ? json.name : null, patternRng: rng as PatternRng, precision: precision as Precision | null };
}

/** Tensors of a safetensors file as float64 values, or the reason they cannot be read. */
function readTensors(bytes: Uint8Array | null, source: string): Map<string, Values> | string {
  if (bytes === null) return `no ${source}`;
  try {
    const { tensors } = loadSafetensors(bytes);
    return new Map(Object.entries(tensors).map(([k, t]) => [k, { data: Float64Array.from(t.data()), shape: t.shape }]));
  } catch (err) {
    return `${source} cannot be read (${(err as Error).message.split('\n')[0]})`;
  }
}

function readLists(bytes: Uint8Array | null, source: string): Record<string, unknown> | string {
  if (bytes === null) return `no ${source}`;
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return `${source} is not a JSON object`;
    return json as Record<string, unknown>;
  } catch (err) {
    return `${source} is not valid JSON (${(err as Error).message})`;
  }
}

/** The precision a check is graded at: the claimed one when the check has a tolerance for it, else the case's. */
function precisionFor(entry: CaseEntry, check: CheckEntry, claims: Claims): Precision {
  if (claims.precision && check.tolerance?.[claims.precision] !== undefined) return claims.precision;
  return entry.dtype;
}

function gradeCheck(entry: CaseEntry, check: CheckEntry, expected: Map<string, Values>, expectedLists: Record<string, unknown>,
  actual: Map<string, Values> | string, actualLists: Record<string, unknown> | string, claims: Claims, alignments: RuleContext['alignments']): Outcome | string {
  if (check.rule === 'same-set') {
    if (typeof actualLists === 'string') return actualLists;
    const got = actualLists[check.output];
    if (!Array.isArray(got) || got.some((x) => typeof x !== 'string')) return `no list "${check.output}" in outputs.json`;
    return compareSets(got as string[], expectedLists[check.expected as string] as string[]);
  }
  if (typeof actual === 'string') return actual;
  const value = actual.get(check.output);
  if (!value) return `no tensor "${check.output}" in outputs.safetensors`;
  if (check.rule === 'pattern') {
    const wanted = Object.fromEntries(Object.entries(check.expected as Record<string, string>).map(([rng, name]) => [rng, expected.get(name) as Values]));
    return comparePattern(check, value, wanted, claims.patternRng);
  }
  const ctx: RuleContext = { precision: precisionFor(entry, check, claims), patternRng: claims.patternRng, alignments };
  return compareTensor(check, value, expected.get(check.expected as string) as Values, ctx);
}

/** Grades every check of one case. */
function gradeCase(entry: CaseEntry, suite: FileReader, outputs: FileReader, claims: Claims): GradeRow[] {
  const dir = `cases/${entry.id}`;
  const expected = readTensors(suite(`${dir}/expected.safetensors`), `${dir}/expected.safetensors`);
  const expectedLists = readLists(suite(`${dir}/expected.json`), `${dir}/expected.json`);
  if (typeof expected === 'string' || typeof expectedLists === 'string') throw new Error(`the suite is incomplete: ${typeof expected === 'string' ? expected : expectedLists}`);
  const actual = readTensors(outputs(`${dir}/outputs.safetensors`), `${dir}/outputs.safetensors`);
  const actualLists = readLists(outputs(`${dir}/outputs.json`), `${dir}/outputs.json`);
  const alignments: RuleContext['alignments'] = new Map();
  return entry.checks.map((check) => {
    const result = gradeCheck(entry, check, expected, expectedLists, actual, actualLists, claims, alignments);
    const base = { case: entry.id, check: check.output, rule: check.rule, what: check.what };
    if (typeof result === 'string') return { ...base, status: 'missing', error: null, tolerance: null, detail: result };
    return { ...base, status: result.pass ? 'pass' : 'fail', error: result.error, tolerance: result.bound, detail: result.detail };
  });
}

/** Grades the outputs read by `outputs` against the suite read by `suite`. */
export function gradeSuite(suite: FileReader, outputs: FileReader, overrides: Partial<Claims> = {}): GradeReport {
  const manifestBytes = suite('manifest.json');
  if (manifestBytes === null) throw new Error('the suite has no manifest.json');
  const manifest = parseManifest(manifestBytes);
  const claimed = readClaims(outputs('implementation.json'));
  const claims: Claims = { ...claimed, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  const rows = manifest.cases.flatMap((entry) => gradeCase(entry, suite, outputs, claims));
  const count = (status: GradeRow['status']) => rows.filter((r) => r.status === status).length;
  return { implementation: claims, rows, passed: count('pass'), failed: count('fail'), missing: count('missing'), ok: rows.every((r) => r.status === 'pass') };
}

/** A number for the table: 3 significant digits, or "-". */
function show(x: number | null): string {
  if (x === null) return '-';
  return Number.isInteger(x) ? String(x) : x.toExponential(2);
}

/** The report as text: one row per check (or only the non-passing ones when `failuresOnly`), then totals. */
export function formatReport(report: GradeReport, options: { failuresOnly?: boolean } = {}): string[] {
  const rows = report.rows.filter((r) => !options.failuresOnly || r.status !== 'pass');
  const cells = rows.map((r) => [r.case, r.check, show(r.error), show(r.tolerance), r.status, r.status === 'pass' ? '' : r.detail]);
  const header = ['case', 'check', 'error', 'tolerance', 'result', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]) => c.map((x, i) => (i === 2 || i === 3 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  const claims = report.implementation;
  return [
    `implementation: ${claims.name ?? '(unnamed)'}; pattern generator: ${claims.patternRng ?? 'none claimed (nnz and validity only)'}; precision: ${claims.precision ?? 'each case\'s dtype'}`,
    line(header), ...cells.map(line),
    `${report.rows.length} checks: ${report.passed} passed, ${report.failed} failed, ${report.missing} missing`,
  ];
}
