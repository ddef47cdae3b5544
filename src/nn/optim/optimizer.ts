/**
 * Optimizer base, as torch.optim.Optimizer: parameter groups with their own hyper-parameters (defaults fill
 * the gaps), per-parameter state, zeroGrad, and state dicts that refer to parameters by their index across
 * groups (as PyTorch does). Updates are written in place with copy_ outside the graph, so the parameter
 * tensors a model holds stay the same objects.
 */
import { noGrad } from '../../autograd/graph';
import { kindOf } from '../../tensor/expect';
import type { Tensor } from '../../tensor/tensor';

/** One parameter group: its tensors and (optionally) hyper-parameters overriding the defaults. */
export type ParamGroup<O> = { params: Tensor[] } & Partial<O>;

/** What constructors accept: a list of tensors, a list of groups, or named parameters from a module. */
export type Params<O> = Iterable<Tensor> | Iterable<ParamGroup<O>> | Iterable<[string, Tensor]>;

/** Per-parameter state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict<O> {
  /** State by parameter index (parameters numbered in group order). */
  state: Record<number, ParamState>;
  /** Each group's hyper-parameters, with `params` as indices. */
  paramGroups: (O & { params: number[] })[];
}

function toGroups<O>(params: Params<O>, name: string): ParamGroup<O>[] {
  if (typeof params !== 'object' || params === null || !(Symbol.iterator in params)) {
    throw new TypeError(`${name}: params should be an iterable of Tensors or of { params, … } groups (e.g. model.parameters()), got ${kindOf(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  if (list.length === 0) throw new Error('optimizer got an empty parameter list');
  if (Array.isArray(list[0])) return [{ params: (list as [string, Tensor][]).map(([, p]) => p) } as ParamGroup<O>];
  if (typeof list[0] === 'object' && list[0] !== null && 'params' in list[0]) return list as ParamGroup<O>[];
  return [{ params: list as Tensor[] } as ParamGroup<O>];
}

export abstract class Optimizer<O extends object> {
  /** Groups with every hyper-parameter filled in (change `lr` here to schedule it). */
  readonly paramGroups: ({ params: Tensor[] } & O)[] = [];
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Params<O>, readonly defaults: O) {
    for (const group of toGroups(params, this.constructor.name)) this.addParamGroup(group);
  }

  /** Adds a group; its missing hyper-parameters come from the defaults. A parameter may be in one group only. */
  addParamGroup(group: ParamGroup<O>): void {
    const params = [...group.params];
    for (const key of Object.keys(group)) {
      const near = nearMiss(key, Object.keys(this.defaults));
      if (near !== null && near !== key) throw new Error(`${this.constructor.name}: parameter group option "${key}" is not an option (did you mean "${near}"?)`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
      if (p.dtype === 'int32') throw new Error("optimizer can only optimize Tensors of floating point dtype, got 'int32'");
    }
    const full = { ...this.defaults, ...group, params } as { params: Tensor[] } & O;
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's hyper-parameters (throwing PyTorch's messages). */
  protected abstract validate(group: O): void;

  /** Updates one parameter that has a gradient. */
  protected abstract update(param: Tensor, grad: Tensor, group: O, state: ParamState): void;

  /**
   * One optimisation step over every parameter with a gradient. `closure` (re-evaluating the loss with
   * gradients) is called first when given; its value is returned.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure ? closure() : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          let state = this.state.get(p);
          if (!state) this.state.set(p, (state = {}));
          this.update(p, p.grad, group, state);
        }
      }
    });
    return loss;
  }

  /** Clears gradients: to null (default, as PyTorch ≥ 2.0) or to zeros. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad = p.grad.zerosLike();
      }
    }
  }

  /** Hyper-parameters and state, with parameters replaced by their index. */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...rest } = group;
      return { ...(rest as unknown as O), params: params.map((p) => { index.set(p, index.size); return index.size - 1; }) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /** Restores hyper-parameters and state saved by stateDict() (groups must have the same sizes). */
  loadStateDict(stateDict: OptimizerStateDict<O>): void {
    const groups = stateDict.paramGroups;
    if (groups.length !== this.paramGroups.length) {
      throw new Error(`loaded state dict has ${groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    groups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    });
    const byIndex = this.paramGroups.flatMap((g) => g.params);
    this.state.clear();
    for (const [key, s] of Object.entries(stateDict.state)) {
      const p = byIndex[Number(key)];
      if (!p) throw new Error(`loaded state dict refers to parameter ${key}, the optimizer has ${byIndex.length}`);
      const copy: ParamState = {};
      for (const [name, value] of Object.entries(s)) {
        copy[name] = typeof value === 'number' ? value : value.detach().to(p.device).to(p.dtype).clone();
      }
      this.state.set(p, copy);
    }
    groups.forEach((g, i) => {
      const { params: _indices, ...hyper } = g;
      void _indices;
      Object.assign(this.paramGroups[i], hyper);
    });
  }
}

/** The known option that `key` misspells in case or underscores (weight_decay → weightDecay), or null. */
function nearMiss(key: string, known: readonly string[]): string | null {
  const plain = (k: string) => k.replace(/_/g, '').toLowerCase();
  return known.find((k) => plain(k) === plain(key)) ?? null;
}

/**
 * An optimizer constructor's options filled in from its defaults: an object of known options (undefined
 * values are not given), or, as PyTorch's positional `lr`, a number that is the learning rate. Unknown
 * names are refused (FrodConfig does the same), naming the near miss: "weight_decay" → "weightDecay".
 */
export function optimizerOptions<O extends { lr: number }>(name: string, defaults: O, options: Partial<O> | number | undefined): O {
  if (typeof options === 'number') return { ...defaults, lr: options };
  if (options === undefined) return { ...defaults };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${name}: expected the options as an object ({ lr: 0.01, … }) or the learning rate as a number, got ${kindOf(options)}`);
  }
  const known = Object.keys(defaults);
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  for (const [key] of given) {
    if (known.includes(key)) continue;
    const near = nearMiss(key, known);
    throw new Error(`${name}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the options are ${known.join(', ')}`);
  }
  return { ...defaults, ...Object.fromEntries(given) };
}

/** The gradient to descend along: negated when maximizing. */
export function descentGrad(grad: Tensor, maximize: boolean): Tensor {
  return maximize ? grad.neg() : grad;
}

export function checkNonNegative(value: number, what: string): void {
  if (!(value >= 0)) throw new Error(`Invalid ${what}: ${value}`);
}
