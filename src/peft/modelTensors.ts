/**
 * The plain model tensors an adapter file carries besides the method's own: `modules_to_save` copies and
 * trained biases, named as PEFT names them in `adapter_model.safetensors` — `base_model.model.<name>`, where
 * `<name>` is the parameter's name in the model with adapter names and `modules_to_save.<adapter>` removed and
 * a tuner layer's own parameters under `base_layer` (`…q_proj.base_layer.bias`).
 */
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import { ModulesToSaveWrapper } from './modulesToSave';
import { type TunerLayer, isTunerLayer } from './tunerLayer';

/** Where plain model tensors live in an adapter file. */
export const MODEL_TENSOR_PREFIX = 'base_model.model.';

/** A parameter as an adapter file names it, with the module path that owns it. */
export interface NamedParameter {
  /** The name without the `base_model.model.` prefix, e.g. `encoder.layer.0.attention.self.query.base_layer.bias`. */
  readonly name: string;
  readonly tensor: Tensor;
  /** The tuner layer path whose base layer holds the parameter, or null. */
  readonly tunerLayer: string | null;
  /** The modules_to_save wrapper path the parameter lies under, or null. */
  readonly wrapper: string | null;
}

/**
 * The model's parameters as adapter `adapter` sees them, named as in its adapter file: tuner layers are seen
 * through to their base layer (`<path>.base_layer.<p>`, the method's own tensors are left out) and a
 * modules_to_save wrapper through to `adapter`'s copy (or the original when it has none) under the wrapper's
 * path.
 */
export function adapterViewParameters(model: Module, adapter: string): NamedParameter[] {
  const out: NamedParameter[] = [];
  const walk = (module: Module, path: string, tunerLayer: string | null, wrapper: string | null) => {
    const at = (p: string) => (path ? `${path}.${p}` : p);
    if (isTunerLayer(module)) return walk((module as TunerLayer).baseLayer, at('base_layer'), path, wrapper);
    if (module instanceof ModulesToSaveWrapper) {
      const seen = module.copies.has(adapter) ? module.copies.get(adapter) : module.originalModule;
      return walk(seen, path, tunerLayer, path);
    }
    for (const [p, tensor] of module.ownParameters()) out.push({ name: at(p), tensor, tunerLayer, wrapper });
    for (const [c, child] of module.namedChildren()) walk(child, at(c), tunerLayer, wrapper);
  };
  walk(model, '', null, null);
  return out;
}

/**
 * Whether `bias` trains parameter `p` (PEFT's `_mark_only_adapters_as_trainable` / `_get_learnable_bias_state_dict`):
 * 'all' — every parameter named `bias` or ending in `.bias`; '<prefix>only' — the bias of an adapted layer's base layer.
 */
export function trainsBias(bias: string, p: NamedParameter): boolean {
  if (bias === 'none') return false;
  const isBias = p.name === 'bias' || p.name.endsWith('.bias');
  if (bias === 'all') return isBias;
  return isBias && p.tunerLayer !== null && p.name === `${p.tunerLayer ? `${p.tunerLayer}.` : ''}base_layer.bias`;
}

/**
 * The key a loaded file may use for `name` besides its own: files written by frod-ts before 0.2 stored an
 * adapted layer's bias as `<path>.bias`; PEFT writes `<path>.base_layer.bias`. Both load.
 */
export function legacyName(p: NamedParameter): string | null {
  if (p.tunerLayer === null) return null;
  const prefix = p.tunerLayer ? `${p.tunerLayer}.base_layer.` : 'base_layer.';
  return p.name.startsWith(prefix) ? (p.tunerLayer ? `${p.tunerLayer}.` : '') + p.name.slice(prefix.length) : null;
}
