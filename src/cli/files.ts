/**
 * The CLI's file handling (Node only): reading inputs with one-line errors that name the file, and writing
 * outputs so that a failure never leaves anything behind — a file goes through a temporary sibling and a
 * rename; a directory is built as a temporary sibling directory and renamed into place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { frodConfigFromJson } from '../frod/checkpoint';
import type { FrodConfig } from '../frod/config';
import { SafetensorsError, type ParsedSafetensors } from '../nn/io/format';
import { CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, parseAdapterConfigText, readAdapterDirectory } from '../peft/adapterFiles';
import { writeFileAtomic } from '../util/node';
import { CliError, firstLine } from './io';

/** File names of an adapter directory in the PEFT layout. */
export const ADAPTER_CONFIG_FILE = CONFIG_NAME;
export const ADAPTER_MODEL_FILE = SAFETENSORS_WEIGHTS_NAME;
const ADAPTER_FILES = new Set([ADAPTER_CONFIG_FILE, ADAPTER_MODEL_FILE]);

/** Turns a Node file-system error into the problem half of a one-line message. */
export function describeFsError(err: unknown, expected: 'file' | 'directory'): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return expected === 'file' ? 'no such file' : 'no such directory';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return expected === 'file' ? 'a part of the path is not a directory' : 'is not a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    default: return firstLine(err);
  }
}

/** The whole content of a file, or a CliError naming it. */
export function readInputFile(file: string): Uint8Array {
  try {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new CliError(file, 'is a directory, expected a file');
    const bytes = fs.readFileSync(file);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(file, describeFsError(err, 'file'));
  }
}

/** Re-throws a library error about `file` (its message starts with the file) as a CliError naming it once. */
function asCliError(err: unknown, file: string): never {
  if (err instanceof CliError) throw err;
  if (err instanceof SafetensorsError) throw safetensorsCliError(err, file);
  const line = firstLine(err);
  throw new CliError(file, line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line);
}

/** A SafetensorsError as `<file>: not a valid safetensors file: <problem>` (or its own reading problem). */
function safetensorsCliError(err: SafetensorsError, file: string): CliError {
  const prefix = `safetensors: ${file}: `;
  const problem = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : firstLine(err);
  return new CliError(file, problem.startsWith('cannot read') || problem.startsWith('no such file') ? problem : `not a valid safetensors file: ${problem}`);
}

/** Reads and validates an adapter_config.json file (the same reader as the library; errors name the file and field). */
export function readConfigFile(file: string): FrodConfig {
  const bytes = readInputFile(file);
  try {
    return frodConfigFromJson(parseAdapterConfigText(bytes, file), file);
  } catch (err) {
    asCliError(err, file);
  }
}

/** The two files of an adapter directory, read and validated. */
export interface AdapterDirContents {
  config: FrodConfig;
  configFile: string;
  model: ParsedSafetensors;
  modelFile: string;
}

/** Checks that `dir` is a directory. */
function checkDirectory(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw new CliError(dir, describeFsError(err, 'directory'));
  }
  if (!stat.isDirectory()) {
    throw new CliError(dir, `is not a directory, expected an adapter directory holding ${ADAPTER_CONFIG_FILE} and ${ADAPTER_MODEL_FILE}`);
  }
}

/** Reads an adapter directory in the PEFT layout with the library's reader (adapter_config.json + adapter_model.safetensors). */
export function readAdapterDir(dir: string): AdapterDirContents {
  checkDirectory(dir);
  const configFile = path.join(dir, ADAPTER_CONFIG_FILE);
  const modelFile = path.join(dir, ADAPTER_MODEL_FILE);
  try {
    const read = readAdapterDirectory(dir, 'frod', frodConfigFromJson);
    return { config: read.config, configFile, model: read.weights, modelFile };
  } catch (err) {
    asCliError(err, err instanceof SafetensorsError ? modelFile : configFile);
  }
}

/** True when `file` names an existing directory. */
export function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Checks that the directory that will hold `target` exists. */
function checkParent(target: string): void {
  const parent = path.dirname(path.resolve(target));
  if (!isDirectory(parent)) throw new CliError(target, `cannot be created: ${parent} is not an existing directory`);
}

