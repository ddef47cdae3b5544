/**
 * FrodLinear: a Linear or GPT-2 Conv1D with FRoD adapters (docs/frod-math.md §3, §5, §8).
 *
 * Per adapter `a` the layer holds the trainable λ (`frod_lambda_l.a`, (in,)) and S values
 * (`frod_lambda_s_values.a`, (nnz,)), the frozen U (`frod_U.a`, (out, in), a non-persistent buffer: never
 * saved), and a reference to its category's V and pattern (shared by every layer of the category).
 * Parameter paths read like PEFT's: `…q_proj.frod_lambda_l.default`, base weight `…q_proj.base_layer.weight`.
 *
 * Forward with one active adapter and no active dropout does not touch the base weight:
 *   z = x V;  y = (z Sᵀ + z ⊙ λ) Uᵀ + bias
 * otherwise (several adapters, or dropout in training):
 *   y = base(x) + Σ_a [ FRoD_a(drop_a(x)) − drop_a(x) Wᵀ ],  FRoD_a(h) = (h V Sᵀ + h V ⊙ λ) Uᵀ.
 *
 * `runtimeOffloadBaseWeight`: while the first path runs, W waits in host memory (`offloadDevice`); the layer's
 * home is where its adapters are (they move with the model), and W goes back there before any path that
 * needs it on the device (the second path, disabled adapters, merging, unloading). See docs/gpu.md.
 */
import { noGrad } from '../autograd';
import type { Mat } from '../linalg/kernels/mat';
import { parameter } from '../nn/module';
import { type Device, Generator, type Tensor, dropout, sparseMm, tensor } from '../tensor';
import { type AdaptableLayer, AdapterLayer } from '../peft/adapterLayer';
import { BufferDict, ParameterDict } from '../peft/dicts';
import type { CategoryState } from './basis';
import type { FrodConfig } from './config';
import { adaptedWeight, decomposeWeight } from './decompose';
import { checkFinite, initialLayerValues } from './functional';
import { trainableDType } from '../peft/autocast';
import { decomposableWeightMatrix, matrixToWeight, roundToDType, toFloat64, weightMatrix } from './weights';

/** The base layers FRoD adapts. */
export type FrodBaseLayer = AdaptableLayer;

/** Moves a base weight to a device in place (the tensor keeps its identity). */
export type BaseWeightMover = (weight: Tensor, device: Device) => void;

/** Default mover: swaps the tensor's storage for a copy on `device`. */
const moveStorage: BaseWeightMover = (weight, device) => {
  if (weight.device === device) return;
  noGrad(() => { weight.storage = weight.to(device).contiguous().storage; });
};

/** What the layer keeps per adapter besides its parameters. */
interface AdapterEntry {
  readonly category: CategoryState;
  readonly dropout: number;
  readonly generator: Generator;
}

export class FrodLinear extends AdapterLayer<AdapterEntry> {
  /** How `runtimeOffloadBaseWeight` moves base weights; replace to plug in another device strategy. */
  static baseWeightMover: BaseWeightMover = moveStorage;
  /** Where offloaded base weights wait (host memory). */
  static offloadDevice: Device = 'cpu';

  readonly frodLambdaL = new ParameterDict();
  readonly frodLambdaSValues = new ParameterDict();
  readonly frodU = new BufferDict(false);
  private offloadEnabled = false;
  private offloaded = false;

  /**
   * @param baseLayer the Linear or Conv1D to adapt
   * @param modulePath its dotted path in the model (named in errors)
   * @param fanInFanOut true when the weight is stored (in, out) — forced by the layer type
   */
  constructor(baseLayer: FrodBaseLayer, modulePath: string, fanInFanOut: boolean) {
    super('FrodLinear', baseLayer, modulePath, fanInFanOut);
    this.registerModule('frod_lambda_l', this.frodLambdaL);
    this.registerModule('frod_lambda_s_values', this.frodLambdaSValues);
    this.registerModule('frod_U', this.frodU);
  }

  /** The base weight in the (out, in) orientation, float64 (read wherever it is: no need to move it). */
  private baseMatrix(): Mat {
    return decomposableWeightMatrix({ weight: this.baseLayer.weight, fanInFanOut: this.fanInFanOut }, this.modulePath);
  }

