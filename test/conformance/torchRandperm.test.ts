/**
 * The kit's reproduction of torch.randperm on the CPU (src/conformance/torchRandperm.ts) and of PEFT's
 * pattern (src/conformance/patterns.ts): MT19937 against the C++ standard's check value, permutations and
 * valid patterns. Against PyTorch itself: test/conformance/pytorch.test.ts.
 */
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peftPatterns, patternProblem } from '../../src/conformance/patterns';
import { Mt19937, torchRandperm } from '../../src/conformance/torchRandperm';
import { sparseNnz } from '../../src/frod/pattern';

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

test.run();
