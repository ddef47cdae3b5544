/**
 * The zero-column rule (docs/frod-math.md §3): U's column j is all zeros when λⱼ = ‖B[:, j]‖ ≤ 1e-12, and λⱼ
 * itself keeps its (tiny) value. Two kinds of evidence:
 *
 * - unit cases with λⱼ chosen in (0, 1e-12], exactly 1e-12, just above it, and 0 — the expected U and λ written
 *   out from the rule in plain loops, and a layer whose trained S has entries in those rows;
 * - the float64 svd-path golden case `wide64` (test/fixtures/golden-float64, written by the PyTorch reference
 *   with make_case.py there): V in float64, so the null-space λ are ~1e-16, with trained λ and S that are far
 *   from zero in those rows. Merged weights, outputs and gradients must match the reference through the
 *   functional API, the Module API and `frod merge`.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LAMBDA_EPS, decomposeWeight, prepareBasis } from '../../src/frod/decompose';
import { readAdapterDir } from '../../src/frod/checkpoint';
import { FrodLinear } from '../../src/frod/layer';
import { initAdapterFromWeights, mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { lambdaKey, projectionKey } from '../../src/frod/keys';
import type { Mat } from '../../src/linalg/kernels/mat';
import { loadSafetensors } from '../../src/nn/io';
import '../../src/frod/model'; // registers FRoD with PeftModel.fromPretrained
import { PeftModel } from '../../src/peft/peftModel';
import type { Tensor } from '../../src/tensor';
import { cleanTemp, frod, readSafetensors, tempDir, values } from '../cli/helpers';
import { assertClose, moduleFromStateDict } from './helpers';

test.after.each(cleanTemp);

// ---- unit cases ------------------------------------------------------------------------------------

/** Column norms of the 6 × 5 weight below, one per column: the rule's cases. */
const NORMS = [1.5, 1e-12, 5e-13, 1.0000001e-12, 0, 3e-13];
const ZERO_COLUMN = NORMS.map((norm) => norm <= 1e-12);

/**
 * W = B Vᵀ (rows × n) for the signed permutation V below, where B's column j is NORMS[j] times ±e_(j mod rows):
 * then B = W V^{-T} exactly, and its column norms are NORMS.
 */
function weightWithColumnNorms(rows: number): Mat {
  const n = NORMS.length;
  const v = signedPermutation(n);
  const b = new Float64Array(rows * n);
  NORMS.forEach((norm, j) => { b[(j % rows) * n + j] = (j % 2 === 0 ? 1 : -1) * norm; });
  const data = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) data[i * n + k] += b[i * n + j] * v.data[k * n + j];
  return { rows, cols: n, data };
}

/** A permutation matrix with signs: V⁻¹ is exact, so B = W V^{-T} has exactly the chosen column norms. */
function signedPermutation(n: number): Mat {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + ((i + 2) % n)] = i % 3 === 0 ? -1 : 1;
  return { rows: n, cols: n, data };
}

test('the cut is 1e-12, as PEFT\'s nonzero = lambda_l > 1e-12', () => {
  assert.is(LAMBDA_EPS, 1e-12);
});

test('λⱼ in (0, 1e-12], exactly 1e-12 or 0 gives U\'s column j all zeros; λⱼ keeps its value; above the cut U is unit', () => {
  const w = weightWithColumnNorms(4);
  const v = signedPermutation(NORMS.length);
  const { u, lambda } = decomposeWeight(prepareBasis(v), w);
  NORMS.forEach((norm, j) => {
    assert.is(lambda[j], norm, `λ_${j} is the column norm`);
    const column = Array.from({ length: u.rows }, (_, i) => u.data[i * u.cols + j]);
    const length = Math.hypot(...column);
    if (ZERO_COLUMN[j]) assert.ok(column.every((x) => x === 0), `column ${j} (λ = ${norm}) is all zeros: ${column}`);
    else assert.ok(Math.abs(length - 1) < 1e-15, `column ${j} (λ = ${norm}) is a unit vector (length ${length})`);
  });
});

test('U diag(λ) Vᵀ gives back W except for the dropped columns, whose part of W is at most 1e-12 in size', () => {
  const w = weightWithColumnNorms(4);
  const v = signedPermutation(NORMS.length);
  const { u, lambda } = decomposeWeight(prepareBasis(v), w);
  const n = NORMS.length;
  for (let i = 0; i < w.rows; i++) {
    for (let k = 0; k < n; k++) {
      let rebuilt = 0;
      for (let j = 0; j < n; j++) rebuilt += u.data[i * n + j] * lambda[j] * v.data[k * n + j];
      assert.ok(Math.abs(rebuilt - w.data[i * n + k]) <= 1e-12, `W[${i}][${k}]`);
    }
  }
});

