/** Model folders for the CLI tests (not a test file itself): tiny real architectures from scripts/make-model.ts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeModel, type MakeModelOptions } from '../../scripts/make-model';
import { parseSafetensors, type RawEntry } from '../../src/nn/io/format';
import { tempDir } from './helpers';

/** Writes a tiny model folder (`shape` from scripts/model-shapes.ts) in a fresh temp dir and returns its path. */
export async function tinyModel(shape: string, options: Omit<MakeModelOptions, 'shape' | 'out'> = {}): Promise<string> {
  const dir = path.join(tempDir(), shape);
  await makeModel({ shape, out: dir, ...options });
  return dir;
}

/** Writes an adapter_config.json in a fresh temp dir and returns its path. */
export function adapterConfig(json: Record<string, unknown>): string {
  const file = path.join(tempDir(), 'adapter_config.json');
  fs.writeFileSync(file, JSON.stringify({ peft_type: 'FROD', ...json }));
  return file;
}

/** Every tensor of a model folder or file (all shards), with its raw entry. */
export function modelEntries(target: string): Map<string, RawEntry> {
  const files = fs.statSync(target).isDirectory()
    ? fs.readdirSync(target).filter((f) => f.endsWith('.safetensors')).map((f) => path.join(target, f))
    : [target];
  const out = new Map<string, RawEntry>();
  for (const file of files) {
    for (const [name, entry] of parseSafetensors(new Uint8Array(fs.readFileSync(file)), file).entries) out.set(name, entry);
  }
  return out;
}

/** The tensor names of each `.safetensors` file of a folder: file name → sorted names. */
export function shardContents(dir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort()) {
    out[file] = [...parseSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, file)))).entries.keys()].sort();
  }
  return out;
}
