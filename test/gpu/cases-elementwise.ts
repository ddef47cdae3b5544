/**
 * Parity cases (gpu against cpu) for elementwise work: every unary op, binary ops with broadcasting and
 * scalars, int32 arithmetic, where/clamp, dtype conversions, strided (non-contiguous) inputs.
 */
import * as fc from 'fast-check';
import { tensor, where, type Tensor } from '../../src/tensor';
import { checkOp, ints, normal, runs, seedArb, shapeArb } from './util';

export interface ParityCase {
  name: string;
  /** Runs the property with `numRuns` random cases. */
  run(numRuns: number): void;
}

type UnaryName =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf'
  | 'square' | 'reciprocal' | 'log1p' | 'expm1' | 'floor' | 'ceil' | 'round';

/** Each unary op with an input domain where the cpu result is finite and well-conditioned. */
const UNARY: [UnaryName, (x: Tensor) => Tensor][] = [
  ['neg', (x) => x], ['abs', (x) => x], ['sign', (x) => x.round()], ['exp', (x) => x], ['log', (x) => x.abs().add(0.05)],
  ['sqrt', (x) => x.abs()], ['rsqrt', (x) => x.abs().add(0.1)], ['sin', (x) => x], ['cos', (x) => x],
  ['tanh', (x) => x.mul(4)], ['sigmoid', (x) => x.mul(8)], ['relu', (x) => x], ['erf', (x) => x],
  ['square', (x) => x], ['reciprocal', (x) => x.abs().add(0.1)], ['log1p', (x) => x.abs().mul(0.3).sub(0.2)],
  ['expm1', (x) => x.mul(0.4)], ['floor', (x) => x.mul(3)], ['ceil', (x) => x.mul(3)],
  ['round', (x) => x.mul(4).round().div(2)], // exact halves: checks round-half-to-even
];

const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

/** A shape broadcastable to `shape`: some dims set to 1, possibly fewer leading dims. */
function broadcastArb(shape: number[]): fc.Arbitrary<number[]> {
  return fc.tuple(fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), fc.integer({ min: 0, max: shape.length }))
    .map(([ones, drop]) => shape.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
}

/** Coarse values (multiples of 1/2) so comparisons meet ties. */
const coarse = (x: Tensor): Tensor => x.mul(2).round().div(2);

export const elementwiseCases: ParityCase[] = [
  {
    name: 'unary ops (all of them, contiguous and transposed inputs)',
    run: (numRuns) => fc.assert(fc.property(shapeArb(0, 3), seedArb, fc.boolean(), (shape, seed, transposed) => {
      for (const [op, domain] of UNARY) {
        const x = domain(normal(shape, seed));
        const input = transposed && x.ndim >= 2 ? x.transpose(0, x.ndim - 1) : x;
        checkOp(op, [input], (v) => (v as unknown as Record<UnaryName, () => Tensor>)[op](), { rtol: 2e-4, atol: 2e-6 });
      }
      checkOp('gelu', [normal(shape, seed, 3)], (v) => v.gelu(), { atol: 2e-6 });
      checkOp('gelu tanh', [normal(shape, seed, 3)], (v) => v.gelu('tanh'), { atol: 2e-6 });
    }), runs(numRuns)),
  },
  {
    name: 'binary ops with broadcasting, scalars on either side',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3), seedArb, fc.nat(), (shape, seed, pick) => {
      const other = fc.sample(broadcastArb(shape), { seed: pick, numRuns: 1 })[0];
      const a = coarse(normal(shape, seed, 2));
      const b = coarse(normal(other, seed + 1, 2)).add(0.25);
      const swap = pick % 2 === 0;
      for (const op of BINARY) {
        const call = (x: Tensor, y: Tensor): Tensor => (x as unknown as Record<string, (o: Tensor) => Tensor>)[op](y);
        checkOp(op, swap ? [b, a] : [a, b], call);
        checkOp(`${op} scalar`, [a], (x) => (x as unknown as Record<string, (o: number) => Tensor>)[op](0.5));
      }
      checkOp('pow', [a.abs().add(0.5), b], (x, y) => x.pow(y), { rtol: 3e-4 });
      checkOp('pow negative base, integer exponents', [a, b.round()], (x, y) => x.pow(y), { rtol: 3e-4 });
      checkOp('scalar - tensor', [a], (x) => x.neg().add(3).sub(x.mul(2)));
    }), runs(numRuns)),
  },
  {
    name: 'int32 arithmetic, comparisons and conversions stay exact',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
      const a = ints(shape, seed, -50, 50);
      const b = ints(shape, seed + 1, -50, 50);
      checkOp('int add', [a, b], (x, y) => x.add(y));
      checkOp('int mul', [a, b], (x, y) => x.mul(y).sub(x));
      checkOp('int neg abs square', [a], (x) => x.neg().abs().square());
      checkOp('int compare', [a, b], (x, y) => x.lt(y).add(x.eq(y)));
      checkOp('int sum', [a], (x) => x.sum(0));
      checkOp('int to float', [a], (x) => x.to('float32').div(3));
      checkOp('float to int truncates', [normal(shape, seed, 5)], (x) => x.to('int32'));
      checkOp('int pow', [a.abs(), ints(shape, seed + 2, 0, 4)], (x, y) => x.pow(y));
    }), runs(numRuns)),
  },
  {
    name: 'where, clamp, maskedFill with broadcast masks',
    run: (numRuns) => fc.assert(fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
      const x = normal(shape, seed);
      const y = normal(shape.slice(1), seed + 1);
      const mask = normal(shape, seed + 2).gt(0);
      checkOp('where', [mask, x, y], (m, a, b) => where(m, a, b));
      checkOp('where scalar', [mask, x], (m, a) => where(m, a, -1.5));
      checkOp('clamp', [x], (a) => a.clamp(-0.5, 0.7));
      checkOp('maskedFill -inf', [x, mask], (a, m) => a.maskedFill(m, -Infinity));
      checkOp('float mask', [x, y], (a, b) => where(a, a, b));
    }), runs(numRuns)),
  },
  {
    name: 'strided views: permute, step slices, expand, flip, contiguous copies',
    run: (numRuns) => fc.assert(fc.property(shapeArb(2, 4, 6), seedArb, (shape, seed) => {
      const x = normal(shape, seed);
      const order = shape.map((_, i) => i).reverse();
      checkOp('permute contiguous', [x], (a) => a.permute(order).contiguous());
      checkOp('step slice', [x], (a) => a.slice(0, 1, undefined, 2).exp());
      checkOp('expand', [x], (a) => a.narrow(0, 0, 1).expand([3, ...shape.slice(1)]).add(1));
      checkOp('flip', [x], (a) => a.flip([0, shape.length - 1]));
      checkOp('cat', [x, x.neg()], (a, b) => a.cat([b], -1).mul(2));
      checkOp('stack', [x, x.abs()], (a, b) => a.unsqueeze(0).cat([b.unsqueeze(0)], 0).sum(0));
      checkOp('tril', [x], (a) => a.tril(-1));
      checkOp('triu', [x], (a) => a.triu(1));
    }), runs(numRuns)),
  },
  {
    name: 'tensors made on the device: full, zeros, ones, from data',
    run: (numRuns) => fc.assert(fc.property(shapeArb(0, 3), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (shape, value) => {
      checkOp('fullLike', [normal(shape, 1)], (a) => a.onesLike().mul(value).add(a.zerosLike()));
      checkOp('tensor', [tensor(value)], (a) => a.expand(shape).contiguous());
    }), runs(numRuns)),
  },
];
