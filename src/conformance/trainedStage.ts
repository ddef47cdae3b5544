/**
 * The trained stage: each adapter of a case saved with fixed "trained" λ, S values (and biases, per its
 * bias mode) in PEFT's adapter layout, with the V and pattern it carries; and what loading it must give —
 * U·diag(λ), the merged weight, the forward of every module, and the gradients of λ, S and the trainable
 * biases for the loss L = Σ_modules sum(y ⊙ g). Given V and the pattern, all of these are determined, so
 * they are compared directly.
 */
import { type Mat, mat } from '../linalg/kernels';
import { adapterFiles } from '../frod/checkpoint';
import { lambdaKey, projectionKey, sIndicesKey, sSizeKey, sValuesKey } from '../frod/keys';
import { roundToDType } from '../frod/weights';
import { type Tensor, tensor } from '../tensor';
import type { CaseContext } from './caseContext';
import { type AdapterInfo, type CategoryInfo, forwardCheck } from './initStage';
import { ROUNDING } from './manifest';
import { type LayerFactors, absolute, largest, layerGradients, mergedMagnitude, mergedWeight, referenceDecomposition } from './reference';
import { Draws } from './values';

/** A trained layer: its factors as the file gives them (float64 of the stored values). */
interface TrainedLayer {
  readonly factors: LayerFactors;
  /** Rows r of S (and entries of λ) where U's column is not determined: λ ≈ 0 there. */
  readonly nullRows: readonly number[];
  readonly kappa: number;
}

/** Float64 values of `values` once stored as `dtype`. */
function stored(values: Float64Array, dtype: Tensor['dtype']): Float64Array {
  return roundToDType(values, dtype === 'int32' ? 'float32' : dtype);
}

/** One adapter as its trained file gives it: the layers by path and the biases it trains, as stored. */
interface TrainedAdapter {
  readonly layers: ReadonlyMap<string, TrainedLayer>;
  readonly biases: ReadonlyMap<string, Float64Array>;
}

/** Builds one adapter's trained values and writes its files. */
function trainAdapter(ctx: CaseContext, info: AdapterInfo, files: Map<string, Uint8Array>): TrainedAdapter {
  const draws = new Draws(ctx.seed, ctx.spec.id, `trained/${info.name}`);
  const dtype = ctx.dtype;
  const vectorDType = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  const tensors: Record<string, Tensor> = {};
  const layers = new Map<string, TrainedLayer>();
  const biases = new Map<string, Float64Array>();
  for (const category of info.categories) {
    const n = category.basis.v.cols;
    const v = mat(n, n, roundToDType(category.basis.v.data, dtype));
    const p = category.pattern;
    tensors[projectionKey(category.name)] = tensor(v.data, { dtype, shape: [n, n] });
    tensors[sIndicesKey(category.name)] = tensor(Int32Array.from([...p.rows, ...p.cols]), { dtype: 'int32', shape: [2, p.nnz] });
    tensors[sSizeKey(category.name)] = tensor(new Int32Array([n, n]), { dtype: 'int32', shape: [2] });
    const kappa = category.basis.spectrum.kappa;
    for (const path of category.paths) layers.set(path, trainLayer(ctx, path, v, category, kappa, draws, vectorDType, tensors));
  }
  for (const [path, bias] of ctx.biases) {
    if (!biasTrains(info, path)) continue;
    const trained = stored(bias.map((b) => b + draws.uniform(-0.05, 0.05)), dtype);
    biases.set(path, trained);
    const adapted = info.targets.includes(path);
    tensors[`base_model.model.${path}${adapted ? '.base_layer' : ''}.bias`] = tensor(trained, { dtype });
  }
  const config = info.config.with({ inferenceMode: true });
  const written = adapterFiles(config, tensors);
  const dir = `cases/${ctx.spec.id}/trained/${info.name}`;
  files.set(`${dir}/adapter_config.json`, new TextEncoder().encode(written.configJson));
  files.set(`${dir}/adapter_model.safetensors`, written.safetensors);
  return { layers, biases };
}

function trainLayer(ctx: CaseContext, path: string, v: Mat, category: CategoryInfo, kappa: number, draws: Draws,
  vectorDType: Tensor['dtype'], tensors: Record<string, Tensor>): TrainedLayer {
  const { u, lambda: start } = referenceDecomposition(v, ctx.weights.get(path) as Mat);
  // A direction the weight does not use has λ at the level of V's rounding (times κ(V)): its U column is
  // noise that each implementation computes differently, so it keeps its λ, gets no S entries, and its
  // gradients are not compared.
  const cut = Math.max(1e-9, 50 * ROUNDING[ctx.dtype] * kappa) * largest(start);
  const nullRows = Array.from(start.keys()).filter((r) => start[r] <= cut);
  const lambda = stored(start.map((l, r) => (nullRows.includes(r) ? l : l * (1 + draws.uniform(-0.1, 0.1)))), vectorDType);
  const p = category.pattern;
  const sValues = stored(Float64Array.from({ length: p.nnz }, (_, k) => (nullRows.includes(p.rows[k]) ? 0 : draws.uniform(-0.05, 0.05))), vectorDType);
  tensors[lambdaKey(path)] = tensor(lambda, { dtype: vectorDType });
  tensors[sValuesKey(path)] = tensor(sValues, { dtype: vectorDType });
  return { factors: { u, v, lambda, pattern: p, sValues }, nullRows, kappa };
}

