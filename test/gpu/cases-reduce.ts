/** Parity cases (gpu against cpu) for reductions, softmax and matrix products. */
import * as fc from 'fast-check';
import type { Tensor } from '../../src/tensor';
import type { ParityCase } from './cases-elementwise';
import { checkOp, normal, runs, seedArb, shapeArb } from './util';

/** A non-empty subset of a shape's dims. */
function dimsOf(shape: readonly number[], mask: number): number[] {
  const dims = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
  return dims.length ? dims : [shape.length - 1];
}

export const reduceCases: ParityCase[] = [
  {
    name: 'reductions over random dims, keepdim or not',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 4), seedArb, fc.nat(15), fc.boolean(), (shape, seed, mask, keep) => {
      const x = normal(shape, seed, 2).mul(2).round().div(2); // ties for max/argmax
      const dims = dimsOf(shape, mask);
      const d = dims[0];
      checkOp('sum', [x], (a) => a.sum(dims, keep), { atol: 1e-4 });
      checkOp('sum all', [x], (a) => a.sum(), { atol: 1e-4 });
      checkOp('mean', [x], (a) => a.mean(dims, keep), { atol: 1e-5 });
      checkOp('amax', [x], (a) => a.amax(dims, keep));
      checkOp('amin', [x], (a) => a.amin(dims, keep));
      checkOp('argmax', [x], (a) => a.argmax(d, keep));
      checkOp('argmin flat', [x], (a) => a.argmin());
      checkOp('max values', [x], (a) => a.max(d).values);
      checkOp('var', [x], (a) => a.var(dims, { keepdim: keep, correction: 0 }), { atol: 1e-4 });
      checkOp('norm', [x], (a) => a.norm(2, dims, keep), { atol: 1e-4 });
      checkOp('norm inf', [x], (a) => a.norm(Infinity, dims, keep));
      checkOp('logsumexp', [x], (a) => a.logsumexp(dims, keep), { atol: 1e-5 });
    }), runs(numRuns)),
  },
  {
    name: 'long rows reduce in stages (sum, max, argmax, argmin) with exact ties',
    run: (numRuns) => fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 100, max: 20000 }), seedArb, (outer, inner, seed) => {
      const x = normal([outer, inner], seed).mul(4).round();
      checkOp('long sum', [x], (a) => a.sum(1), { rtol: 1e-5, atol: 1e-3 });
      checkOp('long amax', [x], (a) => a.amax(1));
      checkOp('long argmax (first of ties)', [x], (a) => a.argmax(1));
      checkOp('long argmin (first of ties)', [x], (a) => a.argmin(1));
      checkOp('column sum', [x], (a) => a.t().sum(1), { atol: 1e-3 });
    }), runs(numRuns)),
  },
  {
    name: 'softmax and logSoftmax along a random dim',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3, 7), seedArb, fc.nat(2), (shape, seed, pick) => {
      const x = normal(shape, seed, 4);
      const d = pick % shape.length;
      checkOp('softmax', [x], (a) => a.softmax(d), { atol: 1e-6 });
      checkOp('logSoftmax', [x], (a) => a.logSoftmax(d), { atol: 1e-5 });
    }), runs(numRuns)),
  },
  {
    name: 'matmul: broadcast batches, transposed operands, 1-D promotion',
    run: (numRuns) => fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), seedArb, fc.nat(7),
      (m, k, n, batch, seed, flags) => {
        const a = normal([...batch, m, k], seed);
        const b = normal([k, n], seed + 1);
        const tol = { atol: 1e-5 * Math.sqrt(k) * 10 };
        checkOp('matmul broadcast batch', [a, b], (x, y) => x.matmul(y), tol);
        checkOp('matmul transposed', [b.t().contiguous(), a], (x, y) => y.matmul(x.t()), tol);
        if (flags & 1) checkOp('matmul vector', [a, normal([k], seed + 2)], (x, v) => x.matmul(v), tol);
        if (flags & 2) checkOp('vector matmul', [normal([k], seed + 3), b], (v, y) => v.matmul(y), tol);
        if (flags & 4) checkOp('batched both', [a, normal([...batch, k, n], seed + 4)], (x, y) => x.matmul(y), tol);
      },
    ), runs(numRuns)),
  },
  {
    name: 'matmul of a larger product with slices (offsets) of one storage',
    run: (numRuns) => fc.assert(fc.property(fc.integer({ min: 20, max: 96 }), fc.integer({ min: 0, max: 7 }), seedArb, (size, start, seed) => {
      const big = normal([size + 8, size + 3], seed);
      const slice = (t: Tensor) => t.narrow(0, start, size).narrow(1, 1, size);
      checkOp('sliced matmul', [big], (x) => slice(x).matmul(slice(x).t()), { atol: 1e-4 * Math.sqrt(size) });
    }), runs(numRuns)),
  },
];
