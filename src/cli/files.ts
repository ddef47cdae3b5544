/**
 * The CLI's file handling (Node only): reading inputs with one-line errors that name the file (and with bounds:
 * no device, pipe or oversized header is read without limit), and writing outputs so that a failure never
 * leaves anything behind — a file goes through a temporary sibling and a rename (deleted on Ctrl-C, and by a
 * later run after a kill); an adapter directory through the library's transactional writer
 * (src/peft/adapterCommit.ts), so DIR holds the complete old or the complete new adapter at every moment.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { frodConfigFromJson } from '../frod/checkpoint';
import type { FrodConfig } from '../frod/config';
import { SafetensorsError, parseSafetensors, type ParsedSafetensors } from '../nn/io/format';
import { readSafetensorsFileBytes } from '../nn/io/readFile';
import { isAdapterWriterEntry } from '../peft/adapterCommit';
import {
  type AdapterFileContents, CONFIG_NAME, SAFETENSORS_WEIGHTS_NAME, parseAdapterConfigText, readAdapterConfigBytes,
  readAdapterDirectory, writeAdapterFiles,
} from '../peft/adapterFiles';
import { recoverDirectorySwap, syncDirectory, temporarySibling } from '../util/atomicFile';
import { crashPoint } from '../util/crashPoint';
import { escapeControl } from '../util/escape';
import { writeFileAtomic } from '../util/node';
import { CliError, firstLine } from './io';
import { trackTemporary } from './interrupt';

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
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    default: return firstLine(err);
  }
}

/**
 * The whole content of a safetensors input file, or a CliError naming it: only a regular file whose 8-byte
 * header length fits the limit and the file is read (a device such as /dev/zero, a pipe or an absurd length
 * is refused after at most 8 bytes).
 */
export function readInputFile(file: string): Uint8Array {
  try {
    return readSafetensorsFileBytes(file, 'frod');
  } catch (err) {
    if (err instanceof SafetensorsError) throw safetensorsCliError(err, file);
    throw new CliError(file, describeFsError(err, 'file'));
  }
}

/** Parses safetensors bytes read from `file`; a malformed file is a CliError naming it and the defect. */
export function parseSafetensorsFile(file: string, bytes: Uint8Array): ParsedSafetensors {
  try {
    return parseSafetensors(bytes, file);
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
    throw safetensorsCliError(err, file);
  }
}

/** Reads and validates a safetensors file (see {@link readInputFile} for what is refused before reading). */
export function readSafetensorsFile(file: string): ParsedSafetensors {
  return parseSafetensorsFile(file, readInputFile(file));
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
  const prefix = escapeControl(`safetensors: ${file}: `); // the library's messages are escaped
  const problem = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : firstLine(err);
  const aboutReading = /^(cannot read|no such file|is |permission denied|a part of the path|too many levels|ended after)/.test(problem);
  return new CliError(file, aboutReading ? problem : `not a valid safetensors file: ${problem}`);
}

