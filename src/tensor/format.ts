/** A readable toString, in PyTorch's style: `tensor([[1.5000, 2.0000]], dtype=float64, requires_grad=True)`. */
import { contiguousStrides } from './shape';
import type { Tensor } from './tensor';

const MAX_SHOWN = 1000; // beyond this many elements, show the first and last 3 of each dim

type Style = 'int' | 'whole' | 'fixed' | 'scientific';

function formatNumber(v: number, style: Style): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  switch (style) {
    case 'int': return String(v);
    case 'whole': return `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.`;
    case 'fixed': return v.toFixed(4);
    case 'scientific': return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  }
}

/** PyTorch's choice: ints as is; whole floats as `3.`; `1.2346e+08` for a wide range; else 4 decimals. */
function styleOf(values: readonly number[], isInt: boolean): Style {
  if (isInt) return 'int';
  const finite = values.filter(Number.isFinite).map(Math.abs);
  const maxAbs = finite.reduce((a, b) => Math.max(a, b), 0);
  const nonzero = finite.filter((v) => v > 0);
  const minAbs = nonzero.reduce((a, b) => Math.min(a, b), Infinity);
  if (finite.every(Number.isInteger)) return maxAbs >= 1e8 ? 'scientific' : 'whole';
  if (maxAbs >= 1e8 || (nonzero.length > 0 && (minAbs < 1e-4 || maxAbs / minAbs > 1000))) return 'scientific';
  return 'fixed';
}

/** The indices shown along a dim of size n: all, or the first and last 3 around an ellipsis (−1). */
function picks(n: number, summarize: boolean): number[] {
  return summarize && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
}

export function formatTensor(t: Tensor): string {
  const flat = t.data();
  const shape = t.shape;
  const strides = contiguousStrides(shape);
  const summarize = flat.length > MAX_SHOWN;
  // Only the shown values are formatted (and choose the style), as in PyTorch.
  const shown: number[] = [];
  const collect = (dim: number, start: number): void => {
    if (dim === shape.length) { shown.push(start); return; }
    for (const i of picks(shape[dim], summarize)) if (i >= 0) collect(dim + 1, start + i * strides[dim]);
  };
  if (flat.length > 0) collect(0, 0);
  const style = styleOf(shown.map((i) => flat[i]), t.dtype === 'int32');
  const cells = new Map(shown.map((i) => [i, formatNumber(flat[i], style)]));
  const width = [...cells.values()].reduce((w, c) => Math.max(w, c.length), 0);
  const render = (dim: number, start: number, indent: number): string => {
    if (shape.length === 0) return cells.get(0) as string;
    const parts = picks(shape[dim], summarize).map((i) => {
      if (i === -1) return '...';
      const at = start + i * strides[dim];
      return dim === shape.length - 1 ? (cells.get(at) as string).padStart(width) : render(dim + 1, at, indent + 1);
    });
    const sep = dim === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - 1 - dim) + ' '.repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };
  const extras: string[] = [];
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  const body = shape.length > 0 && t.numel() === 0 ? `[], size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})` : render(0, 0, 7);
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
