/**
 * Module categories and layer indices (docs/frod-math.md §1).
 *
 * FRoD shares one basis `V` among all targeted modules that play the same role in different blocks
 * ("every layer's query projection"). The role is read from the module's dotted path, and the blocks are
 * ordered by the layer index found in the same path.
 */

/** True for a path part made only of ASCII digits (a position inside a ModuleList). */
function isIndexPart(part: string): boolean {
  return /^[0-9]+$/.test(part);
}

/**
 * The category (shared-basis role) of a dotted module path.
 *
 * - a one-part path is its own category (`lin1` → `lin1`);
 * - if the second-to-last part is a number, the last part (`layers.3.fc` → `fc`);
 * - otherwise the last two parts joined by `_` (`model.layers.3.self_attn.q_proj` → `self_attn_q_proj`),
 *   except that `….attention.output.dense` is `attention_output`, so BERT's attention output and MLP output
 *   (both `output.dense`) keep separate bases.
 */
export function categoryOf(path: string): string {
  const parts = path.split('.');
  if (parts.length === 1) return parts[0];
  const last = parts[parts.length - 1];
  const parent = parts[parts.length - 2];
  if (isIndexPart(parent)) return last;
  const category = `${parent}_${last}`;
  if (category === 'output_dense' && parts.length >= 3 && parts[parts.length - 3] === 'attention') {
    return 'attention_output';
  }
  return category;
}

/**
 * The layer (block) index of a dotted module path: the number right after a `layers` part if there is one,
 * else the first numeric part, else `fallback` (the module's position among the targets, which keeps the
 * order deterministic for paths without any number).
 */
export function layerIndexOf(path: string, fallback: number): number {
  const parts = path.split('.');
  const layersAt = parts.indexOf('layers');
  if (layersAt >= 0 && layersAt + 1 < parts.length && isIndexPart(parts[layersAt + 1])) {
    return Number(parts[layersAt + 1]);
  }
  const firstIndex = parts.find(isIndexPart);
  return firstIndex === undefined ? fallback : Number(firstIndex);
}

/** One category and its member modules, in the order their weights are stacked. */
export interface CategoryGroup {
  /** Category name (see {@link categoryOf}). */
  readonly name: string;
  /** Module paths ordered by layer index, ties broken by path. */
  readonly paths: readonly string[];
  /** Layer index of each entry of `paths`. */
  readonly layerIndices: readonly number[];
}

/** Compares two strings by UTF-16 code units (locale-independent, like Python's `<` on BMP text). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups target module paths into categories.
 *
 * Returns the categories sorted by name; inside each, members are ordered by layer index (the fallback for a
 * path without numbers is its position in `paths`), ties broken by path. `paths` is not modified.
 * Duplicate paths are an error.
 */
export function groupByCategory(paths: readonly string[]): CategoryGroup[] {
  const seen = new Set<string>();
  const members = new Map<string, { index: number; path: string }[]>();
  paths.forEach((path, position) => {
    if (seen.has(path)) throw new Error(`groupByCategory: module path "${path}" is listed twice`);
    seen.add(path);
    const name = categoryOf(path);
    const list = members.get(name) ?? [];
    list.push({ index: layerIndexOf(path, position), path });
    members.set(name, list);
  });
  return [...members.keys()].sort(compareText).map((name) => {
    const list = (members.get(name) ?? []).sort((a, b) => a.index - b.index || compareText(a.path, b.path));
    return { name, paths: list.map((m) => m.path), layerIndices: list.map((m) => m.index) };
  });
}
