/**
 * LoraLinear: a Linear or GPT-2 Conv1D with LoRA adapters. Per adapter `a` of rank r:
 *   y = base(x) + s_a · B_a A_a drop_a(x),   s_a = alpha / r  (alpha / √r with rsLoRA)
 * with A_a `(r, in)` and B_a `(out, r)` stored as bias-free Linears, so parameter paths read like PEFT's
 * (`…query.lora_A.default.weight`, base weight `…query.base_layer.weight`). Merging adds s_a · B_a A_a to the
 * base weight (transposed for Conv1D); unmerging restores the weight kept at the first merge, exactly.
 */
import { noGrad } from '../autograd';
import { kaimingUniform_, normal_, zeros_ } from '../nn/init';
import { Linear } from '../nn/layers/linear';
import { type AdaptableLayer, AdapterLayer } from '../peft/adapterLayer';
import { trainableDType } from '../peft/autocast';
import { ModuleMap } from '../peft/dicts';
import { dropout, Generator, type Tensor } from '../tensor';
import type { LoraConfig } from './config';

/** The base layers LoRA adapts. */
export type LoraBaseLayer = AdaptableLayer;

interface AdapterEntry {
  readonly rank: number;
  readonly scaling: number;
  readonly dropout: number;
  readonly generator: Generator;
}

export class LoraLinear extends AdapterLayer<AdapterEntry> {
  readonly loraA = new ModuleMap<Linear>();
  readonly loraB = new ModuleMap<Linear>();

  /**
   * @param baseLayer the Linear or Conv1D to adapt
   * @param modulePath its dotted path in the model (named in errors)
   * @param fanInFanOut true when the weight is stored (in, out) — forced by the layer type
   */
  constructor(baseLayer: LoraBaseLayer, modulePath: string, fanInFanOut: boolean) {
    super('LoraLinear', baseLayer, modulePath, fanInFanOut);
    this.registerModule('lora_A', this.loraA);
    this.registerModule('lora_B', this.loraB);
  }

  /**
   * Adds (or replaces) adapter `name` with the config's rank and alpha for this module. A and B are
   * initialised as the config says (seeded per adapter and module path); `trained` replaces them. They take
   * the base weight's dtype, except float32 over a float16/bfloat16 weight with `autocast` (PEFT's
   * autocast_adapter_dtype, default true).
   */
  updateLayer(name: string, config: LoraConfig, trained: { a: Tensor; b: Tensor } | null = null, autocast = true): void {
    const rank = config.rankFor(this.modulePath);
    const alpha = config.alphaFor(this.modulePath);
    const { device } = this.baseLayer.weight;
    const dtype = trainableDType(this.baseLayer.weight.dtype, autocast);
    const generator = new Generator(`lora-init/${name}/${this.modulePath}`);
    const a = new Linear(this.inFeatures, rank, { bias: false, dtype, generator });
    const b = new Linear(rank, this.outFeatures, { bias: false, dtype, generator });
    noGrad(() => {
      if (config.initLoraWeights === 'gaussian') normal_(a.weight, 0, 1 / rank, generator);
      else kaimingUniform_(a.weight, Math.sqrt(5), generator);
      if (config.initLoraWeights !== false) zeros_(b.weight);
      if (trained) {
        checkShape(this.modulePath, 'lora_A', trained.a, a.weight.shape);
        checkShape(this.modulePath, 'lora_B', trained.b, b.weight.shape);
        a.weight.copy_(trained.a);
        b.weight.copy_(trained.b);
      }
    });
    if (device !== 'cpu') { a.to(device); b.to(device); }
    this.loraA.set(name, a);
    this.loraB.set(name, b);
    const scaling = config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    this.adapters.set(name, { rank, scaling, dropout: config.loraDropout, generator: new Generator(`lora-dropout/${name}/${this.modulePath}`) });
    // As PEFT's layers: a layer on its own starts with its first adapter active (a tuner then sets its own choice).
    this.setActiveAdapters(this.active.length > 0 ? this.active : [name], () => true);
  }

  /** The scale s of adapter `name`. */
  scalingOf(name: string): number {
    return this.entry(name).scaling;
  }

  protected setAdapterTrainable(name: string, on: boolean): void {
    this.loraA.get(name).requiresGrad_(on);
    this.loraB.get(name).requiresGrad_(on);
  }

  protected dropAdapterTensors(name: string): void {
    this.loraA.delete(name);
    this.loraB.delete(name);
  }

  /** s · B A drop(x) for adapter `name`, in A's dtype (as PEFT casts the input); x (..., in) → (..., out). */
  adapterOutput(name: string, x: Tensor): Tensor {
    const entry = this.entry(name);
    const a = this.loraA.get(name);
    const h = dropout(x.dtype === 'int32' ? x : x.to(a.weight.dtype), entry.dropout, { training: this.training, generator: entry.generator });
    return this.loraB.get(name).forward(a.forward(h)).mul(entry.scaling);
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.disabled && this.merged.length > 0) this.unmerge();
    let y = this.baseLayer.forward(x);
    if (this.disabled || this.merged.length > 0) return y;
    const dtype = y.dtype;
    for (const name of this.active) if (this.adapters.has(name)) y = y.add(this.adapterOutput(name, x));
    return y.to(dtype); // the base layer's dtype, as PEFT casts the result back
  }

  /** ΔW = s · B A in the stored orientation of the base weight ((in, out) for Conv1D). */
  getDeltaWeight(name: string): Tensor {
    const entry = this.entry(name);
    return noGrad(() => {
      const delta = this.loraB.get(name).weight.matmul(this.loraA.get(name).weight).mul(entry.scaling);
      return this.fanInFanOut ? delta.t().contiguous() : delta;
    });
  }

  /** Adds ΔW of each adapter (default: the active ones, skipping merged ones) to the base weight. */
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): void {
    const names = this.adaptersToMerge(options);
    if (names.length === 0) return;
    const weight = this.baseLayer.weight;
    noGrad(() => {
      let merged = weight.detach();
      for (const name of names) {
        merged = merged.add(this.getDeltaWeight(name).to(weight.device));
        if (options.safeMerge && !allFinite(merged)) {
          throw new Error(`NaNs detected in the merged weights. The adapter ${name} seems to be broken (module '${this.modulePath}')`);
        }
      }
      this.originalWeight ??= weight.detach().clone();
      weight.copy_(merged);
    });
    this.merged.push(...names);
  }

  /** Restores the base weight exactly (from the copy kept at the first merge). */
  unmerge(): void {
    if (this.originalWeight === null) return;
    const original = this.originalWeight;
    noGrad(() => this.baseLayer.weight.copy_(original));
    this.originalWeight = null;
    this.merged = [];
  }
}

/** True when every value of `t` is finite. */
function allFinite(t: Tensor): boolean {
  for (const v of t.cpu().data()) if (!Number.isFinite(v)) return false;
  return true;
}

function checkShape(path: string, what: string, value: Tensor, expected: readonly number[]): void {
  if (value.ndim !== expected.length || value.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`LoRA: ${what} of module '${path}' has shape (${value.shape.join(',')}), expected (${expected.join(',')}) (check r and rank_pattern)`);
  }
}
