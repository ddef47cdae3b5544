/** Containers: Sequential (chains forward), ModuleList (indexed), ModuleDict (keyed); children named 0, 1, … or by key. */
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

/** Applies its children in order: forward(x) = mₙ(…m₁(x)). */
export class Sequential extends ModuleList {
  override forward<T>(input: T): T;
  override forward(input: unknown): unknown {
    return this.children().reduce<unknown>(call, input);
  }
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
