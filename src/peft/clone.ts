/**
 * A deep copy of a module tree (Python's copy.deepcopy for nn.Module): new parameter and buffer tensors with
 * the same values and flags, new child modules, and plain fields copied. What ModulesToSaveWrapper uses to
 * make an adapter's trainable copy while the original stays untouched.
 */
import { noGrad } from '../autograd';
import { Module, parameter, withAttributes } from '../nn/module';
import type { Tensor } from '../tensor';

/** A copy of a tensor's values as a new leaf with the same requiresGrad. */
function cloneTensor(t: Tensor): Tensor {
  return noGrad(() => parameter(t.clone(), t.requiresGrad));
}

/**
 * Copies `module` and everything below it. Parameters, buffers and children are re-registered on the copy
 * (so its property accessors read the copy's registries); other own data fields are copied shallowly,
 * except arrays, which are copied one level deep.
 */
export function cloneModule<M extends Module>(module: M): M {
  const copies = new Map<Module, Module>();
  const copyOf = (source: Module): Module => {
    const known = copies.get(source);
    if (known) return known;
    // Fields are copied onto `raw` (as they are, not through the attribute rules); the copy is its Proxy.
    const raw = Object.create(Object.getPrototypeOf(source) as object) as Module;
    const copy = withAttributes(raw);
    copies.set(source, copy);
    const registries = new Set(['parameterMap', 'bufferMap', 'nonPersistent', 'moduleMap']);
    for (const key of Reflect.ownKeys(source)) {
      const descriptor = Object.getOwnPropertyDescriptor(source, key) as PropertyDescriptor;
      if (!('value' in descriptor)) continue; // registry accessors are defined again below
      const value: unknown = descriptor.value;
      let copied: unknown = value;
      if (typeof key === 'string' && registries.has(key)) copied = key === 'nonPersistent' ? new Set(value as Set<string>) : new Map();
      else if (Array.isArray(value)) copied = [...value];
      Object.defineProperty(raw, key, { ...descriptor, value: copied });
    }
    const nonPersistent = (source as unknown as { nonPersistent: Set<string> }).nonPersistent;
    for (const [name, p] of rawEntries(source, 'parameterMap')) copy.registerParameter(name, p ? cloneTensor(p as Tensor) : null);
    for (const [name, b] of rawEntries(source, 'bufferMap')) {
      copy.registerBuffer(name, b ? cloneTensor(b as Tensor) : null, !nonPersistent.has(name));
    }
    for (const [name, child] of rawEntries(source, 'moduleMap')) copy.registerModule(name, child ? copyOf(child as Module) : null);
    return copy;
  };
  return copyOf(module) as M;
}

/** The entries of one of Module's registries, nulls included. */
function rawEntries(module: Module, registry: 'parameterMap' | 'bufferMap' | 'moduleMap'): [string, unknown][] {
  return [...(module as unknown as Record<string, Map<string, unknown>>)[registry]];
}
