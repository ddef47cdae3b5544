/**
 * Reverse-mode differentiation: walk the graph from the output in reverse topological order, pushing each
 * node's gradient to its inputs and summing where paths meet; leaves accumulate into `.grad`.
 */
import { formatShape, sameShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { setGradEnabled } from './graph';

/** Nodes reachable from `root` through grad_fns, ordered so every node comes after all nodes that use it. */
function reverseTopologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS (deep graphs — long training loops of views — would overflow a recursive one).
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    const inputs = node.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const input = inputs[next];
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/**
 * Computes gradients of `root` w.r.t. every leaf that requires grad. `grad` defaults to 1 for a scalar root
 * (as `tensor.backward()`); a non-scalar root needs it.
 */
export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward: element 0 of tensors does not require grad and does not have a grad_fn');
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel() !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs (got shape ${formatShape(root.shape)})`);
    }
    seed = root.detach().onesLike();
  } else {
    if (!sameShape(grad.shape, root.shape)) {
      throw new Error(`backward: grad of shape ${formatShape(grad.shape)} does not match output of shape ${formatShape(root.shape)}`);
    }
    if (grad.device !== root.device) {
      throw new Error(`backward: expected all tensors to be on the same device, but found at least two devices, ${root.device} and ${grad.device} (output and grad)`);
    }
    seed = grad.dtype === root.dtype ? grad.detach() : grad.detach().to(root.dtype);
  }
  const previous = setGradEnabled(false);
  try {
    const grads = new Map<Tensor, Tensor>([[root, seed]]);
    for (const node of reverseTopologicalOrder(root)) {
      const g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node);
      if (node.gradFn === null || node.retainsGrad) accumulate(node, g);
      if (node.gradFn === null) continue;
      const inputGrads = node.gradFn.backward(g);
      node.gradFn.inputs.forEach((input, i) => {
        const raw = inputGrads[i];
        if (!input.requiresGrad || raw === null || raw === undefined) return;
        // Every node receives gradients of its own dtype (a float32 tensor used in a float64 op gets float32).
        const gi = raw.dtype === input.dtype ? raw : raw.to(input.dtype);
        const existing = grads.get(input);
        grads.set(input, existing === undefined ? gi : existing.add(gi));
      });
    }
  } finally {
    setGradEnabled(previous);
  }
}

function accumulate(node: Tensor, g: Tensor): void {
  const value = g.dtype === node.dtype ? g : g.to(node.dtype);
  // A fresh copy: the same gradient tensor may reach several leaves, and users may write into `.grad`.
  node.grad = node.grad === null ? value.detach().clone() : node.grad.add(value).detach();
}
