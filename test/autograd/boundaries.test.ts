/**
 * Gradients where the derivative is not defined — at exact boundaries and ties — follow PyTorch's conventions,
 * which gradcheck cannot check (central differences straddle the kink) and random normal inputs never hit:
 *
 *   clamp(x, lo, hi)   1 where lo ≤ x ≤ hi, boundaries included (clamp_backward); 0 everywhere when lo > hi
 *   relu(x)            0 at x = 0 (threshold_backward: x > 0)
 *   abs(x)             0 at x = 0 (sgn(0) = 0)
 *   maximum/minimum    ties split the gradient in halves between the two inputs
 *   max()/amax/amin    ties share the gradient evenly (evenly_distribute_backward, scale_grad_by_count)
 *   max(dim)/min(dim)  the whole gradient goes to the returned index, the first of the tied ones
 *
 * The expected gradients are written out from these rules in plain JavaScript; the inputs come from a grid of
 * a few values, so ties and boundaries are the common case. With a Python that imports torch (test/torch/python.ts)
 * the same inputs also go through torch, and the gradients must agree exactly; without it that test is skipped
 * with the reason.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { type Tensor, tensor } from '../../src/tensor';
import { NO_TORCH, findTorchPython } from '../torch/python';
import { testUnless } from '../util/skip';

/** Grid values: every boundary and tie below is one of them. */
const GRID = [-1, -0.5, 0, 0.5, 1];
const gridValues = (length: number) => fc.array(fc.constantFrom(...GRID), { minLength: length, maxLength: length });
/** Upstream gradients: distinct, so a gradient sent to the wrong element or scaled wrongly shows. */
const upstream = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** d/dx of sum(f(x) ⊙ w) for x of `shape`, with w = 1, 2, 3, … (over f's output). */
function gradOf(values: readonly number[], shape: readonly number[], f: (x: Tensor) => Tensor, dtype: 'float64' | 'float32' = 'float64'): number[] {
  const x = tensor([...values], { dtype, shape: [...shape], requiresGrad: true });
  const y = f(x);
  y.mul(tensor(upstream(y.numel()), { dtype, shape: y.shape })).sum().backward();
  return [...(x.grad as Tensor).data()];
}

/** Compares numerically (−0 equals 0, as in PyTorch's printed gradients). */
function assertGrad(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(actual[i] === e, `${what}[${i}]: ${actual[i]}, expected ${e}`));
}

/** An elementwise rule: the local derivative at x. */
const ELEMENTWISE: Record<string, { f: (x: Tensor) => Tensor; local: (x: number) => number }> = {
  'clamp(-0.5, 0.5)': { f: (x) => x.clamp(-0.5, 0.5), local: (x) => (x >= -0.5 && x <= 0.5 ? 1 : 0) },
  'clamp(min 0)': { f: (x) => x.clamp(0), local: (x) => (x >= 0 ? 1 : 0) },
  'clamp(max 0)': { f: (x) => x.clamp(null, 0), local: (x) => (x <= 0 ? 1 : 0) },
  'clamp(0, 0)': { f: (x) => x.clamp(0, 0), local: (x) => (x === 0 ? 1 : 0) },
  'clamp(0.5, -0.5) (min > max)': { f: (x) => x.clamp(0.5, -0.5), local: () => 0 },
  relu: { f: (x) => x.relu(), local: (x) => (x > 0 ? 1 : 0) },
  abs: { f: (x) => x.abs(), local: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
};

for (const [name, { f, local }] of Object.entries(ELEMENTWISE)) {
  test(`${name}: gradient at the boundaries as PyTorch (float64 and float32)`, () => {
    fc.assert(fc.property(gridValues(10), (values) => {
      const expected = values.map((x, i) => (i + 1) * local(x));
      assertGrad(gradOf(values, [10], f), expected, `${name} float64 ${values}`);
      assertGrad(gradOf(values, [10], f, 'float32'), expected, `${name} float32 ${values}`);
    }), { numRuns: 30 });
  });
}

test('clamp: the output at the boundaries is the boundary itself, and min > max gives max everywhere (as torch.clamp)', () => {
  const x = tensor([-1, -0.5, 0, 0.5, 1], { dtype: 'float64' });
  assert.equal([...x.clamp(-0.5, 0.5).data()], [-0.5, -0.5, 0, 0.5, 0.5]);
  assert.equal([...x.clamp(0.5, -0.5).data()], [-0.5, -0.5, -0.5, -0.5, -0.5]);
});

test('maximum / minimum: ties split the gradient in halves between the inputs', () => {
  fc.assert(fc.property(gridValues(8), gridValues(8), (av, bv) => {
    for (const op of ['maximum', 'minimum'] as const) {
      const a = tensor(av, { dtype: 'float64', requiresGrad: true });
      const b = tensor(bv, { dtype: 'float64', requiresGrad: true });
      a[op](b).mul(tensor(upstream(8), { dtype: 'float64' })).sum().backward();
      const wins = (x: number, y: number) => (op === 'maximum' ? x > y : x < y);
      const share = (x: number, y: number) => (wins(x, y) ? 1 : x === y ? 0.5 : 0);
      assertGrad([...(a.grad as Tensor).data()], av.map((x, i) => (i + 1) * share(x, bv[i])), `${op} a`);
      assertGrad([...(b.grad as Tensor).data()], bv.map((y, i) => (i + 1) * share(y, av[i])), `${op} b`);
    }
  }), { numRuns: 30 });
});

/** The groups of a (rows, cols) matrix reduced over `dim` (null: everything), as lists of flat indices. */
function groups(rows: number, cols: number, dim: 0 | 1 | null): number[][] {
  const all = Array.from({ length: rows * cols }, (_, i) => i);
  if (dim === null) return [all];
  if (dim === 1) return Array.from({ length: rows }, (_, r) => all.slice(r * cols, (r + 1) * cols));
  return Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => r * cols + c));
}

