/**
 * Elementwise ops with numpy broadcasting, each beside its derivative. Gradients of broadcast operands are
 * summed back to their shapes (sumToShape).
 */
import { record } from '../../autograd/graph';
import { backendFor, type BinaryOp, type UnaryOp } from '../backend';
import { isFloating, type DType } from '../dtype';
import { expectTensor } from '../expect';
import type { Tensor } from '../tensor';
import { broadcastAll, broadcastView, castTo, checkSameDevice, fromStorage, operands, scalarTensor, sumToShape, type TensorLike } from './util';

/** Applies a binary kernel to broadcast views of a and b; no graph. */
export function binaryRaw(op: BinaryOp, a: TensorLike, b: TensorLike, outDtype?: DType): Tensor {
  const [ta, tb, dtype] = operands(op, a, b);
  const shape = broadcastAll(op, ta, tb);
  const va = broadcastView(castTo(ta, dtype), shape, op);
  const vb = broadcastView(castTo(tb, dtype), shape, op);
  return fromStorage(backendFor(ta.device).binary(op, va, vb, outDtype ?? dtype), shape);
}

/** Applies a unary kernel; no graph. Integer inputs of float-valued ops compute in float32. */
export function unaryRaw(op: UnaryOp, x: Tensor, dtype?: DType): Tensor {
  expectTensor(x, op);
  const keepsInt = op === 'neg' || op === 'abs' || op === 'sign' || op === 'relu' || op === 'square';
  const out = dtype ?? (isFloating(x.dtype) || keepsInt ? x.dtype : 'float32');
  return fromStorage(backendFor(x.device).unary(op, x, out), x.shape);
}

function shapes(a: TensorLike, b: TensorLike): [readonly number[] | null, readonly number[] | null] {
  return [typeof a === 'number' ? null : a.shape, typeof b === 'number' ? null : b.shape];
}

function tensors(a: TensorLike, b: TensorLike): Tensor[] {
  return [a, b].filter((x): x is Tensor => typeof x !== 'number');
}

/** Records a binary op whose input gradients are `da(g)` and `db(g)` before un-broadcasting. */
function binaryWithGrad(
  name: string, op: BinaryOp, a: TensorLike, b: TensorLike,
  da: (g: Tensor, out: Tensor) => Tensor, db: (g: Tensor, out: Tensor) => Tensor,
): Tensor {
  const out = binaryRaw(op, a, b);
  const [sa, sb] = shapes(a, b);
  const inputs = tensors(a, b);
  return record(out, name, inputs, (g) => {
    const grads: (Tensor | null)[] = [];
    if (sa) grads.push((a as Tensor).requiresGrad ? sumToShape(da(g, out), sa) : null);
    if (sb) grads.push((b as Tensor).requiresGrad ? sumToShape(db(g, out), sb) : null);
    return grads;
  });
}

export const add = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad('AddBackward', 'add', a, b, (g) => g, (g) => g);

export const sub = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad('SubBackward', 'sub', a, b, (g) => g, (g) => g.neg());

export const mul = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad('MulBackward', 'mul', a, b, (g) => g.mul(b), (g) => g.mul(a));

/** True division (integer tensors divide as float32, like torch.div). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const toFloat = (x: TensorLike) => (typeof x !== 'number' && x.dtype === 'int32' ? x.to('float32') : x);
  const fa = toFloat(a);
  const fb = toFloat(b);
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b²
  return binaryWithGrad('DivBackward', 'div', fa, fb, (g) => g.div(fb), (g, out) => g.mul(out).div(fb).neg());
}

/** a^b; d/da = b·a^(b−1), d/db = a^b·ln a (0 where a = 0 and b ≥ 0, as PyTorch, not 0·(−∞) = NaN). */
export const pow = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad(
    'PowBackward', 'pow', a, b,
    (g) => g.mul(b).mul(binaryRaw('pow', a, typeof b === 'number' ? b - 1 : b.sub(1))),
    (g, out) => {
      const grad = g.mul(out).mul(typeof a === 'number' ? Math.log(a) : a.log());
      if (typeof a === 'number' && a !== 0) return grad;
      const exponentNonNegative = compare('ge', b, 0);
      return where(typeof a === 'number' ? exponentNonNegative : exponentNonNegative.mul(compare('eq', a, 0)), 0, grad);
    },
  );

/** Elementwise max; the gradient goes to the larger operand (split evenly on ties, as PyTorch). */
export const maximum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad('MaximumBackward', 'maximum', a, b, (g) => g.mul(tieWeight('gt', a, b)), (g) => g.mul(tieWeight('gt', b, a)));

export const minimum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryWithGrad('MinimumBackward', 'minimum', a, b, (g) => g.mul(tieWeight('lt', a, b)), (g) => g.mul(tieWeight('lt', b, a)));

/** 1 where x wins strictly, 0.5 on ties, 0 elsewhere. */
function tieWeight(op: 'gt' | 'lt', x: TensorLike, y: TensorLike): Tensor {
  const wins = binaryRaw(op, x, y, 'float32');
  const ties = binaryRaw('eq', x, y, 'float32');
  return wins.add(ties.mul(0.5));
}

/** Comparisons give int32 masks of 0 and 1 (the engine has no bool dtype). */
export const compare = (op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: TensorLike, b: TensorLike): Tensor =>
  binaryRaw(op, a, b, 'int32');

