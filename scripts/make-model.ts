/**
 * `npm run make-model -- --shape llama-3.2-1b --dtype bf16 --shards 3 --out DIR [--seed N]`: writes a
 * Hugging Face model folder of seeded random weights with the exact tensor names, shapes and config.json of
 * a real architecture (scripts/model-shapes.ts) — a model to run `frod` on without a download. With
 * `--shards N` > 1 the tensors are split, in state-dict order, into N files of about equal size named
 * `model-0000i-of-0000N.safetensors` with `model.safetensors.index.json`, as transformers' save_pretrained
 * does; else one `model.safetensors`.
 *
 * Values: every tensor is drawn from its own seedrandom `alea` stream seeded by `--seed` and the tensor's
 * name (so the sharding does not change them): uniform with the standard deviation of the architecture's
 * initializer (0.02), norms at 1, biases at 0. Written tensor by tensor in chunks: memory stays small
 * whatever the size (the full Llama-3.2-1B shape is ~2.5 GB on disk in bf16).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import type { SafeDType, TensorSpec } from '../src/nn/io/format';
import { float32ToF16 } from '../src/nn/io/half';
import { TensorWriter } from '../src/cli/checkpoint/tensorWriter';
import { MODEL_SHAPES, type TensorShape } from './model-shapes';

/** Options of {@link makeModel}. */
export interface MakeModelOptions {
  shape: string;
  out: string;
  dtype?: 'bf16' | 'f16' | 'f32';
  shards?: number;
  seed?: number;
}

const FILE_DTYPES: Record<'bf16' | 'f16' | 'f32', SafeDType> = { bf16: 'BF16', f16: 'F16', f32: 'F32' };
const ELEMENTS_PER_CHUNK = 1 << 20;
const STD = 0.02;

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Float32 → BF16 bits, round to nearest even (finite values only, as drawn here; the fast path of src/nn/io/half.ts). */
function bf16Bits(bits32: Uint32Array, out: Uint16Array): void {
  for (let i = 0; i < bits32.length; i++) {
    const b = bits32[i];
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
}

/** The bytes of elements [start, start + count) of a tensor, in `dtype`. */
function chunkBytes(tensor: TensorShape, start: number, count: number, dtype: SafeDType, random: () => number): Uint8Array {
  const values = new Float32Array(count);
  const half = Math.sqrt(3) * STD; // uniform on [-a, a] has std a/√3
  if (tensor.init === 'normal') for (let i = 0; i < count; i++) values[i] = (2 * random() - 1) * half;
  else if (tensor.init === 'ones') values.fill(1);
  else if (tensor.init === 'causal') {
    const n = tensor.shape[tensor.shape.length - 1];
    for (let i = 0; i < count; i++) values[i] = (start + i) % n <= Math.floor((start + i) / n) % n ? 1 : 0;
  }
  if (dtype === 'F32') return new Uint8Array(values.buffer);
  if (dtype === 'F16') return new Uint8Array(float32ToF16(values).buffer);
  const bits = new Uint16Array(count);
  bf16Bits(new Uint32Array(values.buffer), bits);
  return new Uint8Array(bits.buffer);
}

/** Splits tensors (in order) into `count` groups of about equal byte size. */
function shardTensors(tensors: readonly TensorShape[], count: number, size: number): TensorShape[][] {
  const total = tensors.reduce((sum, t) => sum + numel(t.shape) * size, 0);
  const groups: TensorShape[][] = Array.from({ length: count }, () => []);
  let done = 0;
  for (const tensor of tensors) {
    const bytes = numel(tensor.shape) * size;
    const index = Math.min(count - 1, Math.floor(((done + bytes / 2) / total) * count));
    groups[index].push(tensor);
    done += bytes;
  }
  if (groups.some((g) => g.length === 0)) throw new Error(`make-model: ${count} shards is more than this model's tensors fill`);
  return groups;
}

/** Writes one shard file, tensor by tensor, chunk by chunk. */
async function writeShard(file: string, tensors: readonly TensorShape[], dtype: SafeDType, seed: number): Promise<void> {
  const specs = new Map<string, TensorSpec>(tensors.map((t) => [t.name, { dtype, shape: t.shape }]));
  const writer = await TensorWriter.create(file, specs, { format: 'pt' });
  try {
    const size = dtype === 'F32' ? 4 : 2;
    for (const tensor of tensors) {
      const random = seedrandom.alea(`${seed}/${tensor.name}`);
      const total = numel(tensor.shape);
      for (let start = 0; start < total; start += ELEMENTS_PER_CHUNK) {
        const count = Math.min(ELEMENTS_PER_CHUNK, total - start);
        await writer.write(tensor.name, chunkBytes(tensor, start, count, dtype, random), start * size);
      }
    }
    await writer.commit();
  } finally {
    writer.abort();
  }
}

/** Writes the model folder `options.out` (created if needed; files of the same names are replaced). */
export async function makeModel(options: MakeModelOptions): Promise<void> {
  const make = MODEL_SHAPES[options.shape];
  if (!make) throw new Error(`make-model: unknown --shape ${options.shape} (known: ${Object.keys(MODEL_SHAPES).join(', ')})`);
  const shape = make();
  const dtypeName = options.dtype ?? shape.dtype;
  const dtype = FILE_DTYPES[dtypeName];
  if (!dtype) throw new Error(`make-model: --dtype must be bf16, f16 or f32, got ${options.dtype}`);
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`make-model: --shards must be a positive integer, got ${shards}`);
  const seed = options.seed ?? 0;
  fs.mkdirSync(options.out, { recursive: true });
  const torchDtype = { bf16: 'bfloat16', f16: 'float16', f32: 'float32' }[dtypeName];
  fs.writeFileSync(path.join(options.out, 'config.json'), `${JSON.stringify({ ...shape.config, torch_dtype: torchDtype }, null, 2)}\n`);
  if (shards === 1) {
    await writeShard(path.join(options.out, 'model.safetensors'), shape.tensors, dtype, seed);
    return;
  }
  const size = dtype === 'F32' ? 4 : 2;
  const groups = shardTensors(shape.tensors, shards, size);
  const weightMap: Record<string, string> = {};
  const pad = (n: number) => String(n).padStart(5, '0');
  for (const [i, group] of groups.entries()) {
    const name = `model-${pad(i + 1)}-of-${pad(shards)}.safetensors`;
    await writeShard(path.join(options.out, name), group, dtype, seed);
    for (const t of group) weightMap[t.name] = name;
  }
  const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
  const totalSize = shape.tensors.reduce((sum, t) => sum + numel(t.shape) * size, 0);
  fs.writeFileSync(path.join(options.out, 'model.safetensors.index.json'),
    `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sorted }, null, 2)}\n`);
}

function parseArgs(argv: readonly string[]): MakeModelOptions {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith('--') || argv[i + 1] === undefined) throw new Error(`make-model: expected --option value pairs, got ${key}`);
    values[key.slice(2)] = argv[i + 1];
  }
  const known = new Set(['shape', 'out', 'dtype', 'shards', 'seed']);
  for (const key of Object.keys(values)) if (!known.has(key)) throw new Error(`make-model: unknown option --${key}`);
  if (!values.shape || !values.out) throw new Error('make-model: --shape and --out are required');
  return {
    shape: values.shape, out: values.out, dtype: values.dtype as MakeModelOptions['dtype'],
    shards: values.shards === undefined ? undefined : Number(values.shards),
    seed: values.seed === undefined ? undefined : Number(values.seed),
  };
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const started = Date.now();
    await makeModel(options);
    console.log(`make-model: wrote ${options.out} (${options.shape}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
