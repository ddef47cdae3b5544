/**
 * Every differentiable op's gradient through gradcheck (central differences in float64) on random shapes
 * and values: elementwise (with broadcasting, so gradients are summed back to each input's shape),
 * reductions, matmul in all its shape cases, views and copies, indexing, softmax, dropout, sparseMm.
 */
import { test } from 'uvu';
import * as fc from 'fast-check';
import { gradcheck } from '../../src/autograd';
import {
  cat, chunk, diag, diagEmbed, dropout, Generator, logSoftmax, matmul, softmax, sparseMm, split, stack, tensor, tril,
  triu, where, type Tensor,
} from '../../src/tensor';
import { broadcastPairArb, check, randomTensor, randomValues, shapeArb } from '../tensor/helpers';

/** A float64 leaf that requires grad: normal values, or uniform in `range`. */
const leaf = (shape: readonly number[], seed: number, range?: [number, number]) =>
  randomTensor(shape, seed, 'float64', range).requiresGrad_();

const int32 = (values: number[], shape?: number[]) => tensor(Int32Array.from(values), { shape: shape ?? [values.length] });

/** gradcheck of fn on the inputs built from random cases. */
function gradTest<C>(name: string, cases: fc.Arbitrary<C>, build: (c: C) => { inputs: Tensor[]; fn: (...xs: Tensor[]) => Tensor }, runs = 8): void {
  test(name, () => {
    check(fc.property(cases, (c) => {
      const { inputs, fn } = build(c);
      gradcheck(fn, inputs);
    }), runs);
  });
}

const one = fc.record({ shape: shapeArb(3, 3), seed: fc.nat() });
const atLeast1D = fc.record({ shape: shapeArb(3, 3, 1), seed: fc.nat() });
const atLeast2D = fc.record({ shape: shapeArb(3, 3, 2), seed: fc.nat() });
const pair = fc.record({ shapes: broadcastPairArb(3, 3), seed: fc.nat() });
/** Every dim of size ≥ 2 (a variance over one element divides by zero). */
const wide2D = fc.record({ shape: fc.array(fc.integer({ min: 2, max: 3 }), { minLength: 2, maxLength: 3 }), seed: fc.nat() });

// ---- elementwise -------------------------------------------------------------------------------------

for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
  gradTest(`${op}: both operands, broadcast`, pair, ({ shapes: [sa, sb], seed }) => ({
    inputs: [leaf(sa, seed), op === 'div' ? leaf(sb, seed + 1, [0.5, 2]) : leaf(sb, seed + 1)],
    fn: (a, b) => a[op](b),
  }));
}

gradTest('pow: base and exponent, broadcast; a number on either side', pair, ({ shapes: [sa, sb], seed }) => ({
  inputs: [leaf(sa, seed, [0.5, 2]), leaf(sb, seed + 1, [-2, 2])],
  fn: (a, b) => a.pow(b).add(a.pow(3)).add(tensor(2, { dtype: 'float64' }).pow(b)),
}));

const UNARY: [string, (x: Tensor) => Tensor, [number, number]?][] = [
  ['neg', (x) => x.neg()], ['abs', (x) => x.abs()], ['exp', (x) => x.exp()], ['log', (x) => x.log(), [0.2, 3]],
  ['sqrt', (x) => x.sqrt(), [0.2, 3]], ['rsqrt', (x) => x.rsqrt(), [0.2, 3]], ['sin', (x) => x.sin()],
  ['cos', (x) => x.cos()], ['tanh', (x) => x.tanh()], ['sigmoid', (x) => x.sigmoid()], ['relu', (x) => x.relu()],
  ['gelu', (x) => x.gelu()], ['gelu tanh', (x) => x.gelu('tanh')], ['erf', (x) => x.erf()], ['square', (x) => x.square()],
  ['reciprocal', (x) => x.reciprocal(), [0.3, 3]], ['log1p', (x) => x.log1p(), [-0.5, 3]], ['expm1', (x) => x.expm1()],
  ['sign · x (zero gradient of sign)', (x) => x.sign().mul(x)], ['floor/ceil/round (zero gradients)', (x) => x.floor().add(x.ceil()).add(x.round()).add(x)],
];
for (const [name, fn, range] of UNARY) {
  gradTest(`${name}`, one, ({ shape, seed }) => ({ inputs: [leaf(shape, seed, range)], fn }), 6);
}

