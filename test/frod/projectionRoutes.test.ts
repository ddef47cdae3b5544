/**
 * A category's set-up does not depend on which eigh route decomposes its averaged inverse Gram matrix T:
 * above TRIDIAGONAL_FROM the projection goes through the tridiagonal route, below it through Jacobi (the
 * route every category took before), and V, U and λ agree to 1e-10 relative either way. The projection
 * exposes no route option, so the tests rebuild its qr-eig steps from its exported pieces (tallQr,
 * averagedInverseGram, then V = RᵀE with canonical column signs), check that the 'auto' route reproduces
 * categoryProjection bit for bit, and compare with the same steps forced through Jacobi.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Mat, mat } from '../../src/linalg/kernels/mat';
import { type EighRoute, TRIDIAGONAL_FROM, eigh } from '../../src/linalg/kernels/eigh';
import { averagedInverseGram, canonicalizeColumnSigns, categoryProjection, stackWeights, tallQr } from '../../src/frod/projection';
import { decomposeWeight, prepareBasis } from '../../src/frod/decompose';
import { gemm } from '../../src/frod/gemm';
import { randomMat } from './helpers';

const ALPHA = 1e-3;
const TOLERANCE = 1e-10;


/** The qr-eig projection of `weights` with T's eigenvectors from the given route, and every layer's U, λ. */
function setUp(weights: Mat[], route: EighRoute) {
  const { Q, R } = tallQr(stackWeights(weights));
  const t = averagedInverseGram(Q, weights.map((w) => w.rows), ALPHA);
  const { eigenvalues, eigenvectors } = eigh(t, { route });
  const v = canonicalizeColumnSigns(gemm(R, eigenvectors, true, false));
  const basis = prepareBasis(v);
  return { mu: eigenvalues, v, layers: weights.map((w) => decomposeWeight(basis, w)) };
}

/** max |a − b| / max |a|. */
function relativeDiff(a: Float64Array, b: Float64Array): number {
  let diff = 0, size = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    size = Math.max(size, Math.abs(a[i]));
  }
  return diff / size;
}

/** Compares everything a category's set-up produces on the two routes. */
function assertRoutesAgree(weights: Mat[], what: string): void {
  const auto = setUp(weights, 'auto');
  const projection = categoryProjection(weights, ALPHA);
  assert.equal(Array.from(auto.v.data), Array.from(projection.v.data), `${what}: the rebuilt projection is categoryProjection's`);
  const tridiagonal = setUp(weights, 'tridiagonal');
  assert.equal(Array.from(auto.v.data), Array.from(tridiagonal.v.data), `${what}: 'auto' takes the tridiagonal route`);
  const jacobi = setUp(weights, 'jacobi');
  const checks: [string, number][] = [['μ', relativeDiff(jacobi.mu, tridiagonal.mu)], ['V', relativeDiff(jacobi.v.data, tridiagonal.v.data)]];
  jacobi.layers.forEach((layer, i) => {
    checks.push([`U of layer ${i}`, relativeDiff(layer.u.data, tridiagonal.layers[i].u.data)]);
    checks.push([`λ of layer ${i}`, relativeDiff(layer.lambda, tridiagonal.layers[i].lambda)]);
  });
  for (const [name, diff] of checks) assert.ok(diff <= TOLERANCE, `${what}: ${name} differs by ${diff.toExponential(2)} relative`);
}

test('square layers (in = 200, four layers): V, U, λ agree between Jacobi and the tridiagonal route', () => {
  const n = 200;
  assert.ok(n >= TRIDIAGONAL_FROM);
  assertRoutesAgree([0, 1, 2, 3].map((i) => randomMat(n, n, 11 + 7919 * i)), 'in 200');
});

test('layers of different widths (in = 160, outs 96, 160, 224): V, U, λ agree between the routes', () => {
  assertRoutesAgree([96, 160, 224].map((out, i) => randomMat(out, 160, 5 + 7919 * i)), 'in 160');
});

test.run();