/** The real path of a file, or its absolute path when it does not exist. */
function canonical(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Checks, before any work, that an output file can be written at `file`: its directory exists, it is not a
 * directory, and it is none of `inputs` (an existing file is replaced atomically at the end).
 */
export function checkOutputFile(file: string, inputs: readonly string[]): void {
  checkParent(file);
  if (isDirectory(file)) throw new CliError(file, 'is a directory, expected a file name for the output');
  const target = canonical(file);
  if (inputs.some((input) => canonical(input) === target)) {
    throw new CliError(file, 'is also an input; write the output to another file');
  }
}

/**
 * Checks, before any work, that an adapter directory can be written at `dir`: either nothing is there, or
 * an empty directory, or a directory holding only a previous adapter (adapter_config.json and/or
 * adapter_model.safetensors), which is then replaced. Anything else there is refused, so no unrelated
 * file is ever deleted.
 */
export function checkOutputDir(dir: string, replaceable: ReadonlySet<string> = ADAPTER_FILES): void {
  checkParent(dir);
  if (!fs.existsSync(dir)) return;
  if (!isDirectory(dir)) throw new CliError(dir, 'exists and is not a directory');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new CliError(dir, describeFsError(err, 'directory'));
  }
  const others = names.filter((name) => !replaceable.has(name)).sort();
  if (others.length > 0) {
    const listed = others.slice(0, 3).join(', ') + (others.length > 3 ? `, … (${others.length} entries)` : '');
    throw new CliError(dir, `already exists and holds other files (${listed}); choose a new or empty directory`);
  }
}

/** A name for a temporary sibling of `target` (same directory, so renames stay on one file system). */
export function temporarySibling(target: string, kind: string): string {
  const resolved = path.resolve(target);
  const stamp = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return path.join(path.dirname(resolved), `.${path.basename(resolved)}.frod-${kind}-${stamp}`);
}

/** Writes bytes to `file` atomically (temporary file, then rename); a failure is a CliError naming it. */
export function writeOutputFile(file: string, bytes: Uint8Array | string): void {
  try {
    writeFileAtomic(file, bytes, 'frod');
  } catch (err) {
    throw new CliError(file, `cannot write the file (${describeFsError(err, 'file')})`);
  }
}

/**
 * Creates (or replaces, see {@link checkOutputDir}) directory `dir` holding exactly `files`, all or nothing:
 * the files are written into a temporary sibling directory that is then renamed to `dir`. A directory that
 * was already there is first moved aside and deleted only after the new one is in place (and moved back if
 * that fails).
 */
export function writeOutputDir(dir: string, files: Readonly<Record<string, Uint8Array | string>>): void {
  fillOutputDir(dir, 'adapter directory', (staging) => {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(staging, name), content);
  });
}

/**
 * Creates (or replaces) directory `dir` with what `fill` writes into the empty staging directory it is
 * given, all or nothing, as {@link writeOutputDir} does; `what` names the directory in messages. An error
 * thrown by `fill` removes the staging directory and passes through unchanged.
 */
export function fillOutputDir(dir: string, what: string, fill: (staging: string) => void): void {
  const staging = temporarySibling(dir, 'tmp');
  const aside = temporarySibling(dir, 'old');
  const cannot = (err: unknown, kept = '') => new CliError(dir, `cannot write the ${what} (${describeFsError(err, 'directory')})${kept}`);
  try {
    fs.mkdirSync(staging);
  } catch (err) {
    throw cannot(err);
  }
  try {
    fill(staging);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof CliError || !(err as NodeJS.ErrnoException).code) throw err;
    throw cannot(err);
  }
  let movedAside = false;
  try {
    if (fs.existsSync(dir)) {
      fs.renameSync(dir, aside);
      movedAside = true;
    }
    fs.renameSync(staging, dir);
  } catch (err) {
    if (movedAside && !fs.existsSync(dir)) {
      try { fs.renameSync(aside, dir); movedAside = false; } catch { /* left at `aside`; reported below */ }
    }
    fs.rmSync(staging, { recursive: true, force: true });
    throw cannot(err, movedAside ? ` (the previous directory is kept at ${aside})` : '');
  }
  if (movedAside) fs.rmSync(aside, { recursive: true, force: true });
}