  /**
   * Adds (or replaces) adapter `name` with its category's V and pattern. U and λ come from the base weight
   * (W = U diag(λ) Vᵀ); `trained` replaces λ and the S values (a checkpoint's), else S = 0 (or the
   * `init_weights: false` noise of the model's adapter number `adapterIndex`, 0 for the first). U takes the
   * base weight's dtype; λ and S too, except over a float16/bfloat16 weight with `autocast` (PEFT's
   * autocast_adapter_dtype, default true), where they are float32 (λ's initial values still rounded to the
   * base dtype, where PEFT computes them).
   */
  updateLayer(name: string, category: CategoryState, config: FrodConfig, trained: { lambda: Tensor; sValues: Tensor } | null = null,
    adapterIndex = 0, autocast = true): void {
    if (category.inFeatures !== this.inFeatures) {
      throw new Error(`FRoD: V of category '${category.name}' is (${category.inFeatures},${category.inFeatures}) but module '${this.modulePath}' has in_features ${this.inFeatures}`);
    }
    const { dtype } = this.baseLayer.weight;
    const device = this.homeDevice();
    // Adapters with the same V (and base weight) have the same U: keep one tensor.
    const sharing = [...this.adapters].find(([other, entry]) => other !== name && entry.category.v === category.v);
    const { u, lambda } = decomposeWeight(category.basis(), this.baseMatrix());
    const uTensor = sharing ? this.frodU.get(sharing[0]) : tensor(u.data, { dtype, shape: [u.rows, u.cols], device });
    const init = trained ? null : initialLayerValues(lambda, category.pattern.nnz, config, this.modulePath, adapterIndex);
    const vectorDType = trainableDType(dtype, autocast);
    const lambdaValues = (trained ? trained.lambda : tensor(init!.lambda, { dtype })).to(vectorDType);
    const sValues = (trained ? trained.sValues : tensor(init!.sValues, { dtype })).to(vectorDType);
    this.frodU.set(name, uTensor);
    this.frodLambdaL.set(name, parameter(lambdaValues.to(device).clone()));
    this.frodLambdaSValues.set(name, parameter(sValues.to(device).clone()));
    this.adapters.set(name, { category, dropout: config.frodDropout, generator: new Generator(`frod-dropout/${name}/${this.modulePath}`) });
    this.offloadEnabled = config.runtimeOffloadBaseWeight;
    this.setActiveAdapters(this.active, () => true);
    if (this.adapters.size === 1) this.offloadBaseWeight();
  }

  /** The category state adapter `name` uses. */
  categoryOf(name: string): CategoryState {
    return this.entry(name).category;
  }

  protected setAdapterTrainable(name: string, on: boolean): void {
    this.frodLambdaL.get(name).requiresGrad = on;
    this.frodLambdaSValues.get(name).requiresGrad = on;
  }

  protected dropAdapterTensors(name: string): void {
    if (this.adapters.size === 1) this.ensureBaseWeight(); // the adapters tell where home is: bring W back first
    this.frodLambdaL.delete(name);
    this.frodLambdaSValues.delete(name);
    this.frodU.delete(name);
  }

  // ---- base weight offloading (runtimeOffloadBaseWeight) -------------------------------------------------

  /**
   * Where the layer runs: the device of its adapter tensors (they move with the model), else of its base
   * weight. An offloaded base weight returns here.
   */
  homeDevice(): Device {
    const [first] = this.frodLambdaL.keys();
    return first !== undefined ? this.frodLambdaL.get(first).device : this.baseLayer.weight.device;
  }

  /**
   * Moves the base weight to host memory while only the single-adapter path runs. Called on every such
   * forward, so a weight that a plain `Module.to` dragged to the device goes back at once.
   */
  offloadBaseWeight(): void {
    if (!this.offloadEnabled) return;
    FrodLinear.baseWeightMover(this.baseLayer.weight, FrodLinear.offloadDevice);
    this.offloaded = true;
  }

  /** Brings an offloaded base weight back to the layer's device (before any path that needs it). */
  ensureBaseWeight(): void {
    if (!this.offloaded) return;
    FrodLinear.baseWeightMover(this.baseLayer.weight, this.homeDevice());
    this.offloaded = false;
  }

  /** True while the base weight waits in host memory (`offloadDevice`). */
  get baseWeightOffloaded(): boolean {
    return this.offloaded && this.baseLayer.weight.device === FrodLinear.offloadDevice;
  }

  /**
   * For a device move of the model (BaseTuner.to): takes an offloaded base weight out of the module tree so
   * the move leaves it in host memory; returns what puts it back.
   */
  holdOffloaded(): () => void {
    if (!this.baseWeightOffloaded) return () => undefined;
    const { baseLayer } = this;
    const weight = baseLayer.weight;
    baseLayer.registerParameter('weight', null);
    return () => baseLayer.registerParameter('weight', weight);
  }

  override getBaseLayer(): FrodBaseLayer {
    this.ensureBaseWeight();
    return this.baseLayer;
  }

  // ---- forward ---------------------------------------------------------------------------------------

  /** x Wᵀ without the bias, for either weight orientation. */
  private baseWithoutBias(x: Tensor): Tensor {
    const w = this.baseLayer.weight;
    return x.matmul(this.fanInFanOut ? w : w.t());
  }

