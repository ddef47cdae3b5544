/**
 * What the page loads: the shipped ViT (pretrained on digits 0–4, the same files as models/ in the package) and
 * the digits 5–9 it is fine-tuned on (written by scripts/make-digits.ts: the demo's seed-0 training and test
 * parts, pixels as bytes).
 */
import { loadSafetensors, type Tensor } from 'frod-ts';

/** A set of 28×28 images: `images` holds `count × 784` pixels in [0, 1] (float32, as the demo holds them). */
export interface DigitSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface Digits {
  train: DigitSet;
  test: DigitSet;
  /** The digit each label stands for (label 0 is digit 5). */
  digits: number[];
}

/** The base model's files: safetensors bytes (parsed afresh for every fresh model) and its config.json. */
export interface BaseModelFiles {
  weights: Uint8Array;
  config: Record<string, unknown>;
}

const MODEL = 'models/vit-mnist-0to4';

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  return response;
}

export async function fetchBaseModel(): Promise<BaseModelFiles> {
  const [weights, config] = await Promise.all([
    fetchOk(`${MODEL}.safetensors`).then((r) => r.arrayBuffer()),
    fetchOk(`${MODEL}.json`).then((r) => r.json() as Promise<Record<string, unknown>>),
  ]);
  return { weights: new Uint8Array(weights), config };
}

/** The base model's tensors by Hugging Face name (a fresh set on every call). */
export function baseTensors(files: BaseModelFiles): Record<string, Tensor> {
  return loadSafetensors(files.weights).tensors;
}

/**
 * The pixel value the mnist package stores for byte `p`: p/255 rounded to three decimals (make-digits.ts
 * explains why this recovers the package's numbers exactly).
 */
const pixelValue = (p: number) => Math.round((1000 * p) / 255) / 1000;

/** Parses the FRD1 format of scripts/make-digits.ts (already inflated). */
export function parseDigits(bytes: Uint8Array): Digits {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'FRD1') throw new Error(`digits file: expected the FRD1 format, got '${magic}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [trainCount, testCount, rows, cols] = [0, 1, 2, 3].map((i) => view.getUint32(4 + 4 * i, true));
  const pixels = rows * cols;
  const digits = Array.from(bytes.subarray(20, 25));
  const header = 25;
  const count = trainCount + testCount;
  if (bytes.length !== header + count + count * pixels) throw new Error('digits file: truncated');
  const values = new Float32Array(256).map((_, p) => pixelValue(p));
  const part = (first: number, n: number): DigitSet => {
    const images = new Float32Array(n * pixels);
    const from = header + count + first * pixels;
    for (let i = 0; i < images.length; i++) images[i] = values[bytes[from + i]];
    return { images, labels: Int32Array.from(bytes.subarray(header + first, header + first + n)), count: n };
  };
  return { train: part(0, trainCount), test: part(trainCount, testCount), digits };
}

export async function fetchDigits(): Promise<Digits> {
  const response = await fetchOk('digits-5to9.frd');
  if (!response.body) throw new Error('digits: the response has no body');
  const inflated = await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  return parseDigits(new Uint8Array(inflated));
}
