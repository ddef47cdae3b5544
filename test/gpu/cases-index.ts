/** Parity cases (gpu against cpu) for index ops and the sparse COO product. */
import * as fc from 'fast-check';
import { sparseMm, tensor } from '../../src/tensor';
import type { ParityCase } from './cases-elementwise';
import { checkOp, ints, normal, runs, seedArb, shapeArb } from './util';

export const indexCases: ParityCase[] = [
  {
    name: 'gather and scatterAdd along a random dim, repeated indices',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3, 6), seedArb, fc.nat(2), fc.integer({ min: 1, max: 7 }), (shape, seed, pick, count) => {
      const d = pick % shape.length;
      const x = normal(shape, seed);
      const indexShape = shape.map((s, i) => (i === d ? count : s));
      const index = ints(indexShape, seed + 1, 0, shape[d]);
      checkOp('gather', [x, index], (a, i) => a.gather(d, i));
      checkOp('scatterAdd', [x, index, normal(indexShape, seed + 2)], (a, i, s) => a.scatterAdd(d, i, s));
      checkOp('gather of a device-made index', [x], (a) => a.gather(d, a.argmax(d, true)));
    }), runs(numRuns)),
  },
  {
    name: 'indexSelect and indexAdd along a random dim, repeated indices',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3, 6), seedArb, fc.nat(2), fc.integer({ min: 0, max: 9 }), (shape, seed, pick, count) => {
      const d = pick % shape.length;
      const x = normal(shape, seed);
      const index = ints([count], seed + 1, 0, shape[d]);
      const sourceShape = shape.map((s, i) => (i === d ? count : s));
      checkOp('indexSelect', [x, index], (a, i) => a.indexSelect(d, i));
      checkOp('indexAdd', [x, index, normal(sourceShape, seed + 2)], (a, i, s) => a.indexAdd(d, i, s));
    }), runs(numRuns)),
  },
  {
    name: 'sparseMm with duplicate entries, transposed dense operand',
    run: (numRuns) => fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 40 }), seedArb,
      (m, k, n, nnz, seed) => {
        const rows = ints([nnz], seed, 0, m);
        const cols = ints([nnz], seed + 1, 0, k);
        const indices = rows.unsqueeze(0).cat([cols.unsqueeze(0)], 0);
        const values = normal([nnz], seed + 2);
        checkOp('sparseMm', [indices, values, normal([k, n], seed + 3)], (i, v, dense) => sparseMm(i, v, [m, k], dense), { atol: 1e-5 });
        checkOp('sparseMm transposed dense', [indices, values, normal([n, k], seed + 4)], (i, v, dense) => sparseMm(i, v, [m, k], dense.t()), { atol: 1e-5 });
      },
    ), runs(numRuns)),
  },
  {
    name: 'out-of-range indices fail as on the cpu',
    run: () => {
      const x = normal([3, 4], 1).to('gpu');
      const bad = tensor([0, 4], { dtype: 'int32', device: 'gpu' });
      for (const [what, fn] of [
        ['indexSelect', () => x.indexSelect(1, bad)],
        ['gather', () => x.gather(1, bad.reshape([1, 2]).expand([3, 2]))],
      ] as const) {
        let message = '';
        try { fn(); } catch (err) { message = (err as Error).message; }
        if (!message.includes('index 4 is out of bounds for dimension with size 4')) throw new Error(`${what}: got '${message}'`);
      }
    },
  },
];