test('a layer over such a weight: trained λ and S in the dropped rows change nothing, and get zero gradients', () => {
  // One Linear (5 out, 6 in) with the weight above; λ and S set as a trainer (or init_weights false) would.
  const w = weightWithColumnNorms(5);
  const weight = { 'lin.weight': tensorOf(w) };
  const model = moduleFromStateDict(weight, 'float64');
  const dir = tempDir();
  const n = NORMS.length;
  const v = signedPermutation(n);
  const rows = [1, 2, 0, 4, 5, 3], cols = [0, 3, 1, 5, 2, 4];
  const lambda = NORMS.map((_, j) => 0.5 + 0.1 * j);
  const s = rows.map((_, t) => 0.3 - 0.1 * t);
  writeAdapter(dir, 'lin', v, rows, cols, lambda, s);
  const peft = PeftModel.fromPretrained(model, dir, { isTrainable: true });
  const layer = peft.baseModel.model.getSubmodule('lin') as FrodLinear;
  // Expected W' = U (S + diag λ) Vᵀ with U's dropped columns zero: only the kept rows j of (S + diag λ) count.
  const { u } = decomposeWeight(prepareBasis(v), w);
  const c = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) c[j * n + k] = lambda[j] * v.data[k * n + j];
  rows.forEach((j, t) => { for (let k = 0; k < n; k++) c[j * n + k] += s[t] * v.data[k * n + cols[t]]; });
  const expected: number[] = [];
  for (let i = 0; i < w.rows; i++) {
    for (let k = 0; k < n; k++) {
      let sum = 0;
      for (let j = 0; j < n; j++) if (!ZERO_COLUMN[j]) sum += u.data[i * n + j] * c[j * n + k];
      expected.push(sum);
    }
  }
  assertClose(layer.getDeltaWeight('default').add(layer.baseLayer.weight).data(), expected, 1e-14, 'merged weight');
  const x = tensorOf({ rows: 3, cols: n, data: Float64Array.from({ length: 3 * n }, (_, i) => Math.sin(i + 1)) });
  layer.forward(x).sum().backward();
  const gradLambda = (layer.frodLambdaL.get('default').grad as Tensor).data();
  const gradS = (layer.frodLambdaSValues.get('default').grad as Tensor).data();
  NORMS.forEach((_, j) => { if (ZERO_COLUMN[j]) assert.is(gradLambda[j], 0, `∂/∂λ_${j}`); });
  rows.forEach((j, t) => { if (ZERO_COLUMN[j]) assert.is(gradS[t], 0, `∂/∂S[${j}][${cols[t]}]`); });
  assert.ok(gradLambda[0] !== 0 && rows.some((j, t) => !ZERO_COLUMN[j] && gradS[t] !== 0), 'the kept directions do learn');
});

function tensorOf(m: Mat): Tensor {
  return loadSafetensors(safetensorsOf({ t: { dtype: 'F64', shape: [m.rows, m.cols], data: m.data } })).tensors.t;
}

/** A minimal safetensors file (F64 / I64 entries) as bytes, written by hand so no engine code is involved. */
function safetensorsOf(entries: Record<string, { dtype: 'F64' | 'I64'; shape: number[]; data: ArrayLike<number> }>): Uint8Array {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { dtype, shape, data }] of Object.entries(entries)) {
    const bytes = dtype === 'F64'
      ? new Uint8Array(Float64Array.from(data).buffer)
      : new Uint8Array(BigInt64Array.from(Array.from(data, (x) => BigInt(x))).buffer);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const blob of blobs) { out.set(blob, at); at += blob.length; }
  return out;
}

function writeAdapter(dir: string, module: string, v: Mat, rows: number[], cols: number[], lambda: number[], s: number[]): void {
  const n = v.rows;
  fs.writeFileSync(join(dir, 'adapter_model.safetensors'), safetensorsOf({
    [`base_model.frod_V.${module}`]: { dtype: 'F64', shape: [n, n], data: v.data },
    [`base_model.frod_s_indices.${module}`]: { dtype: 'I64', shape: [2, rows.length], data: [...rows, ...cols] },
    [`base_model.frod_s_size.${module}`]: { dtype: 'I64', shape: [2], data: [n, n] },
    [`base_model.model.${module}.frod_lambda_l`]: { dtype: 'F64', shape: [n], data: lambda },
    [`base_model.model.${module}.frod_lambda_s_values`]: { dtype: 'F64', shape: [s.length], data: s },
  }));
  fs.writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'FROD', target_modules: [module], sparse_rate: 0.2 }));
}

// ---- the float64 svd-path golden case ------------------------------------------------------------------