/** Reads and validates an adapter_config.json file (the same reader as the library; errors name the file and field). */
export function readConfigFile(file: string): FrodConfig {
  let bytes: Uint8Array;
  try {
    bytes = readAdapterConfigBytes(file, 'frod');
  } catch (err) {
    asCliError(err, file);
  }
  let config: FrodConfig;
  try {
    config = frodConfigFromJson(parseAdapterConfigText(bytes, file), file);
  } catch (err) {
    asCliError(err, file);
  }
  return config; // target_modules null: the model folder's config.json decides (src/cli/checkpoint/modelTargets.ts)
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

/**
 * For an output directory: missing parents are created when it is written (as savePretrained does), so the
 * nearest existing ancestor only has to be a directory.
 */
function checkAncestor(target: string): void {
  let ancestor = path.dirname(path.resolve(target));
  while (!fs.existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
  if (!isDirectory(ancestor)) throw new CliError(target, `cannot be created: ${ancestor} is not a directory`);
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
  checkNotAnInput(file, inputs);
}

/** Refuses an output path that is (however spelled or linked) one of the inputs. */
export function checkNotAnInput(file: string, inputs: readonly string[]): void {
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
  checkAncestor(dir);
  if (!fs.existsSync(dir)) return;
  if (!isDirectory(dir)) throw new CliError(dir, 'exists and is not a directory');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new CliError(dir, describeFsError(err, 'directory'));
  }
  const others = names.filter((name) => !replaceable.has(name) && !isAdapterWriterEntry(name)).sort();
  if (others.length > 0) {
    const listed = others.slice(0, 3).join(', ') + (others.length > 3 ? `, … (${others.length} entries)` : '');
    throw new CliError(dir, `already exists and holds other files (${listed}); choose a new or empty directory`);
  }
}

/**
 * Creates (or replaces, see {@link checkOutputDir}) the adapter directory `dir` with the library's writer: at
 * every moment `dir` holds the complete old or the complete new adapter, and what a killed run left there is
 * finished or removed first. A failure is a CliError naming `dir`.
 */
export function writeOutputDir(dir: string, files: AdapterFileContents): void {
  try {
    writeAdapterFiles(dir, files, 'frod');
  } catch (err) {
    const line = firstLine(err);
    throw new CliError(dir, line.startsWith(`${dir}: `) ? line.slice(dir.length + 2) : line);
  }
}

/**
 * Creates (or replaces) directory `dir` with what `fill` writes into the empty staging directory it is
 * given, all or nothing; `what` names the directory in messages. The staging directory `.DIR.frod-tmp-…`
 * is deleted on SIGINT/SIGTERM/SIGHUP (src/cli/interrupt.ts) and when `fill` fails (its error passes through
 * unchanged). Once it is complete, the old `dir` is moved aside (`.DIR.frod-old-…`), the staging directory
 * renamed to `dir` and the old one deleted; what a killed run left at any of these steps is finished or
 * removed by the next call for the same `dir` (src/util/atomicFile.ts's recoverDirectorySwap).
 */
export async function fillOutputDir(dir: string, what: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const cannot = (err: unknown, kept = '') => new CliError(dir, `cannot write the ${what} (${describeFsError(err, 'directory')})${kept}`);
  try {
    recoverDirectorySwap(dir, 'frod');
  } catch (err) {
    throw cannot(err);
  }
  const staging = temporarySibling(dir, 'tmp', 'frod');
  const aside = temporarySibling(dir, 'old', 'frod');
  const untrack = trackTemporary(staging); // before it exists: a signal handled meanwhile still deletes it
  try {
    try {
      fs.mkdirSync(staging);
    } catch (err) {
      throw cannot(err);
    }
    try {
      await fill(staging);
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      if (err instanceof CliError || !(err as NodeJS.ErrnoException).code) throw err;
      throw cannot(err);
    }
    syncDirectory(fs, staging);
    swapInto(dir, staging, aside, cannot);
  } finally {
    untrack();
  }
}

/** Moves `dir` (if any) aside, renames `staging` to `dir` and deletes the old one; undoes what it can on failure. */
function swapInto(dir: string, staging: string, aside: string, cannot: (err: unknown, kept?: string) => CliError): void {
  let movedAside = false;
  try {
    if (fs.existsSync(dir)) {
      fs.renameSync(dir, aside);
      movedAside = true;
      crashPoint('folder-moved-aside');
    }
    fs.renameSync(staging, dir);
  } catch (err) {
    if (movedAside && !fs.existsSync(dir)) {
      try { fs.renameSync(aside, dir); movedAside = false; } catch { /* left at `aside`; reported below */ }
    }
    fs.rmSync(staging, { recursive: true, force: true });
    throw cannot(err, movedAside ? ` (the previous directory is kept at ${aside})` : '');
  }
  syncDirectory(fs, path.dirname(path.resolve(dir)));
  if (movedAside) fs.rmSync(aside, { recursive: true, force: true }); // the replaced folder: a killed run's is removed by the next
}
