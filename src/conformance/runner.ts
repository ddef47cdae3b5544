/**
 * frod-ts as an implementation under test: runs the kit's protocol on a suite directory through the
 * user-facing API — a Module tree with the case's names, `getPeftModel` / `addAdapter`, `PeftModel.fromPretrained`
 * / `loadAdapter` on the trained adapter directories, the layers' forward, autograd, `mergeAdapter` — and
 * returns the outputs in the kit's layout. This path shares no code with the export's float64 reference
 * (./reference.ts) beyond target selection and category names. Node only (it reads the suite's files).
 */
import { noGrad } from '../autograd';
import { FrodConfig } from '../frod/config';
import type { FrodLinear } from '../frod/layer';
import type { FrodModel } from '../frod/model';
import '../frod/model'; // registers FRoD with getPeftModel / PeftModel
import { Conv1D, Linear, Module, parameter } from '../nn';
import { type SafetensorsValue, loadSafetensors, safetensorsBytes } from '../nn/io';
import { parseAdapterConfigText } from '../peft/adapterFiles';
import { getPeftModel } from '../peft/mapping';
import { PeftModel } from '../peft/peftModel';
import { type Tensor, tensor } from '../tensor';
import { nodeFs, nodePath } from '../util/node';
import type { CaseEntry, Manifest } from './manifest';

/** A module that only holds children (the containers of a case's module tree). */
class Container extends Module {}

/** The case's model: every module at its dotted path, with the base file's weights. */
function buildModel(entry: CaseEntry, base: Readonly<Record<string, Tensor>>): Module {
  const root = new Container();
  for (const m of entry.modules) {
    const parts = m.path.split('.');
    let parent: Module = root;
    for (const part of parts.slice(0, -1)) {
      const child = parent.namedChildren().find(([name]) => name === part)?.[1];
      if (child) parent = child;
      else {
        const made = new Container();
        parent.registerModule(part, made);
        parent = made;
      }
    }
    const dtype = entry.dtype;
    const layer = m.kind === 'conv1d'
      ? new Conv1D(m.out_features, m.in_features, { dtype })
      : new Linear(m.in_features, m.out_features, { dtype, bias: m.bias });
    layer.registerParameter('weight', parameter(base[`${m.path}.weight`]));
    layer.registerParameter('bias', m.bias ? parameter(base[`${m.path}.bias`]) : null);
    parent.registerModule(parts[parts.length - 1], layer);
  }
  return root;
}

/** Outputs of one case: tensors and lists. */
interface CaseOutputs {
  readonly tensors: Record<string, SafetensorsValue>;
  readonly lists: Record<string, string[]>;
}

function frodLayers(peft: PeftModel, adapter: string): [string, FrodLinear][] {
  return (peft.baseModel as FrodModel).frodLayers().filter(([, layer]) => layer.adapterNames().includes(adapter));
}

/** U·diag(λ) of a layer's adapter, float64. */
function uLambda(layer: FrodLinear, adapter: string): Tensor {
  return layer.frodU.get(adapter).double().mul(layer.frodLambdaL.get(adapter).detach().double());
}

/** The weight of `path` with `adapters` merged, in the stored orientation (then unmerged again). */
function mergedWeights(peft: PeftModel, adapters: readonly string[], paths: readonly string[]): Map<string, Tensor> {
  peft.mergeAdapter(adapters);
  const out = new Map(paths.map((p) => [p, (peft.model.getSubmodule(p) as FrodLinear).getBaseLayer().weight.detach().clone()]));
  peft.unmergeAdapter();
  return out;
}

function initStage(dir: string, entry: CaseEntry, base: Record<string, Tensor>, inputs: Record<string, Tensor>, out: CaseOutputs): void {
  const path = nodePath('conformance run');
  const fs = nodeFs('conformance run');
  const configOf = (a: string) => FrodConfig.fromJSON(parseAdapterConfigText(fs.readFileSync(path.join(dir, 'adapters', a, 'adapter_config.json'))));
  const [first, ...others] = entry.adapters;
  const peft = getPeftModel(buildModel(entry, base), configOf(first), first);
  for (const a of others) peft.addAdapter(a, configOf(a));
  for (const a of entry.adapters) {
    peft.setAdapter(a);
    const layers = frodLayers(peft, a);
    const prefix = `init/${a}`;
    out.lists[`${prefix}/targets`] = layers.map(([p]) => p);
    out.lists[`${prefix}/saved_keys`] = Object.keys(peft.baseModel.checkpointTensors(a));
    for (const [p, layer] of layers) {
      const category = layer.categoryOf(a);
      const n = category.inFeatures;
      out.tensors[`${prefix}/V/${category.name}`] = tensor(category.v.data, { dtype: 'float64', shape: [n, n] });
      out.tensors[`${prefix}/pattern/${category.name}`] = { tensor: category.checkpointTensors()[`base_model.frod_s_indices.${category.name}`], dtype: 'I64' };
      out.tensors[`${prefix}/lambda/${p}`] = layer.frodLambdaL.get(a).detach();
      out.tensors[`${prefix}/U_lambda/${p}`] = uLambda(layer, a);
    }
    for (const [p, w] of mergedWeights(peft, [a], layers.map(([p]) => p))) out.tensors[`${prefix}/merged/${p}`] = w;
    noGrad(() => {
      for (const m of entry.modules) out.tensors[`${prefix}/forward/${m.path}`] = (peft.model.getSubmodule(m.path).forward as (x: Tensor) => Tensor)(inputs[`x/${m.path}`]);
    });
  }
}

