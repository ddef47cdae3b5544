/**
 * AdapterLayer: the method-independent part of an adapted Linear or GPT-2 Conv1D (PEFT's BaseTunerLayer):
 * the wrapped `base_layer`, the adapters by name, which of them are active or merged, the disabled switch,
 * and the base weight kept at the first merge. A method (FrodLinear, LoraLinear) adds its adapter tensors,
 * forward and merge, and says through {@link AdapterLayer.setAdapterTrainable} and
 * {@link AdapterLayer.dropAdapterTensors} how its tensors train and go.
 */
import { Conv1D, Linear } from '../nn/layers/linear';
import { noGrad } from '../autograd';
import { Module } from '../nn/module';
import { expectTensor, type Tensor } from '../tensor';
import type { TunerLayer } from './tunerLayer';

/** The base layers adapters wrap. */
export type AdaptableLayer = Linear | Conv1D;

/** `E`: what the method keeps per adapter besides its tensors. */
export abstract class AdapterLayer<E> extends Module implements TunerLayer {
  readonly isTunerLayer = true as const;
  readonly baseLayer: AdaptableLayer;
  readonly inFeatures: number;
  readonly outFeatures: number;
  protected readonly adapters = new Map<string, E>();
  protected active: string[] = [];
  protected disabled = false;
  protected merged: string[] = [];
  protected originalWeight: Tensor | null = null;

  /**
   * @param label the layer's class name as errors show it (e.g. 'FrodLinear')
   * @param baseLayer the Linear or Conv1D to adapt (registered as `base_layer`)
   * @param modulePath its dotted path in the model (named in errors)
   * @param fanInFanOut true when the weight is stored (in, out) — forced by the layer type
   */
  constructor(
    protected readonly label: string, baseLayer: AdaptableLayer,
    readonly modulePath: string, readonly fanInFanOut: boolean,
  ) {
    super();
    if (!(baseLayer instanceof Linear || baseLayer instanceof Conv1D)) {
      throw new Error(`${label}: module '${modulePath}' is a ${(baseLayer as Module).constructor.name}; only Linear and Conv1D can be adapted`);
    }
    this.baseLayer = baseLayer;
    this.inFeatures = baseLayer.inFeatures;
    this.outFeatures = baseLayer.outFeatures;
    this.registerModule('base_layer', baseLayer);
  }

  /** Turns the training of adapter `name`'s parameters on or off. */
  protected abstract setAdapterTrainable(name: string, on: boolean): void;

  /** Removes adapter `name`'s tensors (called by deleteAdapter before the adapter's entry goes). */
  protected abstract dropAdapterTensors(name: string): void;

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  /** What the layer keeps for adapter `name`; throws when it has no such adapter. */
  protected entry(name: string): E {
    const entry = this.adapters.get(name);
    if (!entry) throw new Error(`${this.label} '${this.modulePath}': no adapter '${name}'`);
    return entry;
  }

  get mergedAdapters(): readonly string[] {
    return [...this.merged];
  }

  get activeAdapters(): readonly string[] {
    return [...this.active];
  }

  setActiveAdapters(names: readonly string[], trainable: (name: string) => boolean): void {
    this.active = [...names];
    for (const name of this.adapters.keys()) this.setAdapterTrainable(name, this.active.includes(name) && trainable(name));
  }

  get adaptersDisabled(): boolean {
    return this.disabled;
  }

  /** true: forward is the base layer's and no adapter parameter trains (the tuner re-applies trainability on enabling). */
  setAdaptersDisabled(disabled: boolean): void {
    this.disabled = disabled;
    if (disabled) for (const name of this.adapters.keys()) this.setAdapterTrainable(name, false);
  }

  deleteAdapter(name: string): void {
    if (!this.adapters.has(name)) return;
    if (this.merged.includes(name)) throw new Error(`${this.label} '${this.modulePath}': adapter '${name}' is merged; unmerge before deleting it`);
    this.dropAdapterTensors(name);
    this.adapters.delete(name);
    this.active = this.active.filter((a) => a !== name);
  }

  getBaseLayer(): AdaptableLayer {
    return this.baseLayer;
  }

  /** The adapters merge(options) merges: the named ones (default: the active ones) held and not yet merged. */
  protected adaptersToMerge(options: { adapterNames?: readonly string[] }): string[] {
    return (options.adapterNames ?? this.active).filter((a) => this.adapters.has(a) && !this.merged.includes(a));
  }

  /** Throws unless x's last dimension is in_features. */
  protected checkInput(x: Tensor): void {
    expectTensor(x, `${this.label} '${this.modulePath}'`);
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new Error(`${this.label} '${this.modulePath}': input of shape (${x.shape.join(',')}) does not end in in_features ${this.inFeatures}`);
    }
  }

  abstract merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] }): void;
  abstract unmerge(): void;

  /**
   * What puts the layer back as it is now (merged adapters and base weight, bit for bit) if a merge started
   * after this call must be undone: unmerge when nothing is merged yet, else a copy of the merged weight.
   */
  mergeCheckpoint(): () => void {
    if (this.merged.length === 0) return () => this.unmerge();
    const merged = [...this.merged];
    const weight = this.baseLayer.weight;
    const copy = noGrad(() => weight.detach().clone());
    return () => {
      noGrad(() => weight.copy_(copy));
      this.merged = merged;
    };
  }

  override extraRepr(): string {
    return `adapters=[${this.adapterNames().join(', ')}], in_features=${this.inFeatures}, out_features=${this.outFeatures}`;
  }
}
