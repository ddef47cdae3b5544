/**
 * Seeded random numbers. Every draw in the engine goes through a `Generator` (seedrandom's alea), so runs are
 * reproducible: `manualSeed(0)` resets the global one, as `torch.manual_seed` does.
 */
import seedrandom from 'seedrandom';

export class Generator {
  private prng: seedrandom.PRNG;
  private spareNormal: number | null = null;
  private seedValue: string;

  constructor(seed: number | string = 0) {
    this.seedValue = String(seed);
    this.prng = seedrandom.alea(this.seedValue);
  }

  /** Restarts the stream from `seed`. */
  manualSeed(seed: number | string): this {
    this.seedValue = String(seed);
    this.prng = seedrandom.alea(this.seedValue);
    this.spareNormal = null;
    return this;
  }

  initialSeed(): string {
    return this.seedValue;
  }

  /** Uniform in [0, 1) with 53 bits of randomness. */
  random(): number {
    return this.prng.double();
  }

  /** Uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.prng.double() * (high - low));
  }

  /**
   * A permutation of 0..n−1 (Fisher–Yates, from the last slot down), the one shuffle every seeded ordering uses:
   * `randperm`, the demo's and the page's batch samplers.
   */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const held = order[i];
      order[i] = order[j];
      order[j] = held;
    }
    return order;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** The global generator used when an op is not given one. */
export const defaultGenerator = new Generator(0);

/** Seeds the global generator (as torch.manual_seed). */
export function manualSeed(seed: number | string): Generator {
  return defaultGenerator.manualSeed(seed);
}
