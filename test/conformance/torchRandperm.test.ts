/**
 * The kit's reproduction of torch.randperm on the CPU (src/conformance/torchRandperm.ts) and of PEFT's
 * pattern (src/conformance/patterns.ts): MT19937 against the C++ standard's check value, randperm and PEFT's
 * patterns against PyTorch itself where a Python with torch is found (else skipped, with the reason).
 */
import { spawnSync } from 'node:child_process';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peftPatterns, patternProblem } from '../../src/conformance/patterns';
import { Mt19937, torchRandperm } from '../../src/conformance/torchRandperm';
import { sparseNnz } from '../../src/frod/pattern';
import { NO_TORCH, findTorchPython } from '../torch/python';
import { testUnless } from '../util/skip';

test('MT19937 seeded with 5489 gives 4123659995 as its 10000th output (the check value of std::mt19937)', () => {
  const g = new Mt19937(5489);
  let last = 0;
  for (let i = 0; i < 10000; i++) last = g.next32();
  assert.is(last, 4123659995);
});

test('torchRandperm is a permutation of 0..n-1 and the same for the same seed', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n, seed) => {
    const a = torchRandperm(n, new Mt19937(seed));
    assert.equal([...a].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
    assert.equal([...torchRandperm(n, new Mt19937(seed))], [...a]);
  }), { numRuns: 50 });
});

test('PEFT patterns are valid, with PEFT\'s nnz, and a category with nnz 0 draws nothing', () => {
  const cats = [{ name: 'b', inFeatures: 5 }, { name: 'a', inFeatures: 1 }, { name: 'c', inFeatures: 4 }];
  const patterns = peftPatterns(cats, 0.3, 7);
  for (const { name, inFeatures } of cats) {
    const p = patterns.get(name)!;
    assert.is(p.nnz, sparseNnz(inFeatures, 0.3));
    assert.is(patternProblem([...p.rows, ...p.cols], [2, p.nnz], inFeatures, p.nnz), null);
  }
  // 'a' (one input: no off-diagonal slot) takes no draw, so 'b' is drawn first either way.
  const without = peftPatterns(cats.filter((c) => c.name !== 'a'), 0.3, 7);
  assert.equal([...without.get('b')!.rows], [...patterns.get('b')!.rows]);
  assert.equal([...without.get('c')!.cols], [...patterns.get('c')!.cols]);
});

const python = findTorchPython();

testUnless(python ? null : NO_TORCH, 'torchRandperm and PEFT\'s pattern equal torch.randperm\'s draws (shared generator, sorted categories)', () => {
  const script = `
import json, torch
out = {}
g = torch.Generator().manual_seed(123456789)
out['perms'] = [torch.randperm(n, generator=g).tolist() for n in (1, 2, 17, 300)]
g = torch.Generator().manual_seed(3)
pats = {}
for name, n in sorted({'self_query': 6, 'fc': 4, 'dense': 5}.items()):
    rows, cols = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
    idx = torch.stack([rows.flatten(), cols.flatten()], dim=1)
    off = idx[idx[:, 0] != idx[:, 1]]
    nnz = max(1, min(int(n * n * 0.2), off.shape[0]))
    pats[name] = off[torch.randperm(off.shape[0], generator=g)[:nnz]].t().tolist()
out['patterns'] = pats
print(json.dumps(out))`;
  const run = spawnSync(python as string, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  assert.is(run.status, 0, run.stderr);
  const torchOut = JSON.parse(run.stdout) as { perms: number[][]; patterns: Record<string, number[][]> };
  const g = new Mt19937(123456789);
  for (const [i, n] of [1, 2, 17, 300].entries()) assert.equal([...torchRandperm(n, g)], torchOut.perms[i], `randperm(${n})`);
  const ours = peftPatterns([{ name: 'self_query', inFeatures: 6 }, { name: 'fc', inFeatures: 4 }, { name: 'dense', inFeatures: 5 }], 0.2, 3);
  for (const [name, [rows, cols]] of Object.entries(torchOut.patterns)) {
    assert.equal([...ours.get(name)!.rows], rows, `${name} rows`);
    assert.equal([...ours.get(name)!.cols], cols, `${name} cols`);
  }
});

test.run();
