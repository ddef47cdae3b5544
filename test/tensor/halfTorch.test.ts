/**
 * float16 / bfloat16 against PyTorch's cpu kernels: conversions from float64 and float32, elementwise ops,
 * reductions, and (bfloat16 only: torch's cpu build lacks them for float16) transcendentals and matmul give
 * torch's values. Skipped, with the reason, where no Python with torch
 * is found (test/torch/python.ts).
 */
import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { Generator, randn, tensor, type Tensor } from '../../src/tensor';
import type { HalfDType } from '../../src/tensor/half';
import { NO_TORCH, findTorchPython } from '../torch/python';
import { testUnless } from '../util/skip';

const python = findTorchPython();
const why = python ? null : NO_TORCH;

/** Python: the same ops in torch, on the values given as float64 lists; results as float64 lists. */
const SCRIPT = `
import json, sys, torch
cases = json.load(sys.stdin)
out = {}
for dtype_name, c in cases.items():
    dt = getattr(torch, dtype_name)
    a = torch.tensor(c['a'], dtype=torch.float64).to(dt)
    b = torch.tensor(c['b'], dtype=torch.float64).to(dt)
    r = {
        'from64': torch.tensor(c['wide'], dtype=torch.float64).to(dt),
        'from32': torch.tensor(c['wide'], dtype=torch.float32).to(dt),
        'add': a + b, 'mul': a * b, 'div': a / b, 'sum': a.sum(1), 'max': a.max(1).values,
    }
    if dtype_name == 'bfloat16':  # torch's cpu build lacks these for float16
        r.update(exp=a.exp(), tanh=a.tanh(), sigmoid=a.sigmoid(), softmax=a.softmax(-1), matmul=a @ b.t())
    out[dtype_name] = {k: v.double().tolist() for k, v in r.items()}
print(json.dumps(out))
`;

function ours(dtype: HalfDType, a: Tensor, b: Tensor, wide: number[]): Record<string, Tensor> {
  const r: Record<string, Tensor> = {
    from64: tensor(wide, { dtype: 'float64' }).to(dtype), from32: tensor(wide).to(dtype),
    add: a.add(b), mul: a.mul(b), div: a.div(b), sum: a.sum(1), max: a.max(1).values,
  };
  if (dtype === 'bfloat16') Object.assign(r, { exp: a.exp(), tanh: a.tanh(), sigmoid: a.sigmoid(), softmax: a.softmax(-1), matmul: a.matmul(b.t()) });
  return r;
}

testUnless(why, 'half precision: conversions, elementwise ops, reductions, bfloat16 transcendentals and matmul equal PyTorch\'s', () => {
  const g = new Generator(17);
  const wide = [...randn([200], { dtype: 'float64', generator: g }).data()].map((x, i) => x * 10 ** ((i % 9) - 4));
  const inputs = { float16: {}, bfloat16: {} } as Record<HalfDType, { a: Tensor; b: Tensor }>;
  const payload: Record<string, unknown> = {};
  for (const dtype of ['float16', 'bfloat16'] as const) {
    const a = randn([6, 16], { dtype: 'float64', generator: g }).to(dtype);
    const b = randn([6, 16], { dtype: 'float64', generator: g }).to(dtype);
    inputs[dtype] = { a, b };
    payload[dtype] = { a: a.double().toArray(), b: b.double().toArray(), wide };
  }
  const run = spawnSync(python as string, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8', timeout: 60_000 });
  assert.is(run.status, 0, run.stderr);
  const torchOut = JSON.parse(run.stdout) as Record<HalfDType, Record<string, unknown>>;
  for (const dtype of ['float16', 'bfloat16'] as const) {
    const mine = ours(dtype, inputs[dtype].a, inputs[dtype].b, wide);
    assert.equal(Object.keys(mine).sort(), Object.keys(torchOut[dtype]).sort(), `${dtype}: ops`);
    for (const [op, t] of Object.entries(mine)) {
      const expected = (torchOut[dtype][op] as number[] | number[][]).flat();
      const actual = [...t.double().data()];
      // matmul sums in float32 in an order of its own, so bfloat16 results may differ by one unit in the last place.
      const ulps = op === 'matmul' || op === 'softmax' ? 1 : 0;
      for (let i = 0; i < expected.length; i++) {
        const unit = Math.max(2 ** (Math.floor(Math.log2(Math.abs(expected[i]) || 1)) - (dtype === 'float16' ? 10 : 7)), 0);
        assert.ok(Math.abs(actual[i] - expected[i]) <= ulps * unit, `${dtype} ${op}[${i}]: ${actual[i]} vs torch ${expected[i]}`);
      }
    }
  }
});

import { test } from 'uvu';
test.run();
