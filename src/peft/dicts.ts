/**
 * Keyed registries of parameters, buffers and modules — what PEFT's ParameterDict / BufferDict / ModuleDict
 * give a tuner layer: one entry per adapter name, so that a trainable vector of adapter "default" on module
 * `q_proj` is the parameter `q_proj.frod_lambda_l.default`, exactly as PEFT names it.
 */
import type { Tensor } from '../tensor';
import { Module } from '../nn/module';

/** Shared bookkeeping: the live keys in insertion order (the registries keep deleted names as null). */
abstract class KeyedDict<T> extends Module {
  private readonly live: string[] = [];

  protected abstract put(key: string, value: T | null): void;
  protected abstract read(key: string): T | null;

  /** The entry under `key`; throws naming the key and the keys there are. */
  get(key: string): T {
    const value = this.has(key) ? this.read(key) : null;
    if (value === null) throw new Error(`${this.constructor.name}: no entry '${key}' (entries: ${this.live.join(', ') || 'none'})`);
    return value;
  }

  set(key: string, value: T): this {
    this.put(key, value);
    if (!this.live.includes(key)) this.live.push(key);
    return this;
  }

  has(key: string): boolean {
    return this.live.includes(key);
  }

  delete(key: string): boolean {
    const at = this.live.indexOf(key);
    if (at < 0) return false;
    this.live.splice(at, 1);
    this.put(key, null);
    return true;
  }

  keys(): string[] {
    return [...this.live];
  }

  get size(): number {
    return this.live.length;
  }
}

/** Parameters by key (PEFT's nn.ParameterDict). */
export class ParameterDict extends KeyedDict<Tensor> {
  protected put(key: string, value: Tensor | null): void {
    this.registerParameter(key, value);
  }

  protected read(key: string): Tensor | null {
    return this.ownParameters().find(([k]) => k === key)?.[1] ?? null;
  }
}

/** Buffers by key (PEFT's BufferDict); `persistent: false` keeps them out of the state dict. */
export class BufferDict extends KeyedDict<Tensor> {
  constructor(readonly persistent = true) {
    super();
  }

  protected put(key: string, value: Tensor | null): void {
    this.registerBuffer(key, value, this.persistent);
  }

  protected read(key: string): Tensor | null {
    return this.ownBuffers().find(([k]) => k === key)?.[1] ?? null;
  }
}

/** Modules by key (nn.ModuleDict with deletion). */
export class ModuleMap<M extends Module = Module> extends KeyedDict<M> {
  protected put(key: string, value: M | null): void {
    this.registerModule(key, value);
  }

  protected read(key: string): M | null {
    return (this.namedChildren().find(([k]) => k === key)?.[1] as M | undefined) ?? null;
  }
}