gradTest('where, clamp, maskedFill: gradients flow to the chosen side only', pair, ({ shapes: [sa, sb], seed }) => {
  const mask = randomTensor(sb, seed + 2, 'int32', [0, 2]);
  return {
    inputs: [leaf(sa, seed), leaf(sb, seed + 1)],
    fn: (a, b) => where(mask, a, b).add(a.clamp(-0.5, 0.7)).add(b.maskedFill(mask, 3)),
  };
});

// ---- reductions ---------------------------------------------------------------------------------------

/** A random non-empty set of dims of `shape`, from bits of `seed`. */
const dimsOf = (shape: readonly number[], seed: number) => {
  const dims = shape.map((_, i) => i).filter((i) => (seed >> i) & 1);
  return dims.length ? dims : [shape.length - 1];
};

gradTest('sum, mean over dims with and without keepdim', atLeast1D, ({ shape, seed }) => ({
  inputs: [leaf(shape, seed)],
  fn: (x) => x.sum(dimsOf(shape, seed), seed % 2 === 0).sum().add(x.mean(dimsOf(shape, seed >> 3), true).mul(x).sum()).add(x.sum()),
}));

gradTest('amax, amin, max(dim).values, min(dim).values', atLeast1D, ({ shape, seed }) => ({
  inputs: [leaf(shape, seed)],
  fn: (x) => {
    const d = seed % shape.length;
    return x.amax(dimsOf(shape, seed)).sum().add(x.amin(d, true).sum()).add(x.max(d).values.sum()).add(x.min(d, true).values.sum()).add(x.max());
  },
}));

gradTest('var and std (corrections 0 and 1), norm for p = 1, 2, 3, ∞', wide2D, ({ shape, seed }) => ({
  inputs: [leaf(shape, seed)],
  fn: (x) => x.var(dimsOf(shape, seed)).sum().add(x.std(1, { correction: 0, keepdim: true }).sum())
    .add(x.norm()).add(x.norm(1, 0).sum()).add(x.norm(3, -1).sum()).add(x.norm(Infinity, 0, true).sum()),
}));

gradTest('logsumexp, softmax, logSoftmax along random dims', atLeast1D, ({ shape, seed }) => {
  const d = seed % shape.length;
  const weights = randomTensor(shape, seed + 5);
  return {
    inputs: [leaf(shape, seed)],
    fn: (x) => x.logsumexp(dimsOf(shape, seed)).sum().add(softmax(x, d).mul(weights).sum()).add(logSoftmax(x, d).mul(weights).sum()),
  };
});

// ---- matmul -------------------------------------------------------------------------------------------

const mm = fc.record({ m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }), b: fc.integer({ min: 1, max: 3 }), seed: fc.nat() });
gradTest('matmul 2-D and 1-D cases', mm, ({ m, k, n, seed }) => ({
  inputs: [leaf([m, k], seed), leaf([k, n], seed + 1), leaf([k], seed + 2), leaf([k], seed + 3)],
  fn: (A, B, v, w) => matmul(A, B).sum().add(matmul(v, w)).add(matmul(v, B).sum()).add(matmul(A, w).sum()),
}));
gradTest('matmul with broadcast batch dims (and a 2-D operand folded into the batch)', mm, ({ m, k, n, b, seed }) => ({
  inputs: [leaf([b, 1, m, k], seed), leaf([2, k, n], seed + 1), leaf([k, n], seed + 2), leaf([k], seed + 3)],
  fn: (A, B, C, v) => matmul(A, B).square().sum().add(matmul(A, C).sum()).add(matmul(v, B).sum()).add(matmul(A, v).sum()),
}));

// ---- views and copies -----------------------------------------------------------------------------

