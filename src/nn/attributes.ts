/**
 * The bookkeeping behind Module's PyTorch-style attributes (module.ts): which registry a property write
 * goes to, what a registered name may hold, and which names were registered by assignment.
 *
 * The rules, as PyTorch's `__setattr__`: a Module or a `parameter(…)` assigned to a new property is
 * registered under that name; a value assigned to a registered name replaces the entry (a Module or null for
 * a child, a Tensor or null for a parameter or buffer); anything else is an ordinary property. Two
 * differences, so that a module keeps one name per child: assigning a value that is already registered on
 * the module under another name makes a plain reference (an alias), and an explicit register call of a value
 * that was registered by assignment under another name turns that name into such a reference
 * (`this.baseModel = tuner; this.registerModule('base_model', tuner)` keeps the child `base_model`).
 */

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
  if (isModule) return 'a Tensor or null (a Module cannot replace a parameter or buffer)';
  return isTensorLike(value) ? null : 'a Tensor or null';
}

/** A value's kind as error messages name it: its class, or its typeof. */
export const describe = (value: unknown): string =>
  typeof value === 'object' && value !== null ? value.constructor.name : typeof value;
