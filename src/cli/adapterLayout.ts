/**
 * What an adapter file holds, read from its tensor names and shapes alone (the layout of docs/frod-math.md
 * §10, "What gets saved") — no tensor is decoded. Used by `frod inspect` and for the summaries of
 * `frod init` / `frod merge`.
 */
import { categoryOf } from '../frod/categories';
import { isModuleToSave } from '../peft/targets';
import { parseAdapterKey } from '../frod/keys';
import type { FrodConfig } from '../frod/config';
import type { ParsedSafetensors, RawEntry } from '../nn/io/format';
import { CliError } from './io';
import { numelOf, shapeText } from './tensors';

/** One adapted module of an adapter file. */
export interface AdaptedModule {
  path: string;
  category: string;
  /** `frod_lambda_l`: `(in,)`. */
  lambda: RawEntry;
  /** `frod_lambda_s_values`: `(nnz,)`. */
  sValues: RawEntry;
}

/** One category of an adapter file. */
export interface AdapterCategory {
  name: string;
  inFeatures: number;
  nnz: number;
  modules: string[];
  /** Whether V, s_indices and s_size are stored (else they are regenerated from the base at load). */
  projectionStored: boolean;
}

/** The layout of an adapter file. */
export interface AdapterLayout {
  modules: AdaptedModule[];
  categories: AdapterCategory[];
  /** Plain model tensors the adapter carries (modules_to_save copies, trained biases): state-dict name → entry. */
  otherTensors: Map<string, RawEntry>;
  /** Σ (in + nnz) over adapted modules, plus the elements of the other tensors. */
  trainableParameters: number;
}

interface CategoryParts {
  projection?: RawEntry;
  sIndices?: RawEntry;
  sSize?: RawEntry;
}

function collect(model: ParsedSafetensors, file: string) {
  const lambdas = new Map<string, RawEntry>();
  const sValues = new Map<string, RawEntry>();
  const categories = new Map<string, CategoryParts>();
  const otherTensors = new Map<string, RawEntry>();
  for (const [key, entry] of model.entries) {
    let parsed;
    try {
      parsed = parseAdapterKey(key);
    } catch (err) {
      throw new CliError(file, (err as Error).message);
    }
    if (parsed.kind === 'lambda') lambdas.set(parsed.path, entry);
    else if (parsed.kind === 'sValues') sValues.set(parsed.path, entry);
    else if (parsed.kind === 'modelTensor') otherTensors.set(parsed.name, entry);
    else {
      const parts = categories.get(parsed.category) ?? {};
      parts[parsed.kind] = entry;
      categories.set(parsed.category, parts);
    }
  }
  return { lambdas, sValues, categories, otherTensors };
}

function expectShape(file: string, what: string, entry: RawEntry, shape: readonly number[]): void {
  const ok = entry.shape.length === shape.length && entry.shape.every((dim, i) => dim === shape[i]);
  if (!ok) throw new CliError(file, `${what} has shape ${shapeText(entry.shape)}, expected ${shapeText(shape)}`);
}

/**
 * Reads the layout of adapter file `file` and checks that it is consistent: every module has λ `(in,)`
 * and S values `(nnz,)`, the modules of a category agree on `in` and `nnz`, and stored projections have
 * shapes `(in, in)`, `(2, nnz)` and `(2,)`. Categories sorted by name, modules by category then path.
 */
export function readAdapterLayout(model: ParsedSafetensors, file: string): AdapterLayout {
  const { lambdas, sValues, categories, otherTensors } = collect(model, file);
  for (const path of sValues.keys()) {
    if (!lambdas.has(path)) throw new CliError(file, `module '${path}' has frod_lambda_s_values but no frod_lambda_l`);
  }
  const modules: AdaptedModule[] = [];
  for (const [path, lambda] of lambdas) {
    const values = sValues.get(path);
    if (values === undefined) throw new CliError(file, `module '${path}' has frod_lambda_l but no frod_lambda_s_values`);
    if (lambda.shape.length !== 1) throw new CliError(file, `frod_lambda_l of '${path}' has shape ${shapeText(lambda.shape)}, expected (in,)`);
    if (values.shape.length !== 1) throw new CliError(file, `frod_lambda_s_values of '${path}' has shape ${shapeText(values.shape)}, expected (nnz,)`);
    modules.push({ path, category: categoryOf(path), lambda, sValues: values });
  }
  modules.sort((a, b) => (a.category === b.category ? (a.path < b.path ? -1 : 1) : a.category < b.category ? -1 : 1));
  const names = [...new Set([...modules.map((m) => m.category), ...categories.keys()])].sort();
  const summary: AdapterCategory[] = names.map((name) => {
    const members = modules.filter((m) => m.category === name);
    const parts = categories.get(name) ?? {};
    const first = members[0];
    const inFeatures = first ? first.lambda.shape[0] : (parts.projection?.shape[0] ?? 0);
    const nnz = first ? first.sValues.shape[0] : (parts.sIndices?.shape[1] ?? 0);
    for (const member of members) {
      expectShape(file, `frod_lambda_l of '${member.path}'`, member.lambda, [inFeatures]);
      expectShape(file, `frod_lambda_s_values of '${member.path}'`, member.sValues, [nnz]);
    }
    if (parts.projection) expectShape(file, `frod_V of category '${name}'`, parts.projection, [inFeatures, inFeatures]);
    if (parts.sIndices) expectShape(file, `frod_s_indices of category '${name}'`, parts.sIndices, [2, nnz]);
    if (parts.sSize) expectShape(file, `frod_s_size of category '${name}'`, parts.sSize, [2]);
    const stored = [parts.projection, parts.sIndices, parts.sSize].filter(Boolean).length;
    if (stored !== 0 && stored !== 3) {
      throw new CliError(file, `category '${name}' stores only some of frod_V, frod_s_indices and frod_s_size (all three or none)`);
    }
    return { name, inFeatures, nnz, modules: members.map((m) => m.path), projectionStored: stored === 3 };
  });
  let trainableParameters = modules.reduce((sum, m) => sum + numelOf(m.lambda.shape) + numelOf(m.sValues.shape), 0);
  for (const entry of otherTensors.values()) trainableParameters += numelOf(entry.shape);
  return { modules, categories: summary, otherTensors, trainableParameters };
}

/**
 * Parameters an adapter adds to the model: its λ and S values, and its modules_to_save copies (trained
 * biases are the base model's own parameters, so they add nothing).
 */
export function addedParameters(layout: AdapterLayout, config: FrodConfig): number {
  let added = layout.modules.reduce((sum, m) => sum + numelOf(m.lambda.shape) + numelOf(m.sValues.shape), 0);
  for (const [name, entry] of layout.otherTensors) {
    const parts = name.split('.');
    const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
    if (prefixes.some((prefix) => isModuleToSave(prefix, config.modulesToSave))) added += numelOf(entry.shape);
  }
  return added;
}