/** Records a unary op with derivative `dx(g, x, out)`. */
function unaryWithGrad(name: string, op: UnaryOp, x: Tensor, dx: (g: Tensor, x: Tensor, out: Tensor) => Tensor): Tensor {
  const out = unaryRaw(op, x);
  return record(out, name, [x], (g) => [dx(g, x, out)]);
}

export const neg = (x: Tensor) => unaryWithGrad('NegBackward', 'neg', x, (g) => g.neg());
export const abs = (x: Tensor) => unaryWithGrad('AbsBackward', 'abs', x, (g, v) => g.mul(unaryRaw('sign', v)));
export const sign = (x: Tensor) => unaryWithGrad('SignBackward', 'sign', x, (g) => g.mul(0));
export const exp = (x: Tensor) => unaryWithGrad('ExpBackward', 'exp', x, (g, _v, out) => g.mul(out));
export const log = (x: Tensor) => unaryWithGrad('LogBackward', 'log', x, (g, v) => g.div(v));
export const sqrt = (x: Tensor) => unaryWithGrad('SqrtBackward', 'sqrt', x, (g, _v, out) => g.div(out.mul(2)));
/** x^(−1/2); derivative −½·x^(−3/2) = −½·out³. */
export const rsqrt = (x: Tensor) => unaryWithGrad('RsqrtBackward', 'rsqrt', x, (g, _v, out) => g.mul(out.mul(out).mul(out)).mul(-0.5));
export const sin = (x: Tensor) => unaryWithGrad('SinBackward', 'sin', x, (g, v) => g.mul(unaryRaw('cos', v)));
export const cos = (x: Tensor) => unaryWithGrad('CosBackward', 'cos', x, (g, v) => g.mul(unaryRaw('sin', v)).neg());
export const tanh = (x: Tensor) => unaryWithGrad('TanhBackward', 'tanh', x, (g, _v, out) => g.mul(out.mul(out).neg().add(1)));
export const sigmoid = (x: Tensor) => unaryWithGrad('SigmoidBackward', 'sigmoid', x, (g, _v, out) => g.mul(out.mul(out.neg().add(1))));
export const relu = (x: Tensor) => unaryWithGrad('ReluBackward', 'relu', x, (g, v) => g.mul(unaryRaw('step', v, g.dtype)));
/** GELU, exact (erf) form by default, or PyTorch's approximate='tanh' form. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate === 'tanh') {
    return unaryWithGrad('GeluBackward', 'geluTanh', x, (g, v) => g.mul(unaryRaw('geluTanhGrad', v)));
  }
  return unaryWithGrad('GeluBackward', 'gelu', x, (g, v) => g.mul(unaryRaw('geluGrad', v)));
}
/** erf; derivative 2/√π·e^(−x²). */
export const erf = (x: Tensor) =>
  unaryWithGrad('ErfBackward', 'erf', x, (g, v) => g.mul(unaryRaw('exp', v.mul(v).neg())).mul(2 / Math.sqrt(Math.PI)));
export const square = (x: Tensor) => unaryWithGrad('PowBackward', 'square', x, (g, v) => g.mul(v).mul(2));
export const reciprocal = (x: Tensor) => unaryWithGrad('ReciprocalBackward', 'reciprocal', x, (g, _v, out) => g.mul(out.mul(out)).neg());
export const log1p = (x: Tensor) => unaryWithGrad('Log1pBackward', 'log1p', x, (g, v) => g.div(v.add(1)));
export const expm1 = (x: Tensor) => unaryWithGrad('Expm1Backward', 'expm1', x, (g, _v, out) => g.mul(out.add(1)));
/** Rounding ops have zero gradient almost everywhere. */
export const floor = (x: Tensor) => unaryWithGrad('FloorBackward', 'floor', x, (g) => g.mul(0));
export const ceil = (x: Tensor) => unaryWithGrad('CeilBackward', 'ceil', x, (g) => g.mul(0));
export const round = (x: Tensor) => unaryWithGrad('RoundBackward', 'round', x, (g) => g.mul(0));

/** cond ? a : b with broadcasting; gradients flow to the chosen side. `cond` is any mask (nonzero = true). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a === 'number' && typeof b === 'number') {
    // Two plain numbers: int32 when both are integers, else float32 (torch gives int64 / the default dtype).
    a = scalarTensor(a, Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32', cond.device);
  }
  const [ta, tb, dtype] = operands('where', a, b);
  checkSameDevice('where', cond, ta);
  const shape = broadcastAll('where', cond, ta, tb);
  const out = fromStorage(
    backendFor(ta.device).where(
      broadcastView(cond, shape, 'where'),
      broadcastView(castTo(ta, dtype), shape, 'where'),
      broadcastView(castTo(tb, dtype), shape, 'where'),
      dtype,
    ),
    shape,
  );
  const inputs = tensors(a, b);
  return record(out, 'WhereBackward', inputs, (g) => {
    const zero = g.mul(0);
    const grads: (Tensor | null)[] = [];
    if (typeof a !== 'number') grads.push(sumToShape(where(cond, g, zero), a.shape));
    if (typeof b !== 'number') grads.push(sumToShape(where(cond, zero, g), b.shape));
    return grads;
  });
}

/** Clamps into [min, max] (either bound optional); the gradient passes where the input was inside. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  let out = x;
  if (min !== undefined && min !== null) out = where(compare('lt', out, min), min, out);
  if (max !== undefined && max !== null) out = where(compare('gt', out, max), max, out);
  return out;
}

/** `value` wherever `mask` is nonzero; the result keeps x's dtype (as torch.masked_fill). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const out = where(mask, value, x);
  return out.dtype === x.dtype ? out : out.to(x.dtype);
}