/** Whether adapter `info` trains (and saves) the bias of `path`. */
function biasTrains(info: AdapterInfo, path: string): boolean {
  return info.config.bias === 'all' || (info.config.bias === 'frod_only' && info.targets.includes(path));
}

function layerChecks(ctx: CaseContext, info: AdapterInfo, path: string, layer: TrainedLayer, bias: Float64Array | null): void {
  const prefix = `trained/${info.name}`;
  const { factors: f, kappa, nullRows } = layer;
  const tolerances = ctx.tolerances('direct', kappa);
  const n = f.v.cols;
  const b = mat(f.u.rows, n, f.u.data.map((x, i) => x * f.lambda[i % n]));
  ctx.check({ output: `${prefix}/U_lambda/${path}`, expected: `${prefix}/U_lambda/${path}`, rule: 'direct', what: `U·diag(λ) of ${path} (V from the file)`, scale: largest(f.lambda), ...tolerances }, b.data, [b.rows, n]);
  const merged = ctx.storedWeight(path, mergedWeight(f));
  ctx.check({ output: `${prefix}/merged/${path}`, expected: `${prefix}/merged/${path}`, rule: 'direct', what: `W′ of ${path} (trained)`, scale: largest(mergedMagnitude(f)), ...tolerances }, merged.data, [merged.rows, merged.cols]);
  forwardCheck(ctx, prefix, path, mergedWeight(f), mergedMagnitude(f), bias, '(trained)', kappa);
  const { x, g } = ctx.inputs.get(path) as { x: Mat; g: Mat };
  const grads = layerGradients(f, x, g);
  const why = 'rows of S / entries of λ whose direction the weight does not use (λ ≈ 0): U\'s column there is rounding noise';
  const lambdaOut = `${prefix}/grad_lambda/${path}`;
  ctx.check({
    output: lambdaOut, expected: lambdaOut, rule: 'direct', what: `∂L/∂λ of ${path}`, scale: largest(grads.lambdaScale), ...tolerances,
    ...(nullRows.length ? { exclude: { indices: nullRows, why } } : {}),
  }, grads.lambda, [n]);
  const sOut = `${prefix}/grad_s/${path}`;
  const nullEntries = Array.from(f.pattern.rows.keys()).filter((k) => nullRows.includes(f.pattern.rows[k]));
  ctx.check({
    output: sOut, expected: sOut, rule: 'direct', what: `∂L/∂S values of ${path}`, scale: largest(grads.sValuesScale), ...tolerances,
    ...(nullEntries.length ? { exclude: { indices: nullEntries, why } } : {}),
  }, grads.sValues, [f.pattern.nnz]);
}

/** ∂L/∂b = Σ over the batch of g, the same for every layer type. */
function biasGradientCheck(ctx: CaseContext, info: AdapterInfo, path: string): void {
  const { g } = ctx.inputs.get(path) as { g: Mat };
  const grad = new Float64Array(g.cols), scale = new Float64Array(g.cols);
  for (let i = 0; i < g.data.length; i++) {
    grad[i % g.cols] += g.data[i];
    scale[i % g.cols] += Math.abs(g.data[i]);
  }
  const output = `trained/${info.name}/grad_bias/${path}`;
  ctx.check({ output, expected: output, rule: 'direct', what: `∂L/∂bias of ${path}`, scale: largest(scale), ...ctx.tolerances('direct') }, grad, [g.cols]);
}

/** Adds the trained checks of every adapter (and the merge of all of them) and writes the trained files. */
export function trainedStage(ctx: CaseContext, infos: readonly AdapterInfo[], files: Map<string, Uint8Array>): void {
  const merges = new Map<string, { merged: Mat; magnitude: Mat; kappa: number }>();
  for (const info of infos) {
    const { layers, biases } = trainAdapter(ctx, info, files);
    for (const m of ctx.spec.modules) {
      const bias = biases.get(m.path) ?? ctx.biases.get(m.path) ?? null;
      const layer = layers.get(m.path);
      if (layer) layerChecks(ctx, info, m.path, layer, bias);
      else {
        const w = ctx.weights.get(m.path) as Mat;
        forwardCheck(ctx, `trained/${info.name}`, m.path, w, absolute(w), bias, '(not adapted by this adapter)');
      }
      if (bias && biasTrains(info, m.path)) biasGradientCheck(ctx, info, m.path);
    }
    for (const [path, layer] of layers) {
      const w = ctx.weights.get(path) as Mat;
      const sum = merges.get(path) ?? { merged: mat(w.rows, w.cols, w.data.slice()), magnitude: absolute(w), kappa: 1 };
      const adapted = mergedWeight(layer.factors), magnitude = mergedMagnitude(layer.factors);
      for (let i = 0; i < w.data.length; i++) {
        sum.merged.data[i] += adapted.data[i] - w.data[i];
        sum.magnitude.data[i] += magnitude.data[i];
      }
      merges.set(path, { ...sum, kappa: Math.max(sum.kappa, layer.kappa) });
    }
  }
  if (infos.length < 2) return;
  for (const [path, { merged, magnitude, kappa }] of [...merges].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const out = ctx.storedWeight(path, merged);
    ctx.check({ output: `trained/merged_all/${path}`, expected: `trained/merged_all/${path}`, rule: 'direct', what: `W of ${path} with every adapter merged`, scale: largest(magnitude), ...ctx.tolerances('direct', kappa) }, out.data, [out.rows, out.cols]);
  }
}
