/** Containers: Sequential (chains forward), ModuleList (indexed), ModuleDict (keyed); children named 0, 1, … or by key. */
import type { Tensor } from '../../tensor/tensor';
import { kindOf } from '../../tensor/expect';
import { Module } from '../module';

/** Calls a module's forward with one input. */
function call(input: unknown, module: Module): unknown {
  return (module.forward as (x: unknown) => unknown).call(module, input);
}

/** Children as a list, indexed by position (names '0', '1', …). */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The module at index i (negative counts from the end). */
  at(i: number): M {
    const n = this.length;
    const k = i < 0 ? i + n : i;
    if (!(k >= 0 && k < n)) throw new Error(`${this.constructor.name}: index ${i} is out of range (length ${n})`);
    return this.getSubmodule(String(k)) as M;
  }

  append(module: M): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }
}

/**
 * Applies its children in order: forward(x) = mₙ(…m₁(x)). Built as torch.nn.Sequential is —
 * `new Sequential(a, b, c)` (children named 0, 1, 2), `new Sequential({ fc: a, act: b })` (an OrderedDict's
 * names) — or from one array or iterable of modules, `new Sequential([a, b, c])`.
 *
 * Typed Tensor → Tensor, the usual case (so `PeftModel` over a Sequential returns a Tensor); a chain of other
 * types names them: `new Sequential<Inputs, Output>(…)`.
 */
export class Sequential<I = Tensor, O = Tensor> extends ModuleList {
  constructor(...modules: Module[]);
  constructor(modules: Iterable<Module> | Record<string, Module>);
  constructor(...args: unknown[]) {
    super();
    for (const [name, module] of sequentialEntries(args)) this.registerModule(name, module);
  }

  override forward(input: I): O {
    return this.children().reduce<unknown>(call, input) as O;
  }
}

/** The named children of Sequential's constructor arguments, checked. */
function sequentialEntries(args: unknown[]): [string, Module][] {
  const single = args.length === 1 && !(args[0] instanceof Module) ? args[0] : null;
  let entries: [string, unknown][];
  if (single !== null && typeof single === 'object' && Symbol.iterator in single) {
    entries = [...(single as Iterable<unknown>)].map((m, i) => [String(i), m]);
  } else if (single !== null && typeof single === 'object') {
    entries = Object.entries(single);
  } else {
    entries = args.map((m, i) => [String(i), m]);
  }
  for (const [name, m] of entries) {
    if (!(m instanceof Module)) {
      throw new TypeError(`Sequential: ${kindOf(m)} at '${name}' is not a Module (expected new Sequential(a, b, …), new Sequential([a, b, …]) or new Sequential({ name: a, … }))`);
    }
  }
  return entries as [string, Module][];
}

/** Children by string key, in insertion order. */
export class ModuleDict<M extends Module = Module> extends Module {
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules);
    for (const [key, m] of entries) this.set(key, m);
  }

  get(key: string): M {
    return this.getSubmodule(key) as M;
  }

  set(key: string, module: M): this {
    this.registerModule(key, module);
    return this;
  }

  has(key: string): boolean {
    return this.namedChildren().some(([k]) => k === key);
  }

  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  values(): M[] {
    return this.children() as M[];
  }

  entries(): [string, M][] {
    return this.namedChildren() as [string, M][];
  }

  get size(): number {
    return this.namedChildren().length;
  }
}
