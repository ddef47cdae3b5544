/**
 * `frod conformance export`: the whole suite as files (relative path → bytes), the same bytes for the same
 * seed and number of random cases. Browser-safe: the CLI writes the files.
 */
import { safetensorsBytes, type SafetensorsValue } from '../nn/io';
import { tensor } from '../tensor';
import { CaseContext } from './caseContext';
import { type CaseSpec, NAMED_CASES } from './cases';
import { initStage } from './initStage';
import { kitReadme } from './kitReadme';
import { type CaseEntry, KIT_FORMAT, type Manifest } from './manifest';
import { randomCase } from './randomCases';
import { RULES } from './rules';
import { trainedStage } from './trainedStage';

/** Options of {@link exportSuite}. */
export interface ExportOptions {
  /** Seeds every number of the suite (default 0). */
  seed?: number;
  /** How many seeded random cases to add (default 0). */
  random?: number;
  /** Only these named cases (default: all). */
  only?: readonly string[];
}

/** A suite in memory: its manifest and its files, manifest.json and README.md included. */
export interface Suite {
  readonly manifest: Manifest;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** What an implementation does for each case, in order (also in the README). */
export const PROTOCOL: readonly string[] = [
  'Build the model: for each module of the case a Linear (weight (out, in)) or a GPT-2 Conv1D (weight (in, out)) at its dotted path, with base.safetensors\' "<path>.weight" and "<path>.bias", in the case\'s dtype.',
  'Init: add the adapters in the listed order, each from adapters/<a>/adapter_config.json (the first creates the PEFT model, the others are added; dropout is off). For each adapter a, with a active, write: init/<a>/targets (the adapted module paths) and init/<a>/saved_keys (the keys its adapter_model.safetensors would hold) to outputs.json; init/<a>/V/<category>, init/<a>/pattern/<category> ((2, nnz) row and column indices, in order), and for each adapted module init/<a>/lambda/<path>, init/<a>/U_lambda/<path> (U·diag(λ), (out, in)) and init/<a>/merged/<path> (the weight with a merged, in the stored orientation); and init/<a>/forward/<path> for every module on inputs.safetensors\' x/<path>.',
  'Trained: on a fresh copy of the model, load each trained/<a> adapter directory (PEFT\'s layout; trainable) in the listed order. For each adapter a, with a active: the forward of every module (trained/<a>/forward/<path>); the loss L = Σ over modules of sum(y ⊙ g/<path>); its gradients trained/<a>/grad_lambda/<path>, trained/<a>/grad_s/<path> (per S value, in the file\'s order) and trained/<a>/grad_bias/<path> for each trainable bias; trained/<a>/U_lambda/<path> and trained/<a>/merged/<path>. With several adapters, also trained/merged_all/<path>: every adapter merged into the base weight.',
  'Write the tensors to cases/<id>/outputs.safetensors (any float dtype; patterns as integers) and the lists to cases/<id>/outputs.json; optionally implementation.json at the top: {"name": "...", "pattern_rng": "peft" | "frod-ts" | null, "precision": "float64" | "float32" | null}.',
];

/** Bytes of a JSON document (2-space indentation, trailing newline). */
function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** The files and manifest entry of one case. */
function buildCase(spec: CaseSpec, seed: number, files: Map<string, Uint8Array>): CaseEntry {
  const ctx = new CaseContext(spec, seed);
  const dir = `cases/${spec.id}`;
  const base: Record<string, SafetensorsValue> = {};
  for (const m of spec.modules) {
    const w = ctx.storedWeight(m.path);
    base[`${m.path}.weight`] = tensor(w.data, { dtype: spec.dtype, shape: [w.rows, w.cols] });
    const bias = ctx.biases.get(m.path);
    if (bias) base[`${m.path}.bias`] = tensor(bias, { dtype: spec.dtype });
  }
  files.set(`${dir}/base.safetensors`, safetensorsBytes(base, { format: 'pt' }));
  const inputs: Record<string, SafetensorsValue> = {};
  for (const m of spec.modules) {
    const { x, g } = ctx.inputs.get(m.path) as { x: { data: Float64Array }; g: { data: Float64Array } };
    inputs[`x/${m.path}`] = tensor(x.data, { dtype: spec.dtype, shape: [...spec.batch, m.inFeatures] });
    inputs[`g/${m.path}`] = tensor(g.data, { dtype: spec.dtype, shape: ctx.outputShape(m.path) });
  }
  files.set(`${dir}/inputs.safetensors`, safetensorsBytes(inputs, { format: 'pt' }));
  const infos = spec.adapters.map((adapter) => {
    const info = initStage(ctx, adapter);
    files.set(`${dir}/adapters/${adapter.name}/adapter_config.json`, new TextEncoder().encode(info.config.toJSONString()));
    return info;
  });
  trainedStage(ctx, infos, files);
  const expected: Record<string, SafetensorsValue> = {};
  for (const [name, t] of ctx.expected) {
    expected[name] = t.int
      ? { tensor: tensor(Int32Array.from(t.data), { dtype: 'int32', shape: [...t.shape] }), dtype: 'I64' }
      : tensor(t.data, { dtype: 'float64', shape: [...t.shape] });
  }
  files.set(`${dir}/expected.safetensors`, safetensorsBytes(expected, { format: 'pt' }));
  files.set(`${dir}/expected.json`, jsonBytes(Object.fromEntries([...ctx.lists].sort(([a], [b]) => (a < b ? -1 : 1)))));
  return {
    id: spec.id, title: spec.title, teaches: spec.teaches, dtype: spec.dtype,
    modules: spec.modules.map((m) => ({ path: m.path, kind: m.kind, in_features: m.inFeatures, out_features: m.outFeatures, bias: m.bias })),
    adapters: spec.adapters.map((a) => a.name), batch: spec.batch, not_checked: ctx.notChecked, checks: ctx.checks,
  };
}

/** The suite for `options`: the named cases, then the random ones. */
export function exportSuite(options: ExportOptions = {}): Suite {
  const seed = options.seed ?? 0;
  const random = options.random ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`conformance: the seed must be a non-negative integer, got ${seed}`);
  if (!Number.isSafeInteger(random) || random < 0 || random > 1000) throw new Error(`conformance: --random must be an integer in [0, 1000], got ${random}`);
  const named = options.only ? NAMED_CASES.filter((c) => options.only!.includes(c.id)) : NAMED_CASES;
  if (options.only) {
    const unknown = options.only.filter((id) => !NAMED_CASES.some((c) => c.id === id));
    if (unknown.length) throw new Error(`conformance: no named case ${unknown.join(', ')} (cases: ${NAMED_CASES.map((c) => c.id).join(', ')})`);
  }
  const specs = [...named, ...Array.from({ length: random }, (_, i) => randomCase(seed, i))];
  const files = new Map<string, Uint8Array>();
  const cases = specs.map((spec) => buildCase(spec, seed, files));
  const manifest: Manifest = {
    format: KIT_FORMAT, generator: 'frod-ts conformance export', seed, random_cases: random,
    protocol: PROTOCOL, rules: RULES, cases,
  };
  files.set('manifest.json', jsonBytes(manifest));
  files.set('README.md', new TextEncoder().encode(kitReadme(manifest)));
  return { manifest, files };
}