const CASE = join(import.meta.dirname, '..', 'fixtures', 'golden-float64', 'wide64');
const info = JSON.parse(fs.readFileSync(join(CASE, 'case.json'), 'utf8')) as { targets: string[]; null_space_rows: number[] };
const [MODULE] = info.targets;
const CATEGORY = 'self_query';
const base = loadSafetensors(join(CASE, 'base.safetensors')).tensors;
const expected = loadSafetensors(join(CASE, 'expected.safetensors')).tensors;
const adapter = readAdapterDir(join(CASE, 'adapter'));
const config = adapter.config.with({ progressbar: false });
const TOL = 1e-10;
const e = (name: string) => expected[`${MODULE}.${name}`].data();

test('wide64: the case reaches the rule — float64 V, null-space λ in (0, 1e-12], trained λ and S there far from zero', () => {
  assert.is(adapter.tensors[projectionKey(CATEGORY)].dtype, 'float64');
  assert.is(base[`${MODULE}.weight`].dtype, 'float64');
  const fromFile = e('lambda_from_file_v');
  const trained = adapter.tensors[lambdaKey(MODULE)].data();
  assert.ok(info.null_space_rows.length > 0);
  for (const j of info.null_space_rows) {
    assert.ok(fromFile[j] > 0 && fromFile[j] <= 1e-12, `λ_${j} from the file's V: ${fromFile[j]}`);
    assert.ok(Math.abs(trained[j]) > 1e-3, `trained λ_${j}: ${trained[j]}`);
  }
  const rows = adapter.tensors[`base_model.frod_s_indices.${CATEGORY}`].data();
  const s = adapter.tensors[`base_model.model.${MODULE}.frod_lambda_s_values`].data();
  const nnz = s.length;
  assert.ok(Array.from({ length: nnz }, (_, t) => t).filter((t) => info.null_space_rows.includes(Number(rows[t])) && Math.abs(s[t]) > 1e-3).length >= 5,
    'S has trained entries in null-space rows');
});

test('wide64: a fresh adapter (float64) computes V and λ of the reference, tiny null-space λ included', () => {
  // The file's config says init_weights false (its noise is the "trained" values); a fresh start is plain.
  const plain = config.with({ initWeights: true });
  const fresh = initAdapterFromWeights(weightsFromStateDict(base, plain), plain, { progress: false });
  assertClose(fresh[projectionKey(CATEGORY)].data(), expected[`${CATEGORY}.v_init`].data(), TOL, 'V (canonical signs)');
  const lambda = fresh[lambdaKey(MODULE)].data();
  assertClose(lambda, e('lambda_init'), TOL, 'λ');
  for (const j of info.null_space_rows) assert.ok(lambda[j] <= 1e-12, `λ_${j} = ${lambda[j]} is below the cut`);
});

test('wide64: the merged weight matches the reference (functional API)', () => {
  const merged = mergeWeightsWithAdapter(weightsFromStateDict(base, config), adapter.tensors, config);
  const w = merged.get(`${MODULE}.weight`) as Tensor;
  assert.is(w.dtype, 'float64');
  assertClose(w.data(), e('merged_weight'), TOL, 'merged weight');
});

test('wide64: forward, gradients of x, λ and S, and mergeAndUnload match the reference (Module API)', () => {
  const peft = PeftModel.fromPretrained(moduleFromStateDict(base, 'float64'), join(CASE, 'adapter'), { isTrainable: true });
  const layer = peft.baseModel.model.getSubmodule(MODULE) as FrodLinear;
  const u = layer.frodU.get('default');
  const [out, n] = u.shape;
  for (const j of info.null_space_rows) {
    assert.ok(Array.from({ length: out }, (_, i) => u.data()[i * n + j]).every((x) => x === 0), `U's column ${j} is zero`);
  }
  const x = expected[`${MODULE}.x`].detach().requiresGrad_(true);
  const y = layer.forward(x);
  assertClose(y.data(), e('y'), TOL, 'y');
  y.mul(expected[`${MODULE}.grad_y`]).sum().backward();
  assertClose((x.grad as Tensor).data(), e('grad_x'), TOL, 'grad x');
  assertClose((layer.frodLambdaL.get('default').grad as Tensor).data(), e('grad_lambda'), TOL, 'grad λ');
  assertClose((layer.frodLambdaSValues.get('default').grad as Tensor).data(), e('grad_s_values'), TOL, 'grad S');
  const merged = peft.mergeAndUnload().getSubmodule(MODULE) as unknown as { weight: Tensor };
  assertClose(merged.weight.data(), e('merged_weight'), TOL, 'mergeAndUnload');
});

test('wide64: frod merge writes the reference\'s merged weight as F64', async () => {
  const out = join(tempDir(), 'merged.safetensors');
  const result = await frod(['merge', '--base', join(CASE, 'base.safetensors'), '--adapter', join(CASE, 'adapter'), '--out', out]);
  assert.is(result.code, 0, result.stderr);
  const file = readSafetensors(out);
  assert.is(file.entries.get(`${MODULE}.weight`)?.dtype, 'F64');
  assertClose(values(file, `${MODULE}.weight`).data, e('merged_weight'), TOL, 'frod merge');
});

test.run();
