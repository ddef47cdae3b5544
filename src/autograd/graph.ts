/**
 * The dynamic graph: every differentiable op that sees an input requiring grad records a `GradFn` on its
 * output, holding the inputs and a closure that maps the output's gradient to the inputs' gradients
 * (micrograd-style: each op's derivative sits beside its forward, in src/tensor/ops).
 */
import type { Tensor } from '../tensor/tensor';

export interface GradFn {
  /** The op's name, as `grad_fn` prints in PyTorch (e.g. 'MulBackward'). */
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Gradients w.r.t. each input (null where an input needs none), given the output's gradient. */
  backward(gradOutput: Tensor): readonly (Tensor | null)[];
}

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Turns graph recording on or off; returns the previous setting. */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

/**
 * Runs `fn` without recording the graph, as `with torch.no_grad():`. The setting is restored when `fn`
 * returns or throws (for an async `fn`, when its promise settles).
 */
export function noGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(false);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    setGradEnabled(previous);
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => setGradEnabled(previous)) as T;
  }
  setGradEnabled(previous);
  return result;
}

/**
 * Records `backward` on `output` when recording is on and some input requires grad; returns `output`.
 * `backward` receives the output's gradient and returns one gradient (or null) per input.
 */
export function record(
  output: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (gradOutput: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return output;
  output.requiresGrad = true;
  output.gradFn = { name, inputs, backward };
  return output;
}
