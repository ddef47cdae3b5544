/**
 * Tensor names of `adapter_model.safetensors` (docs/frod-math.md §10). Adapter names never appear in keys.
 *
 * For an adapted module at path `P` in category `C`:
 * - `base_model.model.P.frod_lambda_l` (λ, `(in,)`) and `base_model.model.P.frod_lambda_s_values` (`(nnz,)`);
 * - once per category `base_model.frod_V.C` (`(in, in)`), `base_model.frod_s_indices.C` (int64 `(2, nnz)`)
 *   and `base_model.frod_s_size.C` (int64 `[in, in]`).
 * Other `base_model.model.<name>` tensors (`modulesToSave` copies, trained biases) are plain model tensors.
 */

const MODEL_PREFIX = 'base_model.model.';
const LAMBDA_SUFFIX = '.frod_lambda_l';
const S_VALUES_SUFFIX = '.frod_lambda_s_values';
const CATEGORY_PREFIXES = {
  projection: 'base_model.frod_V.',
  sIndices: 'base_model.frod_s_indices.',
  sSize: 'base_model.frod_s_size.',
} as const;
/** Parts that only FRoD's own tensors use; anywhere but last (e.g. followed by an adapter name) they are an error. */
const FROD_NAMES = new Set(['frod_lambda_l', 'frod_lambda_s_values', 'frod_V', 'frod_s_indices', 'frod_s_size']);

/** What a tensor of an adapter file holds. */
export type AdapterKey =
  | { readonly kind: 'lambda'; readonly path: string }
  | { readonly kind: 'sValues'; readonly path: string }
  | { readonly kind: 'projection'; readonly category: string }
  | { readonly kind: 'sIndices'; readonly category: string }
  | { readonly kind: 'sSize'; readonly category: string }
  /** Any other model tensor (`modulesToSave` copy, bias): `name` is its state-dict name in the base model. */
  | { readonly kind: 'modelTensor'; readonly name: string };

function checkPath(path: string, what: string): string {
  if (path.length === 0 || path.split('.').some((part) => part.length === 0)) {
    throw new Error(`${what}: expected a dotted module path, got ${JSON.stringify(path)}`);
  }
  return path;
}

function checkCategory(category: string, what: string): string {
  if (category.length === 0 || category.includes('.')) {
    throw new Error(`${what}: expected a category name without dots, got ${JSON.stringify(category)}`);
  }
  return category;
}

/** `base_model.model.<path>.frod_lambda_l`: the trained diagonal λ `(in,)` of module `path`. */
export function lambdaKey(path: string): string {
  return `${MODEL_PREFIX}${checkPath(path, 'lambdaKey')}${LAMBDA_SUFFIX}`;
}

/** `base_model.model.<path>.frod_lambda_s_values`: the trained values `(nnz,)` of `S` for module `path`. */
export function sValuesKey(path: string): string {
  return `${MODEL_PREFIX}${checkPath(path, 'sValuesKey')}${S_VALUES_SUFFIX}`;
}

/** `base_model.frod_V.<category>`: the shared basis `V` `(in, in)`. */
export function projectionKey(category: string): string {
  return `${CATEGORY_PREFIXES.projection}${checkCategory(category, 'projectionKey')}`;
}

/** `base_model.frod_s_indices.<category>`: the COO pattern, int64 `(2, nnz)`. */
export function sIndicesKey(category: string): string {
  return `${CATEGORY_PREFIXES.sIndices}${checkCategory(category, 'sIndicesKey')}`;
}

/** `base_model.frod_s_size.<category>`: int64 `[in, in]`. */
export function sSizeKey(category: string): string {
  return `${CATEGORY_PREFIXES.sSize}${checkCategory(category, 'sSizeKey')}`;
}

function unknownKey(key: string): never {
  throw new Error(`adapter tensor ${JSON.stringify(key)}: expected base_model.model.<module>.frod_lambda_l, `
    + 'base_model.model.<module>.frod_lambda_s_values, base_model.frod_V.<category>, '
    + 'base_model.frod_s_indices.<category>, base_model.frod_s_size.<category> or another base_model.model.<tensor>');
}

/**
 * Classifies a tensor name of an adapter file. A name outside the grammar of docs/frod-math.md §10 — including a
 * FRoD tensor name in an unexpected place, such as one that still carries an adapter name — throws a one-line
 * error that quotes the name and lists the accepted forms.
 */
export function parseAdapterKey(key: string): AdapterKey {
  for (const kind of ['projection', 'sIndices', 'sSize'] as const) {
    const prefix = CATEGORY_PREFIXES[kind];
    if (key.startsWith(prefix)) {
      const category = key.slice(prefix.length);
      if (category.length === 0 || category.includes('.')) unknownKey(key);
      return { kind, category };
    }
  }
  if (!key.startsWith(MODEL_PREFIX)) unknownKey(key);
  const rest = key.slice(MODEL_PREFIX.length);
  const parts = rest.split('.');
  if (parts.some((part) => part.length === 0)) unknownKey(key);
  const last = parts[parts.length - 1];
  const frodAt = parts.findIndex((part) => FROD_NAMES.has(part));
  if (frodAt === -1) return { kind: 'modelTensor', name: rest };
  if (frodAt !== parts.length - 1 || parts.length < 2) unknownKey(key);
  const path = parts.slice(0, -1).join('.');
  if (last === 'frod_lambda_l') return { kind: 'lambda', path };
  if (last === 'frod_lambda_s_values') return { kind: 'sValues', path };
  return unknownKey(key);
}

/** The key that {@link parseAdapterKey} would classify as `parsed` (its inverse). */
export function formatAdapterKey(parsed: AdapterKey): string {
  switch (parsed.kind) {
    case 'lambda': return lambdaKey(parsed.path);
    case 'sValues': return sValuesKey(parsed.path);
    case 'projection': return projectionKey(parsed.category);
    case 'sIndices': return sIndicesKey(parsed.category);
    case 'sSize': return sSizeKey(parsed.category);
    case 'modelTensor': return `${MODEL_PREFIX}${checkPath(parsed.name, 'formatAdapterKey')}`;
  }
}
