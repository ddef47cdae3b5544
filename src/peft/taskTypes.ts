/**
 * What `task_type` does to an adapter, as PEFT's task-specific PeftModel classes do it: sequence and token
 * classification add the head (`classifier`, `score`) to `modules_to_save`, question answering adds
 * `qa_outputs`, causal LM and feature extraction change nothing in the tuner. SEQ_2_SEQ_LM needs an
 * encoder-decoder model, which this project does not have, and is refused.
 */
import type { TaskType } from './config';

/** Heads PEFT's PeftModelFor<Task> adds to modules_to_save. */
const TASK_HEADS: Readonly<Partial<Record<TaskType, readonly string[]>>> = {
  SEQ_CLS: ['classifier', 'score'],
  TOKEN_CLS: ['classifier', 'score'],
  QUESTION_ANS: ['qa_outputs'],
};

/**
 * `modules_to_save` after the task type's additions (only names not there yet, in PEFT's order), or the
 * list unchanged. Throws for a task type this project cannot serve.
 */
export function taskModulesToSave(taskType: TaskType | null, modulesToSave: readonly string[] | null): readonly string[] | null {
  if (taskType === 'SEQ_2_SEQ_LM') {
    throw new Error('task_type "SEQ_2_SEQ_LM" needs an encoder-decoder model (PEFT\'s PeftModelForSeq2SeqLM), which frod-ts does not have; use null, "SEQ_CLS", "TOKEN_CLS", "QUESTION_ANS", "CAUSAL_LM" or "FEATURE_EXTRACTION"');
  }
  const heads = taskType === null ? undefined : TASK_HEADS[taskType];
  if (!heads) return modulesToSave;
  const have = modulesToSave ?? [];
  const added = heads.filter((h) => !have.includes(h));
  return added.length === 0 ? modulesToSave : [...have, ...added];
}
