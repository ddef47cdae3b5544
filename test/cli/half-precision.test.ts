/**
 * Half-precision (BF16 / F16) bases in `frod init` and `frod merge`: values reach 16 bits exactly as PyTorch
 * takes a float64 tensor there (compared bit for bit with Debian's PyTorch where it is installed), the
 * adapter carries PEFT's dtypes (V in the base dtype; λ and S float32 under autocast_adapter_dtype, the
 * default, else the base dtype), and merged weights are the float64 W' rounded as PyTorch rounds it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundLikeTorch, type HalfDType } from '../../src/cli/checkpoint/halfPrecision';
import { FrodConfig } from '../../src/frod/config';
import { decomposeWeight, prepareBasis } from '../../src/frod/decompose';
import { mergeWeightsWithAdapter, weightsFromStateDict } from '../../src/frod/functional';
import { mat } from '../../src/linalg/kernels/mat';
import { float32ToBF16, float32ToF16 } from '../../src/nn/io/half';
import { loadSafetensors } from '../../src/nn/io/safetensors';
import { Generator, tensor } from '../../src/tensor';
import { findTorchPython, NO_TORCH } from '../torch/python';
import { testUnless } from '../util/skip';
import { cleanTemp, frod, readSafetensors, tempDir, values } from './helpers';
import { adapterConfig, tinyModel } from './models';

test.after.each(cleanTemp);

const torchPython = findTorchPython();
const NO = torchPython === null ? NO_TORCH : null;

/** PyTorch's bits for `values` (float64) cast with `.to(torch.bfloat16)` and with `.to(torch.float16)` (one Python start). */
function torchHalfBits(values: Float64Array): Record<HalfDType, Uint16Array> {
  const script = 'import sys, torch\n'
    + 't = torch.frombuffer(bytearray(sys.stdin.buffer.read()), dtype=torch.float64)\n'
    + 'for d in (torch.bfloat16, torch.float16): sys.stdout.buffer.write(t.to(d).view(torch.int16).numpy().tobytes())\n';
  const run = spawnSync(torchPython as string, ['-c', script], { input: Buffer.from(values.buffer), maxBuffer: 1 << 28, timeout: 120_000 });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  const bits = new Uint16Array(new Uint8Array(run.stdout).buffer);
  return { BF16: bits.subarray(0, values.length), F16: bits.subarray(values.length) };
}

/** Our bits for the same values: roundLikeTorch, then the 16-bit pattern of that (exactly representable) value. */
function ourBits(values: Float64Array, dtype: HalfDType): Uint16Array {
  const rounded = roundLikeTorch(values, dtype);
  return dtype === 'BF16' ? float32ToBF16(rounded) : float32ToF16(rounded);
}

/** Values that probe the roundings: random magnitudes, ties of float32 and of the half formats, subnormals, overflow. */
function probeValues(): Float64Array {
  const g = new Generator('half-precision');
  const out: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, -1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1e-8, 1e-40, 3.4e38, 3.5e38];
  for (let i = 0; i < 2000; i++) out.push(g.normal() * 2 ** Math.floor(g.random() * 60 - 30));
  for (let i = 0; i < 500; i++) {
    const base = 1 + Math.floor(g.random() * 128) / 128; // a BF16 value in [1, 2)
    out.push(base + 2 ** -8, base + 2 ** -8 + 2 ** -40, base + 2 ** -8 - 2 ** -40, base + 2 ** -11 + 2 ** -35, base + 2 ** -24 + 2 ** -50);
  }
  return Float64Array.from(out);
}

test('roundLikeTorch goes through float32 as PyTorch does: 1 + 2^-8 + 2^-40 becomes 1 in BF16, not 1 + 2^-7', () => {
  assert.equal([...roundLikeTorch([1 + 2 ** -8 + 2 ** -40, 1 + 2 ** -8 + 2 ** -20], 'BF16')], [1, 1 + 2 ** -7]);
  assert.equal([...roundLikeTorch([1 + 2 ** -11 + 2 ** -40, 70000, 2 ** -25], 'F16')], [1, Infinity, 0]);
});

testUnless(NO, 'roundLikeTorch gives PyTorch\'s BF16 and F16 bits for float64 values (ties, subnormals, overflow, random)', () => {
  const probes = probeValues();
  const theirs = torchHalfBits(probes);
  for (const dtype of ['BF16', 'F16'] as const) {
    const mine = ourBits(probes, dtype);
    for (let i = 0; i < probes.length; i++) {
      assert.is(mine[i], theirs[dtype][i], `${dtype} of ${probes[i]}: 0x${mine[i].toString(16)} vs torch 0x${theirs[dtype][i].toString(16)}`);
    }
  }
});

