/**
 * PyTorch's CPU `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`, reproduced so that the
 * kit can ship the sparse pattern PEFT draws (its `_init_frod_projections`) without Python.
 *
 * A CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits of the seed, as
 * `std::mt19937` is; `randperm` for n < 2³²/20 fills 0…n−1 and, for i = 0 … n−2, swaps entry i with entry
 * i + (next32() mod (n − i)). Larger n take another path in PyTorch, which is refused here. Checked against
 * Debian's torch 1.13 (test/conformance/torchRandperm.test.ts); the small-n path is unchanged in PyTorch 2.
 */

const N = 624;
const M = 397;

/** MT19937 with PyTorch's CPU seeding: `manual_seed(s)` = the standard init with `s mod 2³²`. */
export class Mt19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Mt19937: the seed must be an integer, got ${seed}`);
    this.state[0] = Number(BigInt.asUintN(32, BigInt(seed)));
    for (let i = 1; i < N; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output (PyTorch's `CPUGeneratorImpl::random()`). */
  next32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % N] & 0x7fffffff);
      s[i] = s[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** Largest n for which PyTorch takes the 32-bit path reproduced here. */
export const RANDPERM_MAX_N = Math.floor(0xffffffff / 20) - 1;

/** `torch.randperm(n, generator=g)` on the CPU, drawing from `g` (which advances by n − 1 outputs). */
export function torchRandperm(n: number, g: Mt19937): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`torchRandperm: n must be a non-negative integer, got ${n}`);
  if (n > RANDPERM_MAX_N) throw new Error(`torchRandperm: n = ${n} takes PyTorch's 64-bit path, which is not reproduced (n ≤ ${RANDPERM_MAX_N})`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = g.next32() % (n - i);
    const saved = out[i];
    out[i] = out[z + i];
    out[z + i] = saved;
  }
  return out;
}
