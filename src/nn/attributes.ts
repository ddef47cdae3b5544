/**
 * The bookkeeping behind Module's PyTorch-style attributes (module.ts): which registry a property write
 * goes to, what a registered name may hold, and which names were registered by assignment.
 *
 * The rules, as PyTorch's `__setattr__`:
 * - a Module assigned to a property registers it as a child under that name, a `parameter(…)` as a
 *   parameter (taking the name over from another registry, as PyTorch does);
 * - any other value assigned to a registered name replaces the entry: a Module or null for a child, a Tensor
 *   or null for a parameter or buffer (anything else is a TypeError naming what was expected);
 * - `undefined` assigned to a registered name is ignored: it is what a TypeScript class field that only
 *   states the type (`fc1!: nn.Linear`) writes when the class is compiled with define semantics;
 * - anything else is an ordinary property, and `delete module.fc1` unregisters (as `__delattr__`).
 * Two differences, so that a module keeps one name per child: assigning a value that is already registered
 * on the module under another name makes a plain reference (an alias), and an explicit register call of a
 * value that was registered by assignment under another name turns that name into such a reference
 * (`this.baseModel = tuner; this.registerModule('base_model', tuner)` keeps the child `base_model`).
 * A plain Tensor (not made by `parameter`) is accepted for a registered parameter, where PyTorch asks for
 * an nn.Parameter: our tensors carry requiresGrad themselves, so nothing is lost.
 */
import { kindOf } from '../tensor/expect';

export type Registry = 'parameter' | 'buffer' | 'module';

/** Names registered by assignment, per registry map (a WeakMap: cloneModule's fresh maps start with none). */
const ASSIGNED = new WeakMap<Map<string, unknown>, Set<string>>();

export function assignedNames(map: Map<string, unknown>): Set<string> {
  let names = ASSIGNED.get(map);
  if (!names) ASSIGNED.set(map, (names = new Set()));
  return names;
}

/** Tensors by their fields (a type-only import of Tensor keeps nn free of import cycles). */
export const isTensorLike = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'storage' in value && 'shape' in value;

/** What a registered name of `registry` must hold when `value` does not fit, or null when it fits. */
export function misfit(registry: Registry, value: unknown, isModule: boolean): string | null {
  if (value === null) return null;
  if (registry === 'module') return isModule ? null : 'a Module or null';
  if (isModule) return 'a Tensor or null';
  return isTensorLike(value) ? null : 'a Tensor or null';
}

/** How error messages name an entry of a registry. */
export const registryNoun = (registry: Registry): string => (registry === 'module' ? 'child module' : registry);

/**
 * Whether a registry accessor for `name` may replace the module's own property `own`: nothing there yet, or
 * a data property holding nothing, a Module or a Tensor (a class field, or the assignment being registered).
 * Returns 'keep' for an accessor already defined (by an earlier registration), 'skip' for a name inherited
 * from the class (a method such as ModuleDict's `keys`: reach that entry through getSubmodule), and throws
 * for an own field holding something else, saying what to write.
 */
export function entryPlacement(
  owner: string, registry: Registry, name: string, own: PropertyDescriptor | undefined, inherited: boolean, holdsModule: boolean,
): 'define' | 'keep' | 'skip' {
  if (own && 'get' in own) return 'keep';
  if (!own) return inherited ? 'skip' : 'define';
  const held: unknown = own.value;
  if (held === undefined || held === null || holdsModule || isTensorLike(held)) return 'define';
  throw new TypeError(`${owner}: cannot register ${registryNoun(registry)} '${name}': the property '${name}' already holds ${kindOf(held)}; `
    + `give the ${registryNoun(registry)} another name, or declare the property as \`declare ${name}: …\` (or \`${name}!: …\`) without a value`);
}
