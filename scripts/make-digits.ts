/**
 * Writes the digits the site fine-tunes on: MNIST digits 5–9 from the `mnist` package, split exactly as
 * `frod demo --seed 0` splits them (src/demo/data.ts), training and test parts only, as one gzip-compressed
 * binary (about 0.7 MB; the browser inflates it with DecompressionStream). The name ends in `.frd`, not `.gz`:
 * static servers send a `.gz` file with `Content-Encoding: gzip`, and the browser would inflate it before the
 * page's own DecompressionStream saw it.
 *
 *   bytes 0–3   "FRD1"
 *   4 × u32 LE  training count, test count, rows (28), columns (28)
 *   u8 × 5      the digits, in label order (5 6 7 8 9: label 0 is digit 5)
 *   u8 × n      labels (training then test)
 *   u8 × n·784  pixels p = round(255 · value)
 *
 * The package stores each pixel as p/255 rounded to three decimals, so a reader recovers the exact value as
 * round(1000 · p / 255) / 1000 (checked over all 7.8 M pixels when this format was chosen): the browser trains
 * on the very numbers `frod demo` trains on, which is what lets the page reach Node's first loss.
 *
 * Usage: npx tsx scripts/make-digits.ts [out]   (default site/dist/digits-5to9.frd); `npm run site:build` calls
 * {@link makeDigits}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FINETUNE_DIGITS, IMAGE_PIXELS, splitDigits, type DigitSet } from '../src/demo/data';

/** Writes the digits file to `out`; returns what it wrote. */
export function makeDigits(out: string): { train: number; test: number; bytes: number } {
  const { train, test } = splitDigits(FINETUNE_DIGITS, { seed: 0 });
  const parts: DigitSet[] = [train, test];
  const count = train.count + test.count;
  const header = 4 + 16 + FINETUNE_DIGITS.length;
  const bytes = new Uint8Array(header + count + count * IMAGE_PIXELS);
  const view = new DataView(bytes.buffer);
  bytes.set([...'FRD1'].map((c) => c.charCodeAt(0)), 0);
  [train.count, test.count, 28, 28].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  bytes.set(FINETUNE_DIGITS, 20);
  let label = header, pixel = header + count;
  for (const part of parts) {
    bytes.set(part.labels, label);
    label += part.count;
    for (let i = 0; i < part.images.length; i++) bytes[pixel++] = Math.round(255 * part.images[i]);
  }
  const packed = gzipSync(bytes, { level: 9 });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, packed);
  return { train: train.count, test: test.count, bytes: packed.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? 'site/dist/digits-5to9.frd';
  const made = makeDigits(out);
  console.log(`wrote ${out}: ${made.train} training + ${made.test} test images of digits ${FINETUNE_DIGITS.join(', ')}, ${(made.bytes / 1e6).toFixed(2)} MB`);
}
