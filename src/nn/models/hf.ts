/**
 * Loading Hugging Face checkpoints (a `model.safetensors` read with loadSafetensors) into our models by key
 * name. What is accepted, for every model:
 * - keys exactly as the model's own state dict names them (`vit.encoder.layer.0.attention.attention.query.weight`);
 * - keys of the bare base model, without the task model's prefix (`encoder.layer.0…` for `vit.encoder.layer.0…`,
 *   `h.0.attn.c_attn.weight` for `transformer.h.0…`), as the base checkpoints on the Hub are saved;
 * - old TensorFlow-era LayerNorm names `gamma` / `beta` for `weight` / `bias`;
 * - per-model extras: buffers that we compute instead of storing (ignored), tied weights that a checkpoint
 *   stores once, and reshapes (e.g. ViT's Conv2d patch projection).
 * Keys the model does not have are reported as unexpected (an error in strict mode, as loadStateDict).
 */
import type { Tensor } from '../../tensor/tensor';
import type { LoadStateDictResult, Module } from '../module';

export interface HfLoadOptions {
  /** Throw naming every missing and unexpected key (default true). */
  strict?: boolean;
}

export interface HfKeyMapping {
  /** The task model's prefix for the base model, e.g. 'vit.', 'bert.', 'transformer.'. */
  basePrefix: string;
  /** Checkpoint keys to drop silently (buffers we compute, such as position_ids or GPT-2's attn.bias). */
  ignore?: readonly RegExp[];
  /** Pairs [a, b] of tied parameters: when the checkpoint holds one of them, it fills the other. */
  tied?: readonly (readonly [string, string])[];
  /** Adapts a checkpoint tensor to our layout (called with our key and our tensor's shape). */
  adapt?: (key: string, value: Tensor, shape: readonly number[]) => Tensor;
}

/** gamma/beta → weight/bias in LayerNorm keys written by TensorFlow-era conversions. */
function modernName(key: string): string {
  return key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}

/** Our key for a checkpoint key: as is, or with the base prefix added, or with it removed. */
function resolveKey(key: string, own: Record<string, Tensor>, basePrefix: string): string {
  const name = modernName(key);
  const candidates = [name, basePrefix + name, name.startsWith(basePrefix) ? name.slice(basePrefix.length) : name];
  return candidates.find((k) => k in own) ?? name;
}

/** Renames (and adapts) a Hugging Face state dict to a model's own keys. Unknown keys pass through unchanged. */
export function mapHfStateDict(model: Module, tensors: Record<string, Tensor>, mapping: HfKeyMapping): Record<string, Tensor> {
  const own = model.stateDict();
  const mapped: Record<string, Tensor> = {};
  for (const [key, value] of Object.entries(tensors)) {
    if (mapping.ignore?.some((re) => re.test(key))) continue;
    const ours = resolveKey(key, own, mapping.basePrefix);
    mapped[ours] = ours in own && mapping.adapt ? mapping.adapt(ours, value, own[ours].shape) : value;
  }
  for (const [a, b] of mapping.tied ?? []) {
    if (a in mapped && !(b in mapped)) mapped[b] = mapped[a];
    else if (b in mapped && !(a in mapped)) mapped[a] = mapped[b];
  }
  return mapped;
}

/** Loads a Hugging Face state dict into `model` (see the module comment for what is accepted). */
export function loadHfStateDict(
  model: Module, tensors: Record<string, Tensor>, mapping: HfKeyMapping, options: HfLoadOptions = {},
): LoadStateDictResult {
  return model.loadStateDict(mapHfStateDict(model, tensors, mapping), { strict: options.strict ?? true });
}

/** snake_case → camelCase, for reading Hugging Face config.json files. */
export function camelCaseKeys(json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  return out;
}

/** The fields of a Hugging Face config.json that `defaults` knows, camelCased (num_labels from id2label when absent). */
export function pickConfig<C extends object>(json: Record<string, unknown>, defaults: C): Partial<C> {
  const config = camelCaseKeys(json) as Record<string, unknown> & { id2label?: Record<string, string> };
  if (config.numLabels === undefined && config.id2label) config.numLabels = Object.keys(config.id2label).length;
  return Object.fromEntries(Object.keys(defaults).filter((k) => config[k] !== undefined).map((k) => [k, config[k]])) as Partial<C>;
}
