/**
 * The input checks and fallbacks of FRoD's math that no ordinary model reaches: a non-square or singular V, an
 * empty category, a weight that is not 2-D, a V stored with an integer dtype, path parts that mix digits and
 * letters. Each states what it must do, so that dropping or loosening the check fails a test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkpointCategoryStates } from '../../src/frod/basis';
import { categoryOf, layerIndexOf } from '../../src/frod/categories';
import { FrodConfig } from '../../src/frod/config';
import { decomposeWeight, prepareBasis, rotatedBasis } from '../../src/frod/decompose';
import { projectionKey, sIndicesKey, sSizeKey } from '../../src/frod/keys';
import { categoryProjection, tallQr } from '../../src/frod/projection';
import { qr } from '../../src/linalg/kernels/qr';
import { adapterDType, decomposableWeightMatrix, roundToDType, tensorToMat, weightShape } from '../../src/frod/weights';
import type { Mat } from '../../src/linalg/kernels/mat';
import { Generator, randn, tensor } from '../../src/tensor';

const matOf = (rows: number, cols: number, values: number[]): Mat => ({ rows, cols, data: Float64Array.from(values) });

test('prepareBasis refuses a V that is not square, naming its shape', () => {
  assert.throws(() => prepareBasis(matOf(2, 3, [1, 0, 0, 0, 1, 0])), /^FRoD: the basis V must be square, got \(2,3\)$/);
});

test('a V whose first pivot is exactly zero is singular: the pseudo-inverse is used, and B = W pinv(V)ᵀ', () => {
  // V = [[0, 0], [0, 1]]: rank 1, LU meets a zero pivot in its very first column.
  const v = matOf(2, 2, [0, 0, 0, 1]);
  const basis = prepareBasis(v);
  assert.ok(basis.singular, 'singular');
  assert.equal([...basis.inverse.data], [0, 0, 0, 1], 'pinv(V) = V here');
  const { lambda, u } = decomposeWeight(basis, matOf(1, 2, [3, 4]));
  assert.equal([...lambda], [0, 4], 'B = W pinv(V)ᵀ = [0, 4]');
  assert.equal([...u.data], [0, 1], 'the zero column stays zero');
});

test('a V whose last pivot is zero is singular too', () => {
  const basis = prepareBasis(matOf(2, 2, [1, 2, 2, 4]));
  assert.ok(basis.singular);
});

test('an invertible V is not treated as singular: its exact inverse is used', () => {
  const basis = prepareBasis(matOf(2, 2, [0, 1, 1, 0]));
  assert.not.ok(basis.singular);
  assert.equal([...basis.inverse.data], [0, 1, 1, 0]);
});

test('decomposeWeight refuses a weight whose in_features do not fit V, naming both shapes', () => {
  const basis = prepareBasis(matOf(2, 2, [1, 0, 0, 1]));
  assert.throws(() => decomposeWeight(basis, matOf(2, 3, [1, 2, 3, 4, 5, 6])), /^FRoD: a weight of shape \(2,3\) does not fit a basis V of shape \(2,2\)$/);
});

test('tallQr takes CholeskyQR2 for a well-conditioned stack: R = Lᵀ has a positive diagonal (Householder\'s need not)', () => {
  const m = { rows: 6, cols: 3, data: Float64Array.from(randn([18], { dtype: 'float64', generator: new Generator(3) }).data()) };
  const { R } = tallQr(m);
  const { R: householder } = qr(m, 'reduced');
  const diagonal = (r: Mat) => [0, 4, 8].map((i) => r.data[i]);
  assert.ok(diagonal(R).every((x) => x > 0), `R's diagonal ${diagonal(R)}`);
  assert.ok(diagonal(householder).some((x) => x < 0), 'this matrix tells the two apart');
});

test('tallQr takes Householder QR when R\'s pivots span more than 1e5, though MᵀM still factors', () => {
  // Columns of scale 1 and 1e-7: cond(MᵀM) ≈ 1e14 is still positive definite in float64, but the pivot ratio
  // ≈ 1e-7 is below the 1e-5 where CholeskyQR2 may lose orthogonality.
  const data = Float64Array.from(randn([12], { dtype: 'float64', generator: new Generator(5) }).data());
  for (let r = 0; r < 6; r++) data[2 * r + 1] *= 1e-7;
  const m = { rows: 6, cols: 2, data };
  const { Q, R } = tallQr(m);
  const householder = qr(m, 'reduced');
  assert.equal([...R.data], [...householder.R.data]);
  assert.equal([...Q.data], [...householder.Q.data]);
});

test('tallQr decides by the ratio of R\'s pivots, not their size: a well-conditioned stack scaled by 1e-3 still takes CholeskyQR2', () => {
  const data = Float64Array.from(randn([18], { dtype: 'float64', generator: new Generator(3) }).data()).map((x) => x * 1e-3);
  const { R } = tallQr({ rows: 6, cols: 3, data });
  const diagonal = [0, 4, 8].map((i) => R.data[i]);
  assert.ok(diagonal.every((x) => x > 0), `R's diagonal ${diagonal}`);
});

test('tallQr reads every pivot: a stack whose largest pivot is its last column still takes Householder QR', () => {
  // As above, but the column of scale 1e-7 comes first: the pivot ratio compares the first and the last pivot.
  const data = Float64Array.from(randn([12], { dtype: 'float64', generator: new Generator(5) }).data());
  for (let r = 0; r < 6; r++) data[2 * r] *= 1e-7;
  const m = { rows: 6, cols: 2, data };
  const { R } = tallQr(m);
  assert.equal([...R.data], [...qr(m, 'reduced').R.data]);
});

test('tallQr\'s limit is strict: a pivot ratio of exactly 1e-5 still takes CholeskyQR2', () => {
  // Orthogonal columns of norms 1 and 1e-5: MᵀM = diag(1, 1e-10) and L = diag(1, 1e-5), all exact in float64.
  const m = { rows: 3, cols: 2, data: Float64Array.from([-1, 0, 0, 1e-5, 0, 0]) };
  const { R } = tallQr(m);
  assert.ok(R.data[0] > 0 && R.data[3] > 0, `R's diagonal ${R.data[0]}, ${R.data[3]}`);
  assert.ok(qr(m, 'reduced').R.data[0] < 0, 'Householder\'s R would differ in sign here');
});

test('a category without weights is refused', () => {
  assert.throws(() => categoryProjection([], 1e-3), /^FRoD projection: a category needs at least one weight$/);
});

test('a weight that is not 2-D is refused, with its whole shape', () => {
  assert.throws(() => weightShape({ weight: tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 2, 2] }), fanInFanOut: false }, 'a.b'),
    /^FRoD: module 'a\.b' has a weight of shape \(2,2,2\); only 2-D Linear \/ Conv1D weights can be adapted$/);
});

test('the largest weight magnitude is 2^512 for float64 weights and 2^64 for the other dtypes', () => {
  const weightOf = (value: number, dtype: 'float32' | 'float64') => ({ weight: tensor([1, value], { dtype, shape: [1, 2] }), fanInFanOut: false });
  assert.equal([...decomposableWeightMatrix(weightOf(2 ** 512, 'float64'), 'q').data], [1, 2 ** 512]);
  assert.throws(() => decomposableWeightMatrix(weightOf(2 ** 513, 'float64'), 'q'),
    /^FRoD: module 'q': the weight holds 2\.68e\+154 \(row 0, column 1 of its \(out, in\) weight\); FRoD needs \|w\| ≤ 1\.34e\+154 for float64 weights/);
  assert.equal([...decomposableWeightMatrix(weightOf(2 ** 64, 'float32'), 'q').data], [1, 2 ** 64]);
  assert.throws(() => decomposableWeightMatrix(weightOf(2 ** 65, 'float32'), 'q'), /FRoD needs \|w\| ≤ 1\.84e\+19 for float32 weights/);
});

test('in_features up to 46340 are accepted, since V = (in, in) must fit one typed array of fewer than 2^31 values', () => {
  const rowOf = (n: number) => ({ weight: tensor(new Float32Array(n), { dtype: 'float32', shape: [1, n] }), fanInFanOut: false });
  assert.is(decomposableWeightMatrix(rowOf(46_340), 'q').cols, 46_340);
  assert.throws(() => decomposableWeightMatrix(rowOf(46_341), 'q'),
    /^FRoD: module 'q' has in_features 46341; its projection V would be \(46341, 46341\), more values than frod-ts holds in one matrix \(in_features up to 46340\)$/);
});

test('tensorToMat takes 2-D tensors only, naming what it was given', () => {
  assert.throws(() => tensorToMat(tensor([1, 2, 3]), 'V'), /^V: expected a 2-D tensor, got shape \(3\)$/);
  assert.throws(() => tensorToMat(tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 2, 2] }), 'V'), /got shape \(2,2,2\)$/);
  assert.equal(tensorToMat(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }), 'V'), { rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) });
});

test('the per-category key builders refuse an empty category as well as a dotted one, naming themselves', () => {
  for (const build of [projectionKey, sIndicesKey, sSizeKey]) {
    assert.throws(() => build(''), new RegExp(`^${build.name}: expected a category name without dots, got ""$`));
    assert.throws(() => build('a.b'), new RegExp(`^${build.name}: expected a category name without dots, got "a\\.b"$`));
  }
});

test('rotatedBasis refuses λ or S values that do not fit V and the pattern, naming the counts', () => {
  const v = matOf(2, 2, [1, 0, 0, 1]);
  const pattern = { nnz: 1, size: 2, rows: Int32Array.from([0]), cols: Int32Array.from([1]) };
  assert.throws(() => rotatedBasis(v, [1, 2, 3], pattern, [0.5]), /^FRoD: λ has 3 entries, V is \(2,2\)$/);
  assert.throws(() => rotatedBasis(v, [1, 2], pattern, [0.5, 0.5]), /^FRoD: 2 S values for a pattern of 1 entries$/);
  assert.equal([...rotatedBasis(v, [1, 2], pattern, [0.5]).data], [1, 0.5, 0, 2], 'C = (S + diag λ) Vᵀ');
});

test('adapterDType: the weights\' own floating dtype when they share one, else float32', () => {
  const t = (dtype: 'float64' | 'float32' | 'bfloat16' | 'int32') => tensor([1, 2], { dtype });
  assert.is(adapterDType([t('float64'), t('float64')]), 'float64');
  assert.is(adapterDType([t('bfloat16')]), 'bfloat16');
  assert.is(adapterDType([t('float64'), t('float32')]), 'float32', 'mixed');
  assert.is(adapterDType([t('int32')]), 'float32', 'integer weights');
  assert.throws(() => roundToDType(Float64Array.from([1]), 'int32'), /^FRoD: expected a floating dtype, got int32$/);
});

test('roundToDType returns a new array for every dtype, float64 included: the caller may write into it', () => {
  for (const dtype of ['float64', 'float32', 'float16', 'bfloat16'] as const) {
    const values = Float64Array.from([1.5, -2]);
    const rounded = roundToDType(values, dtype);
    assert.is.not(rounded, values, dtype);
    rounded[0] = 7;
    assert.equal([...values], [1.5, -2], `${dtype}: the input is left alone`);
  }
});

test('a V saved with an integer dtype is used as float32 (the dtype V and U are computed in)', () => {
  const cfg = new FrodConfig({ targetModules: ['fc'], progressbar: false });
  const w = matOf(2, 2, [1, 2, 3, 4]);
  const tensors = {
    [projectionKey('fc')]: tensor(new Int32Array([1, 0, 0, 1]), { dtype: 'int32', shape: [2, 2] }),
    [sIndicesKey('fc')]: tensor(new Int32Array([0, 1]), { dtype: 'int32', shape: [2, 1] }),
  };
  const [state] = checkpointCategoryStates(['blocks.0.fc'], new Map([['blocks.0.fc', w]]), tensors, cfg, { dtype: 'float64', progress: false });
  assert.is(state.dtype, 'float32');
  assert.equal([...state.v.data], [1, 0, 0, 1]);
});

test('a path part that mixes digits and letters is a name, not a layer index', () => {
  assert.is(categoryOf('blocks.3a.fc'), '3a_fc');
  assert.is(categoryOf('blocks.a3.fc'), 'a3_fc');
  assert.is(categoryOf('blocks.3.fc'), 'fc');
  assert.is(layerIndexOf('model.layers.3a.fc', 7), 7);
  assert.is(layerIndexOf('model.layers.a3.fc', 7), 7);
  assert.is(layerIndexOf('model.h.2b.x.5.fc', 7), 5, 'the first part made only of digits');
});

test.run();
