/** A readable toString, in PyTorch's style: `tensor([[1.0000, 2.0000]], dtype=float64, requires_grad=True)`. */
import type { Tensor } from './tensor';

const MAX_SHOWN = 1000; // beyond this many elements, show the first and last 3 of each dim

function formatNumber(v: number, integral: boolean, scientific: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (integral) return String(v);
  return scientific ? v.toExponential(4) : v.toFixed(4);
}

export function formatTensor(t: Tensor): string {
  const flat = Array.from(t.data());
  const isInt = t.dtype === 'int32';
  const finite = flat.filter(Number.isFinite).map(Math.abs);
  const maxAbs = finite.length ? Math.max(...finite) : 0;
  const minAbs = finite.filter((v) => v > 0).reduce((a, b) => Math.min(a, b), Infinity);
  const scientific = !isInt && (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity));
  const cells = flat.map((v) => formatNumber(v, isInt, scientific));
  const width = cells.reduce((w, c) => Math.max(w, c.length), 0);
  const summarize = flat.length > MAX_SHOWN;
  const shape = t.shape;
  const render = (dim: number, start: number, indent: number): string => {
    if (shape.length === 0) return cells[0];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const n = shape[dim];
    const picks = summarize && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    const parts = picks.map((i) => (i === -1 ? '...' : dim === shape.length - 1 ? cells[start + i].padStart(width) : render(dim + 1, start + i * stride, indent + 1)));
    const sep = dim === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - 1 - dim) + ' '.repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };
  const extras: string[] = [];
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.dtype !== 'float32' && t.dtype !== 'int32') extras.push(`dtype=${t.dtype}`);
  if (t.dtype === 'int32') extras.push('dtype=int32');
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  const body = shape.length > 0 && t.numel() === 0 ? `[], size=(${shape.join(', ')})` : render(0, 0, 7);
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