function trainedStage(dir: string, entry: CaseEntry, base: Record<string, Tensor>, inputs: Record<string, Tensor>, out: CaseOutputs): void {
  const path = nodePath('conformance run');
  const trainedDir = (a: string) => path.join(dir, 'trained', a);
  const [first, ...others] = entry.adapters;
  const peft = PeftModel.fromPretrained(buildModel(entry, base), trainedDir(first), { adapterName: first, isTrainable: true });
  for (const a of others) peft.loadAdapter(trainedDir(a), a, { isTrainable: true });
  for (const a of entry.adapters) {
    peft.setAdapter(a);
    const prefix = `trained/${a}`;
    peft.zeroGrad();
    let loss: Tensor | null = null;
    for (const m of entry.modules) {
      const y = (peft.model.getSubmodule(m.path).forward as (x: Tensor) => Tensor)(inputs[`x/${m.path}`]);
      out.tensors[`${prefix}/forward/${m.path}`] = y.detach();
      const term = y.mul(inputs[`g/${m.path}`]).sum();
      loss = loss ? loss.add(term) : term;
    }
    (loss as Tensor).backward();
    const layers = frodLayers(peft, a);
    for (const [p, layer] of layers) {
      // A parameter that took no part in the loss (S with no entries) has no gradient: its gradient is zero.
      const gradOf = (t: Tensor) => t.grad ?? t.detach().mul(0);
      out.tensors[`${prefix}/grad_lambda/${p}`] = gradOf(layer.frodLambdaL.get(a));
      out.tensors[`${prefix}/grad_s/${p}`] = gradOf(layer.frodLambdaSValues.get(a));
      out.tensors[`${prefix}/U_lambda/${p}`] = uLambda(layer, a);
    }
    for (const m of entry.modules) {
      const bias = (peft.model.getSubmodule(m.path) as Module).namedParameters().find(([n]) => n === 'bias' || n === 'base_layer.bias')?.[1];
      if (bias?.requiresGrad && bias.grad) out.tensors[`${prefix}/grad_bias/${m.path}`] = bias.grad;
    }
    for (const [p, w] of mergedWeights(peft, [a], layers.map(([p]) => p))) out.tensors[`${prefix}/merged/${p}`] = w;
  }
  if (entry.adapters.length > 1) {
    const paths = [...new Set(entry.adapters.flatMap((a) => frodLayers(peft, a).map(([p]) => p)))];
    for (const [p, w] of mergedWeights(peft, entry.adapters, paths)) out.tensors[`trained/merged_all/${p}`] = w;
  }
}

/** One case's outputs: cases/<id>/outputs.safetensors and outputs.json, as bytes. */
export function runCase(suiteDir: string, entry: CaseEntry): { safetensors: Uint8Array; json: Uint8Array } {
  const path = nodePath('conformance run');
  const dir = path.join(suiteDir, 'cases', entry.id);
  const base = loadSafetensors(path.join(dir, 'base.safetensors')).tensors;
  const inputs = loadSafetensors(path.join(dir, 'inputs.safetensors')).tensors;
  const out: CaseOutputs = { tensors: {}, lists: {} };
  initStage(dir, entry, base, inputs, out);
  trainedStage(dir, entry, base, inputs, out);
  const lists = Object.fromEntries(Object.entries(out.lists).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { safetensors: safetensorsBytes(out.tensors, { format: 'pt' }), json: new TextEncoder().encode(`${JSON.stringify(lists, null, 2)}\n`) };
}

/** implementation.json of frod-ts: its own pattern generator, float64 arithmetic for float64 models. */
export function implementationJson(version: string): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ name: `frod-ts ${version}`, pattern_rng: 'frod-ts', precision: null }, null, 2)}\n`);
}

/** Runs every case of a suite: relative output path → bytes. */
export function runSuite(suiteDir: string, manifest: Manifest, version: string, onCase?: (id: string) => void): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>([['implementation.json', implementationJson(version)]]);
  for (const entry of manifest.cases) {
    onCase?.(entry.id);
    const { safetensors, json } = runCase(suiteDir, entry);
    files.set(`cases/${entry.id}/outputs.safetensors`, safetensors);
    files.set(`cases/${entry.id}/outputs.json`, json);
  }
  return files;
}

