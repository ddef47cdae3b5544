/**
 * Which modules a tuner adapts, decided from dotted module paths alone, with PEFT's rules
 * (`check_target_module_exists`): a regex string must match the whole path; a list matches a path equal to an
 * entry (always kept) or ending in `.entry` (then filtered by `layers_to_transform` / `layers_pattern`);
 * `"all-linear"` (any case) means every Linear / Conv1D except the output layer; `modules_to_save` modules and
 * what lies inside them are never targets. Shared by every method (FRoD, LoRA) and the `frod` command.
 *
 * This file knows nothing about Module types: the tuner checks that every selected path is a Linear or Conv1D
 * and reports a configuration that selects nothing with {@link noTargetsMessage}.
 */

import { compileFullMatch, compileLayerRegex } from './pythonRegex';

export { compileFullMatch, compileLayerRegex, type PathPattern } from './pythonRegex';

/** What target matching reads from a config (a subset of PeftConfig). */
export interface TargetSelection {
  readonly targetModules: string | readonly string[] | null;
  readonly layersToTransform: number | readonly number[] | null;
  readonly layersPattern: string | readonly string[] | null;
  readonly modulesToSave: readonly string[] | null;
  readonly taskType?: string | null;
}

/** True when `path` equals an entry of `names` or ends in `.entry`. */
function matchesNameList(path: string, names: readonly string[]): boolean {
  return names.some((name) => path === name || path.endsWith(`.${name}`));
}

/** The layer indices to keep, or null when `layersToTransform` does not filter (null or an empty list). */
function layerFilter(layersToTransform: TargetSelection['layersToTransform']): readonly number[] | null {
  if (layersToTransform === null) return null;
  if (typeof layersToTransform === 'number') return [layersToTransform];
  return layersToTransform.length === 0 ? null : layersToTransform;
}

/**
 * The layer index that `layersToTransform` is compared with: found with each `layersPattern` in turn (the
 * first that matches wins), or with the generic `….<name>.<n>.…` rule when there is no pattern. Null when
 * the path has no such index (the module is then not adapted).
 */
export function layerIndexForFilter(path: string, layersPattern: TargetSelection['layersPattern']): number | null {
  const patterns = layersPattern === null ? [] : typeof layersPattern === 'string' ? [layersPattern] : layersPattern;
  const usable = patterns.filter((p) => p.length > 0);
  const regexes = usable.length === 0 ? [compileLayerRegex(null)] : usable.map((p) => compileLayerRegex(p));
  for (const regex of regexes) {
    const found = regex.searchGroup(path);
    if (found !== null) return Number(found);
  }
  return null;
}

/**
 * True when `path` is (or ends like) a module named in `modulesToSave`. PEFT tests this with a plain
 * `endsWith(name)` (no dot), so `classifier` also covers `pre_classifier`; we keep that rule so the same
 * modules get trainable copies here as in PEFT.
 */
export function isModuleToSave(path: string, modulesToSave: readonly string[] | null): boolean {
  return modulesToSave !== null && modulesToSave.some((name) => path.endsWith(name));
}

/**
 * True when the config's `targetModules` (and `layersToTransform`) select `path`, ignoring `modulesToSave`.
 *
 * - a string is a Python regex that must match the whole path; `layersToTransform` does not apply to it
 *   (as in PEFT and the reference);
 * - a list matches a path equal to an entry (kept in any case, PEFT's exact-key rule) or ending in `.entry`;
 *   with `layersToTransform` only such suffix matches whose layer index ({@link layerIndexForFilter}) is
 *   listed stay selected.
 */
export function matchesTarget(path: string, config: TargetSelection): boolean {
  const targets = config.targetModules;
  if (targets === null) throw new Error(noTargetModulesMessage());
  if (typeof targets === 'string') return compileFullMatch(targets).fullMatch(path);
  if (targets.includes(path)) return true; // named by its exact path: kept whatever layers_to_transform says
  if (!matchesNameList(path, targets)) return false;
  const keep = layerFilter(config.layersToTransform);
  if (keep === null) return true;
  const index = layerIndexForFilter(path, config.layersPattern);
  return index !== null && keep.includes(index);
}

