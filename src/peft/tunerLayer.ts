/**
 * What the method-neutral tuner needs from an adapted layer (PEFT's BaseTunerLayer), and the adapter-name rule.
 */
import type { Module } from '../nn/module';

/** A method's adapted layer: a Module that wraps a base layer and holds adapters by name. */
export interface TunerLayer extends Module {
  readonly isTunerLayer: true;
  /** The wrapped layer, registered as `base_layer`. */
  readonly baseLayer: Module;
  /** Adapters this layer holds. */
  adapterNames(): string[];
  /** Adapters merged into the base weight, in merge order. */
  readonly mergedAdapters: readonly string[];
  /** Activates `names`; `trainable(name)` says whether an active adapter's parameters train. */
  setActiveAdapters(names: readonly string[], trainable: (name: string) => boolean): void;
  /** true: forward is exactly the base layer's (PEFT's `disable_adapters`). */
  readonly adaptersDisabled: boolean;
  /** true: forward is exactly the base layer's, and the adapter parameters do not train. */
  setAdaptersDisabled(disabled: boolean): void;
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] }): void;
  /** Restores the original base weight exactly. */
  unmerge(): void;
  /** What undoes a merge started after this call (merged adapters and base weight back bit for bit). */
  mergeCheckpoint(): () => void;
  deleteAdapter(name: string): void;
  /** The wrapped layer (with its weight back where the model needs it). */
  getBaseLayer(): Module;
  /**
   * Optional: takes tensors the layer keeps in host memory (an offloaded base weight) out of the module tree
   * for a device move of the model, so the move leaves them there; returns what puts them back.
   */
  holdOffloaded?(): () => void;
}

/** True for a Module that implements {@link TunerLayer}. */
export function isTunerLayer(module: Module): module is TunerLayer {
  return (module as unknown as Partial<TunerLayer>).isTunerLayer === true;
}

/**
 * Adapter names become parts of parameter paths and sub-directory names: a non-empty string without '.',
 * '/', '\\' or control characters, not '.' or '..'.
 */
export function checkAdapterName(name: string): void {
  // eslint-disable-next-line no-control-regex
  const bad = typeof name !== 'string' || name === '' || /[./\\\u0000-\u001f\u007f]/.test(name);
  if (bad) throw new Error(`adapter name must be a non-empty string without '.', '/', '\\' or control characters, got ${JSON.stringify(name)}`);
}