for (const kind of ['max', 'min'] as const) {
  const best = (values: readonly number[], group: number[]) => (kind === 'max' ? Math.max : Math.min)(...group.map((i) => values[i]));

  test(`${kind}() and a${kind}(dim): tied extremes share the gradient evenly`, () => {
    fc.assert(fc.property(gridValues(12), (values) => {
      for (const dim of [null, 0, 1] as const) {
        const expected = new Array<number>(12).fill(0);
        groups(3, 4, dim).forEach((group, g) => {
          const winners = group.filter((i) => values[i] === best(values, group));
          for (const i of winners) expected[i] = (g + 1) / winners.length;
        });
        const f = (x: Tensor) => (dim === null ? x[kind]() : kind === 'max' ? x.amax(dim) : x.amin(dim));
        assertGrad(gradOf(values, [3, 4], f), expected, `${kind} over ${dim ?? 'all'} of ${values}`);
      }
    }), { numRuns: 30 });
  });

  test(`${kind}(dim): the gradient goes to the first tied index, which it returns`, () => {
    fc.assert(fc.property(gridValues(12), (values) => {
      for (const dim of [0, 1] as const) {
        const expected = new Array<number>(12).fill(0);
        const firsts = groups(3, 4, dim).map((group) => group.find((i) => values[i] === best(values, group)) as number);
        firsts.forEach((i, g) => { expected[i] = g + 1; });
        assertGrad(gradOf(values, [3, 4], (x) => x[kind](dim).values), expected, `${kind}(${dim}) of ${values}`);
        const indices = [...tensor(values, { dtype: 'float64', shape: [3, 4] })[kind](dim).indices.data()];
        assert.equal(indices, firsts.map((i) => (dim === 1 ? i % 4 : Math.floor(i / 4))), `${kind}(${dim}) indices`);
      }
    }), { numRuns: 30 });
  });
}

// ---- the same inputs through PyTorch ----------------------------------------------------------------

const python = findTorchPython();

/** Python: each case's gradient of sum(f(x) * w) in torch (float64), w = 1, 2, 3, …. */
const SCRIPT = `
import json, sys, torch
cases = json.load(sys.stdin)
ops = {
  'clamp': lambda x, a: x.clamp(*a), 'clamp_min': lambda x, a: x.clamp(min=a[0]), 'clamp_max': lambda x, a: x.clamp(max=a[0]),
  'relu': lambda x, a: x.relu(), 'abs': lambda x, a: x.abs(), 'max': lambda x, a: x.max(), 'min': lambda x, a: x.min(),
  'amax': lambda x, a: x.amax(a[0]), 'amin': lambda x, a: x.amin(a[0]),
  'max_dim': lambda x, a: x.max(a[0]).values, 'min_dim': lambda x, a: x.min(a[0]).values,
}
out = []
for c in cases:
    x = torch.tensor(c['x'], dtype=torch.float64).reshape(c['shape']).requires_grad_(True)
    y = ops[c['op']](x, c['args'])
    (y * torch.arange(1, y.numel() + 1, dtype=torch.float64).reshape(y.shape)).sum().backward()
    out.append(x.grad.flatten().tolist())
print(json.dumps(out))
`;

interface TorchCase { op: string; args: number[]; x: number[]; shape: number[]; ours: (x: Tensor) => Tensor }

function torchCases(): TorchCase[] {
  const row = [-1, -0.5, 0, 0, 0.5, 1, 1, -0.5];
  const mat = [1, 0.5, 1, -1, 0, 0, 0, 0, -1, 0.5, -1, 0.5];
  return [
    { op: 'clamp', args: [-0.5, 0.5], x: row, shape: [8], ours: (x) => x.clamp(-0.5, 0.5) },
    { op: 'clamp', args: [0.5, -0.5], x: row, shape: [8], ours: (x) => x.clamp(0.5, -0.5) },
    { op: 'clamp_min', args: [0], x: row, shape: [8], ours: (x) => x.clamp(0) },
    { op: 'clamp_max', args: [0], x: row, shape: [8], ours: (x) => x.clamp(null, 0) },
    { op: 'relu', args: [], x: row, shape: [8], ours: (x) => x.relu() },
    { op: 'abs', args: [], x: row, shape: [8], ours: (x) => x.abs() },
    { op: 'max', args: [], x: mat, shape: [3, 4], ours: (x) => x.max() },
    { op: 'min', args: [], x: mat, shape: [3, 4], ours: (x) => x.min() },
    ...[0, 1].flatMap((d): TorchCase[] => [
      { op: 'amax', args: [d], x: mat, shape: [3, 4], ours: (x) => x.amax(d) },
      { op: 'amin', args: [d], x: mat, shape: [3, 4], ours: (x) => x.amin(d) },
      { op: 'max_dim', args: [d], x: mat, shape: [3, 4], ours: (x) => x.max(d).values },
      { op: 'min_dim', args: [d], x: mat, shape: [3, 4], ours: (x) => x.min(d).values },
    ]),
  ];
}

testUnless(python ? null : NO_TORCH, 'boundary and tie gradients equal PyTorch\'s on the same inputs', () => {
  const cases = torchCases();
  const payload = cases.map(({ op, args, x, shape }) => ({ op, args, x, shape }));
  const run = spawnSync(python as string, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8', timeout: 60_000 });
  assert.is(run.status, 0, run.stderr);
  const torchGrads = JSON.parse(run.stdout) as number[][];
  cases.forEach((c, i) => assertGrad(gradOf(c.x, c.shape, c.ours), torchGrads[i], `${c.op}(${c.args}) vs torch`));
});

test.run();