/**
 * The paths FRoD adapts, in the order given: those selected by `targetModules` / `layersToTransform` that
 * are neither a `modulesToSave` module nor inside one. The empty path (the root module) is never a target.
 * May return an empty list: callers report that with {@link noTargetsMessage}.
 */
export function selectTargets(paths: readonly string[], config: TargetSelection, layerTypes?: LayerTypes): string[] {
  if (config.targetModules === null) throw new Error(noTargetModulesMessage());
  const allLinear = isAllLinear(config.targetModules);
  if (allLinear && layerTypes === undefined) {
    throw new Error(`target_modules "${ALL_LINEAR}" needs the model's layer types, which a weights file does not record: list the target modules instead`);
  }
  const regex = typeof config.targetModules === 'string' && !allLinear ? compileFullMatch(config.targetModules) : null;
  const saved = paths.filter((path) => path !== '' && isModuleToSave(path, config.modulesToSave));
  const insideSaved = (path: string) => saved.some((root) => path === root || path.startsWith(`${root}.`));
  return paths.filter((path) => {
    if (path === '' || insideSaved(path)) return false;
    if (allLinear) return layerTypes!.isLinear(path) && !isOutputLayer(path, config.taskType ?? null);
    return regex ? regex.fullMatch(path) : matchesTarget(path, config);
  });
}

/** PEFT's shorthand for every Linear / Conv1D layer except the model's output layer (matched in any case). */
export const ALL_LINEAR = 'all-linear';

/** True for `target_modules: "all-linear"` in any letter case, as PEFT compares it. */
export function isAllLinear(targets: string | readonly string[] | null): boolean {
  return typeof targets === 'string' && targets.toLowerCase() === ALL_LINEAR;
}

/** What `"all-linear"` needs to know about the model: which paths hold a Linear or Conv1D layer. */
export interface LayerTypes {
  isLinear(path: string): boolean;
}

/**
 * The output layer `"all-linear"` leaves out, as PEFT does: a language model's output embeddings
 * (`lm_head`), and for sequence classification (`task_type: "SEQ_CLS"`) the head (`classifier`, `score`).
 */
function isOutputLayer(path: string, taskType: string | null): boolean {
  if (path === 'lm_head') return true;
  return taskType === 'SEQ_CLS' && (path === 'classifier' || path === 'score');
}

/** Error text for a config without `target_modules` whose model type has no default targets (PEFT's message, with the reason). */
export function noTargetModulesMessage(modelType?: string | null): string {
  const why = modelType ? `model type "${modelType}" has no default target modules` : 'the model does not say its model type';
  return `target_modules is null and ${why}: please specify target_modules in the adapter config`;
}

/** Describes `targetModules` (and the layer filter) for error messages. */
function describeSelection(config: TargetSelection): string {
  const targets = config.targetModules;
  let text = typeof targets === 'string' ? `target_modules regex ${JSON.stringify(targets)}`
    : `target_modules ${JSON.stringify(targets)}`;
  if (typeof targets !== 'string' && layerFilter(config.layersToTransform) !== null) {
    text += ` with layers_to_transform ${JSON.stringify(config.layersToTransform)}`;
    if (config.layersPattern !== null) text += ` and layers_pattern ${JSON.stringify(config.layersPattern)}`;
  }
  return text;
}

/**
 * The one-line error for a configuration that selects no module, listing `target_modules` (and the layer
 * filter) and, when given, how many module paths were searched.
 */
export function noTargetsMessage(method: string, config: TargetSelection, searchedPaths?: number): string {
  const searched = searchedPaths === undefined ? '' : ` among ${searchedPaths} module path${searchedPaths === 1 ? '' : 's'}`;
  return `${method}: ${describeSelection(config)} matched no module${searched}; check target_modules against the model's module names`;
}
