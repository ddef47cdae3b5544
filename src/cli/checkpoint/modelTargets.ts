/**
 * Which weights of a base model an adapter config adapts, decided from the headers alone (nothing is
 * decoded), as PEFT decides it on the model object:
 *
 * - the config is prepared for the base's `model_type` (config.json) by the library's own
 *   `prepareConfig` (src/peft/tuner.ts): PEFT's default targets when `target_modules` is null, and the
 *   task type's heads added to `modules_to_save` (SEQ_CLS/TOKEN_CLS: classifier, score; QUESTION_ANS:
 *   qa_outputs); a task type this project cannot serve is refused;
 * - a file records no layer types, so for the model types listed in {@link LAYER_TYPES_KNOWN} they come from
 *   the architecture: 2-D weights are Linear, except embeddings, and GPT-2's attention/MLP weights, which are
 *   Conv1D `(in, out)`. That makes `"all-linear"` possible and sets `fan_in_fan_out` as PEFT does (with
 *   PEFT's warning when the config said otherwise). For other model types the config decides, as before.
 */
import { FrodModel } from '../../frod/model';
import type { FrodConfig } from '../../frod/config';
import { selectWeightPaths } from '../../frod/functional';
import { Module } from '../../nn/module';
import type { LayerTypes } from '../../peft/targets';
import { forcedFanInFanOut } from '../../peft/inject';
import { CliError, about } from '../io';
import type { ModelFiles } from './modelFiles';

/** Model types whose layer types frod infers from tensor names (their 2-D weights are Linear unless named below). */
export const LAYER_TYPES_KNOWN: ReadonlySet<string> = new Set([
  'llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'phi', 'opt',
  'bert', 'roberta', 'xlm-roberta', 'electra', 'vit', 'gpt2',
]);

/** Module names of embeddings (their 2-D weight is a lookup table, not a Linear layer). */
const EMBEDDING_NAME = /(^|_)(embed|embeddings|embed_tokens|embed_positions)$|^(wte|wpe|shared)$/;
/** GPT-2's Conv1D modules (transformers.pytorch_utils.Conv1D stores weights (in, out)). */
const GPT2_CONV1D = new Set(['c_attn', 'c_proj', 'c_fc']);

/** The kind of layer behind the 2-D weight of module `path`, or null when the model type is not one we know. */
export function layerKindOf(modelType: string | null, path: string): 'linear' | 'conv1d' | 'embedding' | null {
  if (modelType === null || !LAYER_TYPES_KNOWN.has(modelType)) return null;
  const last = path.slice(path.lastIndexOf('.') + 1);
  if (EMBEDDING_NAME.test(last)) return 'embedding';
  if (modelType === 'gpt2' && GPT2_CONV1D.has(last)) return 'conv1d';
  return 'linear';
}

/** A stand-in model that only says its model_type, so the library prepares the config as for the real one. */
class ModelTypeOnly extends Module {
  constructor(readonly modelType: string | null) {
    super();
  }
}

/** What `frod init` adapts: the prepared config and the module paths, sorted. */
export interface TargetPlan {
  config: FrodConfig;
  paths: string[];
}

/** The message for `target_modules: null` on a base that does not say its model type. */
function noModelTypeMessage(model: ModelFiles): string {
  const where = model.kind === 'folder' ? `${model.path} has no config.json` : `there is no config.json with a model_type beside ${model.path}`;
  return `target_modules is null and ${where} to give the model_type for PEFT's default targets; write "target_modules" (e.g. ["q_proj", "v_proj"]) in this file`;
}

/**
 * Prepares `config` (read from `configFile`) for `model` and selects the weights it adapts: each a 2-D
 * float weight. Errors name the config file (what to write) or the model (what it lacks).
 */
export function planTargets(model: ModelFiles, config: FrodConfig, configFile: string): TargetPlan {
  const modelType = model.config?.modelType ?? null;
  if (config.targetModules === null && modelType === null) throw new CliError(configFile, noModelTypeMessage(model));
  let prepared = about(configFile, () => new FrodModel(new ModelTypeOnly(modelType)).prepareConfig(config));
  const names = model.names;
  const shapeOf = (path: string) => model.tensors.get(`${path}.weight`)?.entry.shape;
  const knows = modelType !== null && LAYER_TYPES_KNOWN.has(modelType);
  const layerTypes: LayerTypes | undefined = knows ? {
    isLinear: (path) => shapeOf(path)?.length === 2 && layerKindOf(modelType, path) !== 'embedding',
  } : undefined;
  if (!knows && typeof prepared.targetModules === 'string' && prepared.targetModules.toLowerCase() === 'all-linear') {
    const why = modelType === null ? 'the base has no config.json saying its model_type' : `frod does not know the layer types of model_type "${modelType}"`;
    throw new CliError(configFile, `target_modules "all-linear" needs the model's layer types, and ${why} (known: ${[...LAYER_TYPES_KNOWN].join(', ')}); list the target modules instead`);
  }
  const paths = about(model.path, () => selectWeightPaths(names, prepared, layerTypes));
  for (const path of paths) {
    const entry = model.locate(`${path}.weight`).entry;
    if (entry.shape.length !== 2) {
      throw new CliError(model.path, `FRoD: module '${path}' has a weight of shape (${entry.shape.join(',')}); only 2-D Linear / Conv1D weights can be adapted`);
    }
    if (!['F64', 'F32', 'F16', 'BF16'].includes(entry.dtype)) {
      throw new CliError(model.path, `module '${path}' stores its weight as ${entry.dtype}; FRoD adapts floating-point weights (F64, F32, F16, BF16)`);
    }
    if (knows && layerKindOf(modelType, path) === 'embedding') {
      throw new CliError(configFile, `target_modules selects '${path}', an embedding; FRoD adapts Linear and Conv1D layers`);
    }
  }
  if (knows) prepared = forcedFanInFanOut(prepared, paths.map((p) => layerKindOf(modelType, p) === 'conv1d'));
  return { config: prepared, paths };
}