/** A bf16 (or f16) llama-tiny and a fresh adapter for it with `extra` init options. */
async function halfAdapter(dtype: 'bf16' | 'f16', extra: string[] = []) {
  const base = await tinyModel('llama-tiny', { dtype, shards: 2 });
  const out = path.join(tempDir(), 'adapter');
  const config = adapterConfig({ target_modules: ['q_proj', 'down_proj'], init_weights: false, sparse_rate: 0.1 });
  const run = await frod(['init', '--base', base, '--config', config, '--out', out, ...extra]);
  assert.is(run.code, 0, run.stderr);
  return { base, out, parsed: readSafetensors(path.join(out, 'adapter_model.safetensors')) };
}

test('init on a BF16 base: V in BF16, λ and S float32 holding BF16 values (autocast), indices I64; λ computed from the saved V', async () => {
  const { base, parsed } = await halfAdapter('bf16');
  for (const [name, entry] of parsed.entries) {
    const expected = name.includes('frod_V') ? 'BF16' : name.includes('frod_s_') ? 'I64' : 'F32';
    assert.is(entry.dtype, expected, name);
    if (expected === 'F32') {
      const v = values(parsed, name).data;
      assert.equal([...roundLikeTorch(v, 'BF16')], [...v], `${name} holds BF16 values`);
    }
  }
  const v = values(parsed, 'base_model.frod_V.self_attn_q_proj');
  const w = loadSafetensors(path.join(base, 'model-00001-of-00002.safetensors')).tensors['model.layers.0.self_attn.q_proj.weight'];
  const { lambda } = decomposeWeight(prepareBasis(mat(v.shape[0], v.shape[1], v.data)), mat(w.shape[0], w.shape[1], Float64Array.from(w.data())));
  const saved = values(parsed, 'base_model.model.model.layers.0.self_attn.q_proj.frod_lambda_l').data;
  const noise = saved.map((x, i) => x - lambda[i]);
  // init_weights: false adds N(0, 0.1²) noise to λ; without it λ would be exactly the BF16 rounding.
  assert.ok(noise.every((d) => Math.abs(d) < 0.5) && noise.some((d) => Math.abs(d) > 1e-3));
});

test('init --no-autocast-adapter-dtype: λ and S in the base dtype (F16), the same values', async () => {
  const autocast = (await halfAdapter('f16')).parsed;
  const { parsed } = await halfAdapter('f16', ['--no-autocast-adapter-dtype']);
  for (const [name, entry] of parsed.entries) {
    if (!/frod_lambda/.test(name)) continue;
    assert.is(entry.dtype, 'F16', name);
    assert.is(autocast.entries.get(name)!.dtype, 'F32', name);
    assert.equal([...values(parsed, name).data], [...values(autocast, name).data], name);
  }
});

testUnless(NO, 'merge on a BF16 base: each merged weight is PyTorch\'s .to(torch.bfloat16) of the float64 W\'', async () => {
  const { base, out } = await halfAdapter('bf16');
  const merged = path.join(tempDir(), 'merged.safetensors');
  const run = await frod(['merge', '--base', base, '--adapter', out, '--out', merged]);
  assert.is(run.code, 0, run.stderr);
  // W' in float64 from the library, on the base weights widened to float64 (exact).
  const stateDict: Record<string, ReturnType<typeof tensor>> = {};
  for (const file of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
    for (const [name, t] of Object.entries(loadSafetensors(path.join(base, file)).tensors)) stateDict[name] = t.to('float64');
  }
  const config = FrodConfig.fromJSON({ peft_type: 'FROD', target_modules: ['q_proj', 'down_proj'], sparse_rate: 0.1 });
  const exact = mergeWeightsWithAdapter(weightsFromStateDict(stateDict, config), loadSafetensors(path.join(out, 'adapter_model.safetensors')).tensors, config);
  const written = readSafetensors(merged);
  assert.is(exact.size, 6);
  const names = [...exact.keys()];
  const all = Float64Array.from(names.flatMap((name) => [...exact.get(name)!.data()]));
  const theirs = torchHalfBits(all).BF16; // one Python start for every weight
  let at = 0;
  for (const name of names) {
    const entry = written.entries.get(name)!;
    assert.is(entry.dtype, 'BF16');
    const mine = new Uint16Array(entry.bytes.slice().buffer);
    assert.equal([...mine], [...theirs.subarray(at, at + mine.length)], name);
    at += mine.length;
  }
});

test.run();
