/**
 * Algebraic identities on random shapes and values: exact ones (commutativity, a − b = a + (−b), broadcasting
 * equals explicit expansion, (AB)ᵀ = BᵀAᵀ bit for bit, relu(x) − relu(−x) = x) and approximate ones
 * (distributivity, inverses, shift invariance of softmax, sums in steps, associativity of matmul).
 */
import { test } from 'uvu';
import * as fc from 'fast-check';
import { matmul } from '../../src/tensor';
import { assertClose, assertSameValues, broadcastPairArb, broadcastShape, check, randomTensor, shapeArb } from './helpers';

const pairArb = fc.record({ shapes: broadcastPairArb(), seed: fc.nat() }).map(({ shapes: [sa, sb], seed }) => ({
  a: randomTensor(sa, seed), b: randomTensor(sb, seed + 1), c: randomTensor(sb, seed + 2),
}));

test('exact: a + b = b + a, a·b = b·a, a − b = a + (−b), max commutes; a / b ≈ a · (1/b)', () => {
  check(fc.property(pairArb, ({ a, b }) => {
    assertSameValues(a.add(b).data(), b.add(a).data());
    assertSameValues(a.mul(b).data(), b.mul(a).data());
    assertSameValues(a.sub(b).data(), a.add(b.neg()).data());
    assertSameValues(a.maximum(b).data(), b.maximum(a).data());
    assertClose(a.div(b).data(), a.mul(b.reciprocal()).data(), 1e-9, 1e-12);
  }), 40);
});

test('exact: broadcasting gives what explicit expansion to the common shape gives', () => {
  check(fc.property(pairArb, ({ a, b }) => {
    const shape = broadcastShape(a.shape, b.shape);
    const ea = a.expand(shape).contiguous(), eb = b.expand(shape).contiguous();
    assertSameValues(a.mul(b).data(), ea.mul(eb).data());
    assertSameValues(a.pow(2).sub(b).data(), ea.pow(2).sub(eb).data());
  }), 40);
});

test('approximate: (a + b) − b = a, a·(b + c) = a·b + a·c, exp(log y) = y, √x² = x', () => {
  check(fc.property(pairArb, ({ a, b, c }) => {
    const shape = broadcastShape(a.shape, b.shape);
    assertClose(a.add(b).sub(b).data(), a.expand(shape).contiguous().data(), 1e-12, 1e-12);
    assertClose(a.mul(b.add(c)).data(), a.mul(b).add(a.mul(c)).data(), 1e-12, 1e-12);
    const y = a.abs().add(0.5);
    assertClose(y.log().exp().data(), y.data(), 0, 1e-14);
    assertClose(y.sqrt().square().data(), y.data(), 0, 1e-14);
    assertClose(y.rsqrt().mul(y.sqrt()).data(), y.onesLike().data(), 0, 1e-14);
  }), 40);
});

test('activations: relu(x) − relu(−x) = x and |x| = x·sign(x) exactly; σ(x) + σ(−x) = 1, tanh x = 2σ(2x) − 1', () => {
  check(fc.property(shapeArb(3, 5), fc.nat(), (shape, seed) => {
    const x = randomTensor(shape, seed).mul(4);
    assertSameValues(x.relu().sub(x.neg().relu()).data(), x.data());
    assertSameValues(x.abs().data(), x.mul(x.sign()).data());
    assertClose(x.sigmoid().add(x.neg().sigmoid()).data(), x.onesLike().data(), 1e-15, 0);
    assertClose(x.tanh().data(), x.mul(2).sigmoid().mul(2).sub(1).data(), 1e-15, 1e-14);
  }), 30);
});

test('reductions: summing dims in steps, mean·n = sum, ‖x‖² = Σx², softmax(x + c) = softmax(x)', () => {
  check(fc.property(shapeArb(3, 5, 2), fc.nat(), fc.double({ min: -50, max: 50, noNaN: true }), (shape, seed, shift) => {
    const x = randomTensor(shape, seed);
    assertClose(x.sum(0).sum(0).data(), x.sum([0, 1]).data(), 1e-12, 1e-12);
    assertClose(x.mean(1).mul(shape[1]).data(), x.sum(1).data(), 1e-12, 1e-12);
    assertClose([x.norm().item() ** 2], [x.square().sum().item()], 1e-12, 1e-12);
    assertClose(x.add(shift).softmax(-1).data(), x.softmax(-1).data(), 1e-14, 1e-12);
    assertClose(x.add(shift).logsumexp(-1).data(), x.logsumexp(-1).add(shift).data(), 1e-12, 1e-12);
  }), 30);
});

test('matmul: (AB)ᵀ = BᵀAᵀ bit for bit (same k order, commuting products); (AB)C = A(BC) approximately', () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.nat());
  check(fc.property(dims, ([m, k, n, p, seed]) => {
    for (const dtype of ['float64', 'float32'] as const) {
      const A = randomTensor([m, k], seed, dtype), B = randomTensor([k, n], seed + 1, dtype), C = randomTensor([n, p], seed + 2, dtype);
      assertSameValues(matmul(A, B).t().contiguous().data(), matmul(B.t(), A.t()).data());
      const tol = dtype === 'float64' ? 1e-12 : 1e-4;
      assertClose(matmul(matmul(A, B), C).data(), matmul(A, matmul(B, C)).data(), tol, tol);
    }
  }), 30);
});

test.run();
