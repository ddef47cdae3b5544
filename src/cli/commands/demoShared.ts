/**
 * What `frod demo` and `frod pretrain` share on the command line: finding the shipped base model,
 * parsing numbers and choosing the device.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Device } from '../../tensor/dtype';
import { CliError, EXIT_USAGE } from '../io';

/** The shipped base model, as a path without extension. */
export const SHIPPED_MODEL = 'models/vit-mnist-0to4';

/** The package root: the nearest folder above this file with `models/` and `package.json`. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    dir = dirname(dir);
  }
  throw new CliError('models/', 'cannot find the package folder with the shipped base model');
}

/** The shipped model's path stem (absolute) and a short name for reports. */
export function shippedModel(): { stem: string; name: string } {
  const root = packageRoot();
  const stem = join(root, SHIPPED_MODEL);
  const rel = relative(process.cwd(), stem);
  return { stem, name: rel.startsWith('..') ? stem : rel || SHIPPED_MODEL };
}

/** A whole number option ≥ min, or a usage error naming the option. */
export function parseInteger(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new CliError(name, `expected an integer ≥ ${min}, got ${JSON.stringify(text)}`, EXIT_USAGE);
  }
  return value;
}

/** A positive number option, or a usage error naming the option. */
export function parsePositive(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new CliError(name, `expected a positive number, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return value;
}

/**
 * The device to run on: 'cpu'; 'gpu' (the gpu.js device, whatever backend it finds); or 'auto' (the gpu
 * device when gpu.js runs on a real GPU here, else cpu). Loads gpu.js only when asked for.
 */
export async function chooseDevice(choice: string, warn: (line: string) => void): Promise<Device> {
  if (choice === 'cpu') return 'cpu';
  if (choice !== 'gpu' && choice !== 'auto') throw new CliError('--device', `expected cpu, gpu or auto, got ${JSON.stringify(choice)}`, EXIT_USAGE);
  const { gpu } = await import('../../tensor/gpu');
  if (choice === 'auto') return gpu.isAccelerated() ? 'gpu' : 'cpu';
  if (!gpu.isAvailable()) throw new CliError('--device gpu', 'gpu.js cannot run here; use --device cpu');
  if (!gpu.isAccelerated()) warn(`gpu.js runs on its ${gpu.backend()} backend here (no GPU found): expect it to be slower than --device cpu`);
  return 'gpu';
}
