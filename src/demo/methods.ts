/**
 * The four ways the demo fine-tunes the pretrained ViT on a new task (plus a second FRoD variant), each
 * starting from the same pretrained weights and the same freshly initialised 5-way head:
 * - FRoD on `query`/`value` (PEFT's default targets for ViT) and on every linear layer of the encoder;
 * - LoRA on `query`/`value`;
 * - full fine-tuning (every parameter trains);
 * - linear probe (only the head trains).
 * The PEFT methods keep the head trainable through `modules_to_save: ["classifier"]`.
 *
 * Learning rates were chosen once per method on the validation split (see docs/demo.md), never on the
 * test set, and are fixed here.
 */
import { FrodConfig } from '../frod/config';
import { getPeftModel } from '../frod/model';
import { LoraConfig } from '../lora/config';
import { getLoraModel } from '../lora/model';
import type { ViTForImageClassification } from '../nn/models/vit';
import type { Module } from '../nn/module';
import type { PeftModel } from '../peft/peftModel';
import type { PeftConfigLike } from '../peft/tuner';
import { countParameters } from '../peft/trainable';
import type { AdamOptions, ParamGroup } from '../nn/optim';
import type { Tensor } from '../tensor/tensor';
import type { LogitsFn } from './evaluate';

export type MethodId = 'frod' | 'frod-all-linear' | 'lora' | 'full' | 'linear-probe';

/** A model made ready for one method. */
export interface PreparedMethod {
  /** The module to train (a PeftModel for the adapter methods). */
  module: Module;
  logits: LogitsFn;
  /** The tensors that train. */
  trainable: Tensor[];
  trainableParams: number;
  totalParams: number;
  /** The PeftModel, for the adapter methods (to save the adapter). */
  peft: PeftModel<PeftConfigLike> | null;
}

/** One method: how to turn the base model (with its new head) into a trainable model. */
export interface MethodSpec {
  id: MethodId;
  name: string;
  learningRate: number;
  details: Record<string, string | number | boolean | string[]>;
  prepare(model: ViTForImageClassification): PreparedMethod;
}

/** FRoD's settings in the demo (PEFT's defaults except the targets and the head). */
export const FROD_SPARSE_RATE = 0.01;
/** LoRA's rank: 1 gives about as many trainable adapter values as FRoD on query/value (512 vs 416 here). */
export const LORA_RANK = 1;
export const LORA_ALPHA = 2;

/** Every linear layer of the encoder (the patch projection, a Conv2d in Hugging Face's ViT, is left out). */
export const ALL_LINEAR_TARGETS = ['query', 'key', 'value', 'dense'];

/**
 * Learning rates, chosen by validation accuracy over the grids of src/demo/sweep.ts (`frod demo --sweep-lr`)
 * with the default settings and seed 0; the test set played no part. See docs/demo.md for the whole grid.
 */
export const LEARNING_RATES: Readonly<Record<MethodId, number>> = {
  'frod': 1e-1,
  'frod-all-linear': 3e-2,
  'lora': 3e-2,
  'full': 3e-3,
  'linear-probe': 1,
};

/**
 * The optimizer's parameter groups for a prepared method: FRoD's sparse S values (`frod_lambda_s_values`)
 * at `sScale` × `learningRate`, everything else (λ, LoRA, the head, full weights) at `learningRate`. The
 * paper's recipes train S at a tenth of λ's rate (`sScale` 0.1); the demo's default is 1, the rate its
 * sweep chose for both (docs/demo.md compares the two). Methods without S get one group.
 */
export function parameterGroups(prepared: PreparedMethod, learningRate: number, sScale = 1): ParamGroup<AdamOptions>[] {
  const trainable = new Set(prepared.trainable);
  const sValues = prepared.module.namedParameters()
    .filter(([name, p]) => trainable.has(p) && name.split('.').includes('frod_lambda_s_values'))
    .map(([, p]) => p);
  const isS = new Set(sValues);
  const rest = prepared.trainable.filter((p) => !isS.has(p));
  const groups: ParamGroup<AdamOptions>[] = rest.length > 0 ? [{ params: rest, lr: learningRate }] : [];
  if (sValues.length > 0) groups.push({ params: sValues, lr: learningRate * sScale });
  return groups;
}

function fromPeft(peft: PeftModel<PeftConfigLike>): PreparedMethod {
  const [trainableParams, totalParams] = peft.getNbTrainableParameters();
  return {
    module: peft,
    logits: (pixels) => peft.forward(pixels as never) as Tensor,
    trainable: peft.parameters().filter((p) => p.requiresGrad),
    trainableParams,
    totalParams,
    peft,
  };
}

function plain(model: ViTForImageClassification): PreparedMethod {
  const [trainableParams, totalParams] = countParameters(model);
  return {
    module: model,
    logits: (pixels) => model.forward(pixels),
    trainable: model.parameters().filter((p) => p.requiresGrad),
    trainableParams,
    totalParams,
    peft: null,
  };
}

/** The FRoD config of a variant (also what the saved adapter's adapter_config.json says). */
export function frodConfig(targets: readonly string[], baseModel: string | null = null): FrodConfig {
  return new FrodConfig({
    targetModules: [...targets], modulesToSave: ['classifier'], sparseRate: FROD_SPARSE_RATE,
    baseModelNameOrPath: baseModel, progressbar: false,
  });
}

/** The demo's methods, in the order they run and are reported. */
export function demoMethods(learningRates: Partial<Record<MethodId, number>> = {}, baseModel: string | null = null): MethodSpec[] {
  const lr = (id: MethodId) => learningRates[id] ?? LEARNING_RATES[id];
  return [
    {
      id: 'frod', name: 'FRoD (query, value)', learningRate: lr('frod'),
      details: { targetModules: ['query', 'value'], sparseRate: FROD_SPARSE_RATE, modulesToSave: ['classifier'] },
      prepare: (model) => fromPeft(getPeftModel(model, frodConfig(['query', 'value'], baseModel)) as PeftModel<PeftConfigLike>),
    },
    {
      id: 'frod-all-linear', name: 'FRoD (all linear)', learningRate: lr('frod-all-linear'),
      details: { targetModules: ALL_LINEAR_TARGETS, sparseRate: FROD_SPARSE_RATE, modulesToSave: ['classifier'] },
      prepare: (model) => fromPeft(getPeftModel(model, frodConfig(ALL_LINEAR_TARGETS, baseModel)) as PeftModel<PeftConfigLike>),
    },
    {
      id: 'lora', name: `LoRA (query, value, r=${LORA_RANK})`, learningRate: lr('lora'),
      details: { targetModules: ['query', 'value'], r: LORA_RANK, loraAlpha: LORA_ALPHA, modulesToSave: ['classifier'] },
      prepare: (model) => fromPeft(getLoraModel(model, new LoraConfig({
        r: LORA_RANK, loraAlpha: LORA_ALPHA, targetModules: ['query', 'value'], modulesToSave: ['classifier'], baseModelNameOrPath: baseModel,
      })) as PeftModel<PeftConfigLike>),
    },
    {
      id: 'full', name: 'full fine-tuning', learningRate: lr('full'), details: {},
      prepare: (model) => plain(model.requiresGrad_(true)),
    },
    {
      id: 'linear-probe', name: 'linear probe (head only)', learningRate: lr('linear-probe'), details: {},
      prepare: (model) => {
        model.requiresGrad_(false);
        model.classifier.requiresGrad_(true);
        return plain(model);
      },
    },
  ];
}