gradTest('reshape, view, transpose, permute, T, mT, flatten, squeeze, unsqueeze, expand, contiguous, clone', atLeast2D, ({ shape, seed }) => {
  const weights = (s: readonly number[]) => randomTensor(s, seed + 9);
  return {
    inputs: [leaf(shape, seed)],
    fn: (x) => {
      const t = x.transpose(0, -1).contiguous().reshape(-1);
      const p = x.permute(shape.map((_, i) => shape.length - 1 - i));
      return t.mul(weights(t.shape)).sum()
        .add(p.mul(weights(p.shape)).sum()).add(x.T.mul(weights(x.T.shape)).sum()).add(x.mT.sum())
        .add(x.view(-1).mul(weights([x.numel()])).sum()).add(x.flatten(1).square().sum())
        .add(x.unsqueeze(1).squeeze(1).clone().mul(weights(shape)).sum())
        .add(x.unsqueeze(0).expand(3, ...shape).mul(weights([3, ...shape])).sum());
    },
  };
});

gradTest('narrow, slice with steps, select, flip, split, chunk, cat, stack', atLeast2D, ({ shape, seed }) => {
  const w = randomTensor([2 * shape[0], ...shape.slice(1)], seed + 4);
  return {
    inputs: [leaf(shape, seed), leaf(shape, seed + 1)],
    fn: (x, y) => {
      const size = shape[0];
      const parts = split(x, 1, 0).concat(chunk(y, 2, 0));
      return x.narrow(0, size - 1, 1).sum().add(x.slice(-1, 0, undefined, 2).square().sum())
        .add(x.select(0, 0).mul(2).sum()).add(x.flip(0).mul(w.narrow(0, 0, size)).sum())
        .add(cat(parts, 0).mul(w).sum()).add(stack([x, y], 1).square().sum());
    },
  };
});

gradTest('diag (both ways, offsets), diagEmbed, tril, triu', fc.record({ n: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 4 }), off: fc.integer({ min: -2, max: 2 }), seed: fc.nat() }), ({ n, m, off, seed }) => {
  const w = randomTensor([n + Math.abs(off), n + Math.abs(off)], seed + 3);
  return {
    inputs: [leaf([n, m], seed), leaf([n], seed + 1)],
    fn: (A, v) => diag(A, off).square().sum().add(diag(v, off).mul(w).sum()).add(diagEmbed(A).square().sum())
      .add(tril(A, off).mul(A).sum()).add(triu(A, -off).exp().sum()),
  };
});

// ---- indexing ---------------------------------------------------------------------------------------

gradTest('indexSelect and indexAdd (repeated indices), gather and scatterAdd', atLeast2D, ({ shape, seed }) => {
  const d = seed % shape.length;
  const picks = int32(randomValues(4, seed, [0, shape[d]], true));
  const indexShape = shape.map((s, i) => (i === d ? 3 : s));
  const index = randomTensor(indexShape, seed + 1, 'int32', [0, shape[d]]);
  const w = randomTensor(shape.map((s, i) => (i === d ? 4 : s)), seed + 2);
  return {
    inputs: [leaf(shape, seed), leaf(shape.map((s, i) => (i === d ? 4 : s)), seed + 3), leaf(indexShape, seed + 4)],
    fn: (x, src, g) => x.indexSelect(d, picks).mul(w).sum().add(x.indexAdd(d, picks, src).square().sum())
      .add(x.gather(d, index).mul(g).sum()).add(x.scatterAdd(d, index, g).square().sum()),
  };
});

gradTest('sparseMm: gradients for the values and the dense operand', fc.record({ m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 3 }), nnz: fc.integer({ min: 1, max: 6 }), seed: fc.nat() }), ({ m, k, n, nnz, seed }) => {
  const indices = int32([...randomValues(nnz, seed, [0, m], true), ...randomValues(nnz, seed + 1, [0, k], true)], [2, nnz]);
  return {
    inputs: [leaf([nnz], seed + 2), leaf([k, n], seed + 3)],
    fn: (values, dense) => sparseMm(indices, values, [m, k], dense).square().sum(),
  };
});

gradTest('dropout with a fixed generator is linear in its input (scaled mask)', one, ({ shape, seed }) => ({
  inputs: [leaf(shape, seed)],
  fn: (x) => dropout(x, 0.4, { generator: new Generator(seed) }).square().sum(),
}));

test.run();
