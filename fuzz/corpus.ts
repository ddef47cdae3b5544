/**
 * The valid inputs the fuzzer mutates: the golden cases' base models and FRoD adapters (BERT-like Linear
 * layers, GPT-2 Conv1D layers, a wide single layer), plus an F16 copy of the BERT base, read once per worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/autograd';
import { encodeEntry } from '../src/nn/io/convert';
import { parseSafetensors, serializeSafetensors, type ParsedSafetensors, type RawEntry } from '../src/nn/io/format';
import { decodeEntry } from '../src/nn/io/convert';
import { Conv1D, Linear } from '../src/nn/layers/linear';
import { Module } from '../src/nn/module';
import { tensor } from '../src/tensor';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'golden');

/** One valid base model and an adapter made for it. */
export interface Seed {
  name: string;
  base: Uint8Array;
  parsedBase: ParsedSafetensors;
  adapterConfig: Record<string, unknown>;
  adapterWeights: Uint8Array;
  parsedAdapter: ParsedSafetensors;
  /** GPT-2 style Conv1D weights (in, out). */
  conv1d: boolean;
}

/** The base's tensors stored as F16 instead of F32. */
function asF16(parsed: ParsedSafetensors): Uint8Array {
  const entries = new Map<string, RawEntry>();
  for (const [name, entry] of parsed.entries) {
    entries.set(name, entry.dtype === 'F32' ? encodeEntry(decodeEntry(entry, name).data, entry.shape, 'F16', name) : entry);
  }
  return serializeSafetensors(entries, parsed.metadata);
}

function readSeed(name: string): Seed {
  const dir = path.join(GOLDEN, name);
  const base = new Uint8Array(fs.readFileSync(path.join(dir, 'base.safetensors')));
  const adapterWeights = new Uint8Array(fs.readFileSync(path.join(dir, 'adapter', 'adapter_model.safetensors')));
  const adapterConfig = JSON.parse(fs.readFileSync(path.join(dir, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  return {
    name, base, parsedBase: parseSafetensors(base), adapterConfig, adapterWeights, parsedAdapter: parseSafetensors(adapterWeights),
    conv1d: adapterConfig.fan_in_fan_out === true,
  };
}

/** Every seed: bert, gpt2, wide, and bert with an F16 base. */
export function loadSeeds(): Seed[] {
  const seeds = ['bert', 'gpt2', 'wide'].map(readSeed);
  const bert = seeds[0];
  const f16 = asF16(bert.parsedBase);
  seeds.push({ ...bert, name: 'bert-f16', base: f16, parsedBase: parseSafetensors(f16) });
  return seeds;
}

/** A module tree holding a Linear (or Conv1D) for every 2-D `<path>.weight` of a base, with its values. */
export function moduleFor(seed: Seed): Module {
  const root = new Module();
  for (const [name, entry] of seed.parsedBase.entries) {
    if (!name.endsWith('.weight') || entry.shape.length !== 2) continue;
    const modulePath = name.slice(0, -'.weight'.length);
    const hasBias = seed.parsedBase.entries.has(`${modulePath}.bias`);
    const [rows, cols] = entry.shape;
    const layer = seed.conv1d ? new Conv1D(cols, rows) : new Linear(cols, rows, { bias: hasBias });
    noGrad(() => {
      (layer as Linear).weight.copy_(tensor(decodeEntry(entry, name).data, { dtype: 'float32', shape: entry.shape }));
    });
    let parent = root;
    const parts = modulePath.split('.');
    for (const part of parts.slice(0, -1)) {
      const existing = parent.namedChildren().find(([n]) => n === part)?.[1];
      const next = existing ?? new Module();
      if (!existing) parent.registerModule(part, next);
      parent = next;
    }
    parent.registerModule(parts[parts.length - 1], layer);
  }
  return root;
}
