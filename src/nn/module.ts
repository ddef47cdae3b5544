/**
 * Module, as torch.nn.Module: parameters, buffers and submodules registered by name, with dotted-path
 * traversal, surgery (getSubmodule / setSubmodule — what FRoD uses to swap a Linear for its adapted twin),
 * state dicts, train/eval, and a PyTorch-like printout.
 *
 * Registered entries are also reachable as properties (`linear.weight`, `block.attention`), and, as PyTorch's
 * `__setattr__` does, assigning a Module or a {@link parameter} to a property registers it: `this.fc1 = new
 * nn.Linear(8, 32)` in a constructor, a class field `fc1 = new nn.Linear(8, 32)`, or `fc1!: nn.Linear`
 * assigned later (the rules: ./attributes.ts). `registerModule` / `registerParameter` / `registerBuffer`
 * (with `declare fc1: nn.Linear`) do the same explicitly. The constructor returns a Proxy of the module
 * whose traps are `defineProperty` — the step every property write and class field goes through — and
 * `deleteProperty`; reads stay ordinary property reads (through the Proxy).
 */
import { noGrad } from '../autograd/graph';
import type { Device, DType } from '../tensor/dtype';
import { conversionTarget, kindOf } from '../tensor/expect';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { assignedNames, entryPlacement, misfit, registryNoun, type Registry } from './attributes';
import { isParameter } from './parameter';