  /**
   * FRoD_a(x) = (x V Sᵀ + x V ⊙ λ) Uᵀ, no bias; x (..., in) → (..., out). Computed in x's dtype, as PEFT
   * casts U, V, λ and S to the input's dtype (float32 λ and S of a bfloat16 model run in bfloat16 and get
   * their gradients back in float32).
   */
  adapterOutput(name: string, x: Tensor): Tensor {
    const { category } = this.adapters.get(name) as AdapterEntry;
    const lambda = this.frodLambdaL.get(name);
    const dtype = x.dtype === 'int32' ? lambda.dtype : x.dtype;
    const sValues = this.frodLambdaSValues.get(name).to(dtype);
    const { v, indices } = category.tensors(dtype, lambda.device);
    const n = this.inFeatures;
    const lead = x.shape.slice(0, -1);
    const z = x.reshape(-1, n).matmul(v);
    let h = z.mul(lambda.to(dtype));
    if (category.pattern.nnz > 0) h = h.add(sparseMm(indices, sValues, [n, n], z.t()).t());
    return h.matmul(this.frodU.get(name).to(dtype).t()).reshape(...lead, this.outFeatures);
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.disabled || this.merged.length > 0) {
      if (this.disabled && this.merged.length > 0) this.unmerge();
      return this.getBaseLayer().forward(x);
    }
    const active = this.active.filter((a) => this.adapters.has(a));
    if (active.length === 0) return this.getBaseLayer().forward(x);
    const dropping = (a: string) => this.training && (this.adapters.get(a) as AdapterEntry).dropout > 0;
    if (active.length === 1 && !dropping(active[0])) {
      this.offloadBaseWeight();
      const y = this.adapterOutput(active[0], x);
      const bias = this.baseLayer.bias;
      return bias ? y.add(bias) : y;
    }
    let y = this.getBaseLayer().forward(x);
    for (const name of active) {
      const entry = this.adapters.get(name) as AdapterEntry;
      const h = dropout(x, entry.dropout, { training: this.training, generator: entry.generator });
      y = y.add(this.adapterOutput(name, h).sub(this.baseWithoutBias(h)));
    }
    return y;
  }

  // ---- merging ---------------------------------------------------------------------------------------

  /** W'_a = U (S + diag λ) Vᵀ of adapter `name`, float64 (out, in). */
  private adaptedMatrix(name: string): Mat {
    const { category } = this.adapters.get(name) as AdapterEntry;
    const uTensor = this.frodU.get(name);
    const u = { rows: uTensor.shape[0], cols: uTensor.shape[1], data: toFloat64(uTensor) };
    return adaptedWeight(u, category.v, toFloat64(this.frodLambdaL.get(name)), category.pattern, toFloat64(this.frodLambdaSValues.get(name)));
  }

  /** The original (unmerged) base weight as float64 (out, in). */
  private originalMatrix(): Mat {
    const weight = this.originalWeight ?? this.baseLayer.weight;
    return weightMatrix({ weight, fanInFanOut: this.fanInFanOut }, this.modulePath);
  }

  /**
   * ΔW_a = W'_a − W in the stored orientation and dtype of the base weight, on the layer's device. W is read
   * where it is (an offloaded W stays in host memory).
   */
  getDeltaWeight(name: string): Tensor {
    this.entry(name); // throws for an adapter the layer does not hold
    const delta = this.adaptedMatrix(name);
    const w = this.originalMatrix();
    for (let i = 0; i < delta.data.length; i++) delta.data[i] -= w.data[i];
    return matrixToWeight(delta, this.baseLayer.weight.dtype, this.fanInFanOut).to(this.homeDevice());
  }

  /** Adds W'_a − W of each adapter (default: the active ones, skipping merged ones) to the base weight. */
  merge(options: { safeMerge?: boolean; adapterNames?: readonly string[] } = {}): void {
    const names = this.adaptersToMerge(options);
    if (names.length === 0) return;
    const weight = this.baseLayer.weight; // read where it is; it goes home just before it is written
    const original = this.originalMatrix();
    const current = weightMatrix({ weight, fanInFanOut: this.fanInFanOut }, this.modulePath);
    for (const name of names) {
      const adapted = this.adaptedMatrix(name);
      for (let i = 0; i < current.data.length; i++) current.data[i] += adapted.data[i] - original.data[i];
      // Checked as stored: in a float32 weight a float64 sum past the float32 maximum becomes infinite.
      if (options.safeMerge) checkFinite(roundToDType(current.data, weight.dtype), name, this.modulePath);
    }
    this.originalWeight ??= this.keptCopy(weight);
    this.ensureBaseWeight();
    noGrad(() => weight.copy_(matrixToWeight(current, weight.dtype, this.fanInFanOut).to(weight.device)));
    this.merged.push(...names);
  }

  /** A copy of W for unmerge; it waits in host memory when offloading (unmerge copies it to wherever W is). */
  private keptCopy(weight: Tensor): Tensor {
    const keep = this.offloadEnabled ? FrodLinear.offloadDevice : weight.device;
    return noGrad(() => (weight.device === keep ? weight.detach().clone() : weight.detach().to(keep)));
  }

  /** Restores the base weight exactly (from the copy kept at the first merge). */
  unmerge(): void {
    if (this.originalWeight === null) return;
    this.ensureBaseWeight();
    const weight = this.baseLayer.weight;
    const original = this.originalWeight;
    noGrad(() => weight.copy_(original.to(weight.device)));
    this.originalWeight = null;
    this.merged = [];
  }
}