export { isParameter, parameter } from './parameter';

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export class Module {
  /** Whether the module is in training mode (dropout active); see train()/eval(). */
  training = true;
  private readonly parameterMap = new Map<string, Tensor | null>();
  private readonly bufferMap = new Map<string, Tensor | null>();
  private readonly nonPersistent = new Set<string>();
  private readonly moduleMap = new Map<string, Module | null>();

  /**
   * Returns a Proxy of the new module (see the file comment): every property definition of a subclass —
   * an assignment, a class field's initialiser — passes through {@link Module.assignAttribute} first.
   */
  constructor() {
    return new Proxy(this, Module.attributeTraps);
  }

  private static readonly attributeTraps: ProxyHandler<Module> = {
    defineProperty(target, key, descriptor) {
      if (typeof key === 'string' && 'value' in descriptor && target.assignAttribute(key, descriptor.value)) return true;
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty(target, key) {
      if (typeof key === 'string') target.unregister(key);
      return Reflect.deleteProperty(target, key);
    },
  };

  private mapOf(registry: Registry): Map<string, unknown> {
    return registry === 'module' ? this.moduleMap : registry === 'parameter' ? this.parameterMap : this.bufferMap;
  }

  /** The registry holding `name`, if any. */
  private registryOf(name: string): Registry | null {
    if (this.moduleMap.has(name)) return 'module';
    if (this.parameterMap.has(name)) return 'parameter';
    if (this.bufferMap.has(name)) return 'buffer';
    return null;
  }

  /**
   * PyTorch's __setattr__ for a property definition of `value` at `name` (the rules: ./attributes.ts; runs
   * on the unproxied module). Returns true when it registered or updated an entry, false for a plain property.
   */
  private assignAttribute(name: string, value: unknown): boolean {
    const registry = this.registryOf(name);
    if (value === undefined) return registry !== null;
    const kind: Registry | null = value instanceof Module ? 'module' : isParameter(value) ? 'parameter' : null;
    if (kind === null || kind === registry) {
      if (registry) this.setEntry(registry, name, value);
      return registry !== null;
    }
    if (registry === null && [...this.mapOf(kind).values()].includes(value)) return false;
    if (registry) this.unregister(name);
    if (kind === 'module') this.registerModule(name, value as Module);
    else this.registerParameter(name, value as Tensor);
    assignedNames(this.mapOf(kind)).add(name);
    return true;
  }

  /** Writes a registered entry, checking the value's kind as PyTorch does. */
  private setEntry(registry: Registry, name: string, value: unknown): void {
    const expected = misfit(registry, value, value instanceof Module);
    if (expected) {
      throw new TypeError(`${this.constructor.name}: cannot assign ${kindOf(value)} to '${name}', a registered ${registryNoun(registry)} (${expected} expected)`);
    }
    this.mapOf(registry).set(name, value);
  }

  /** Removes `name` from the registries and its accessor (`delete module.fc1`, as PyTorch's __delattr__). */
  private unregister(name: string): void {
    for (const registry of ['parameter', 'buffer', 'module'] as const) this.mapOf(registry).delete(name);
    this.nonPersistent.delete(name);
    if ('get' in (Object.getOwnPropertyDescriptor(this, name) ?? {})) Reflect.deleteProperty(this, name);
  }

  /**
   * Enters `value` as `name` in `registry` for register*(): the name may not be taken by another registry
   * (as PyTorch's "attribute already exists"), and names that only assigned the same value become plain
   * references (see ./attributes.ts).
   */
  private enter(registry: Registry, name: string, value: unknown): void {
    if (name === '' || name.includes('.')) {
      throw new Error(`${registry} name must be a non-empty string without '.', got '${name}'`);
    }
    const taken = this.registryOf(name);
    if (taken && taken !== registry) {
      throw new Error(`${this.constructor.name}: cannot register ${registryNoun(registry)} '${name}': it is already a ${registryNoun(taken)} (delete it first)`);
    }
    const map = this.mapOf(registry);
    map.set(name, value);
    const assigned = assignedNames(map);
    assigned.delete(name);
    if (value !== null) {
      for (const [other, v] of [...map]) {
        if (v !== value || other === name || !assigned.has(other)) continue;
        this.unregister(other);
        assigned.delete(other);
        Object.defineProperty(this, other, { value, writable: true, enumerable: true, configurable: true });
      }
    }
    this.defineEntry(name, registry);
  }

  /** The computation; subclasses override it with their own signature. */
  forward(...inputs: never[]): unknown {
    void inputs;
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }

  /** Short description shown in the printout, e.g. `in_features=4, out_features=2, bias=True`. */
  extraRepr(): string {
    return '';
  }

  /** A property that reads and writes one of the registries, where ./attributes.ts's entryPlacement allows. */
  private defineEntry(name: string, registry: Registry): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    const placement = entryPlacement(this.constructor.name, registry, name, own, name in this, own?.value instanceof Module);
    if (placement !== 'define') return;
    Object.defineProperty(this, name, {
      get: () => this.mapOf(registry).get(name) ?? null,
      set: (value: unknown) => { this.assignAttribute(name, value); },
      enumerable: true,
      configurable: true,
    });
  }

  /** Registers (or replaces) a parameter; null keeps the name with no tensor (e.g. bias=False). */
  registerParameter(name: string, value: Tensor | null): void {
    this.enter('parameter', name, value);
  }

  /** Registers a buffer: state that is not trained; saved in the state dict unless persistent is false. */
  registerBuffer(name: string, value: Tensor | null, persistent = true): void {
    this.enter('buffer', name, value);
    if (persistent) this.nonPersistent.delete(name);
    else this.nonPersistent.add(name);
  }

  /** Registers a child module under `name` (as add_module). */
  registerModule(name: string, module: Module | null): void {
    this.enter('module', name, module);
  }

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this.moduleMap].filter((e): e is [string, Module] => e[1] !== null);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every module in the tree (this one first, as ''), with dotted paths, depth first in registration order. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (module: Module, path: string) => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([path, module]);
      for (const [name, child] of module.namedChildren()) walk(child, path ? `${path}.${name}` : name);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own parameters (no recursion), skipping null entries. */
  ownParameters(): [string, Tensor][] {
    return [...this.parameterMap].filter((e): e is [string, Tensor] => e[1] !== null);
  }

  ownBuffers(): [string, Tensor][] {
    return [...this.bufferMap].filter((e): e is [string, Tensor] => e[1] !== null);
  }

  /** Every parameter with its dotted name; a tensor shared by two modules is listed once. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [path, module] of this.namedModules()) {
      for (const [name, p] of module.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, module] of this.namedModules()) {
      for (const [name, b] of module.ownBuffers()) out.push([path ? `${path}.${name}` : name, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** The module at a dotted path ('' is this module); throws naming the missing part. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    let module: Module = this;
    let walked = '';
    for (const part of path.split('.')) {
      const child = module.moduleMap.get(part);
      if (!child) {
        throw new Error(`getSubmodule: ${module.constructor.name}${walked ? ` at '${walked}'` : ''} has no attribute '${part}'`);
      }
      module = child;
      walked = walked ? `${walked}.${part}` : part;
    }
    return module;
  }

  /** Replaces (or adds) the module at a dotted path; its parent must exist. */
  setSubmodule(path: string, module: Module): void {
    if (path === '') throw new Error('setSubmodule: cannot replace the root module');
    const cut = path.lastIndexOf('.');
    const parent = cut < 0 ? this : this.getSubmodule(path.slice(0, cut));
    parent.registerModule(path.slice(cut + 1), module);
  }

  /** The parameter at a dotted path. */
  getParameter(path: string): Tensor {
    const cut = path.lastIndexOf('.');
    const owner = cut < 0 ? this : this.getSubmodule(path.slice(0, cut));
    const p = owner.parameterMap.get(path.slice(cut + 1));
    if (!p) throw new Error(`getParameter: ${owner.constructor.name} has no parameter '${path.slice(cut + 1)}'`);
    return p;
  }

  /** Parameters and persistent buffers by dotted name (detached, sharing storage), as state_dict(). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [path, module] of this.namedModules()) {
      const at = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, p] of module.ownParameters()) out[at(name)] = p.detach();
      for (const [name, b] of module.ownBuffers()) if (!module.nonPersistent.has(name)) out[at(name)] = b.detach();
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (shapes must match).
   * Strict mode (default) throws naming every missing and unexpected key.
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const { strict = true } = options;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !(k in own));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
      if (unexpectedKeys.length) parts.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}: ${parts.join(' ')}`);
    }
    for (const [key, target] of Object.entries(own)) {
      const value = stateDict[key];
      if (value === undefined) continue;
      if (value.ndim !== target.ndim || value.shape.some((d, i) => d !== target.shape[i])) {
        throw new Error(`loadStateDict: size mismatch for ${key}: copying a param with shape ${formatShape(value.shape)}, the shape in current model is ${formatShape(target.shape)}`);
      }
    }
    noGrad(() => {
      for (const [path, module] of this.namedModules()) {
        const at = (name: string) => (path ? `${path}.${name}` : name);
        for (const [name, p] of module.ownParameters()) {
          const value = stateDict[at(name)];
          if (value !== undefined) p.copy_(value.to(p.device));
        }
        for (const [name, b] of module.ownBuffers()) {
          const value = stateDict[at(name)];
          if (value !== undefined && !module.nonPersistent.has(name)) b.copy_(value.to(b.device));
        }
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode here and below (dropout on); returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter (freezing with false). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Calls fn on every module (children first, then this one), as Module.apply. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Moves or casts every parameter and buffer in place: the tensor objects keep their identity (their
   * storage is swapped), so optimizers built earlier stay valid. Integer buffers are not cast to float dtypes.
   */
  to(target: Device | DType): this {
    const isDevice = 'device' in conversionTarget(target, `${this.constructor.name}.to`);
    noGrad(() => {
      for (const m of this.modules()) {
        for (const map of [m.parameterMap, m.bufferMap]) {
          for (const [name, t] of map) {
            if (!t || (!isDevice && t.dtype === 'int32')) continue;
            const moved = t.to(target).contiguous();
            if (moved === t) continue;
            if (t.isContiguous() && t.offset === 0 && t.storage.length === t.numel()) {
              t.storage = moved.storage;
              t.grad = null;
            } else {
              const replacement = moved.detach();
              replacement.requiresGrad = t.requiresGrad;
              map.set(name, replacement);
            }
          }
        }
      }
    });
    return this;
  }

  /** The module tree as PyTorch prints it. */
  toString(): string {
    const children = this.namedChildren();
    const extra = this.extraRepr();
    if (children.length === 0) return `${this.constructor.name}(${extra})`;
    const lines = children.map(([name, child]) => `  (${name}): ${child.toString().split('\n').join('\n  ')}`);
    if (extra) lines.unshift(`  ${extra}`);
    return `${this.constructor.name}(\n${lines.join('\n')}\n)`;
  }
}

/**
 * `module` behind the Proxy that Module's constructor returns, for a copy made without the constructor
 * (cloneModule's Object.create): assigning to its properties then registers as on any module.
 */
export function withAttributes<M extends Module>(module: M): M {
  return new Proxy(module, Module['attributeTraps']) as M;
}
