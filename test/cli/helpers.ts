/** Shared helpers for the CLI tests (not a test file itself): in-process and spawned runs, temp dirs, files. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main';
import { parseSafetensors, type ParsedSafetensors } from '../../src/nn/io/format';
import { decodeEntry } from '../../src/nn/io/convert';
import { GOLDEN_DIR, goldenCaseNames } from '../util/golden';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The golden cases: test/fixtures/golden, or the directory named by FROD_GOLDEN_DIR (e.g. cases freshly
 * made with `make_golden.py OUT --seed N`, which adds the `subset` and `regex` cases).
 */
export const GOLDEN = GOLDEN_DIR;
export const GOLDEN_CASES: readonly string[] = goldenCaseNames(GOLDEN);

/** What one run of `frod` printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `frod <args>` in-process with captured output. */
export async function frod(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
    progressStream: null,
    env,
  });
  return { code, stdout, stderr };
}

/** Runs `node bin/frod.js <args>` as a real process. */
export function spawnFrod(args: readonly string[], env: Record<string, string> = {}): RunResult {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'frod.js'), ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, FROD_PROGRESS: '0', ...env }, timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const made: string[] = [];

/** A fresh temporary directory, removed by {@link cleanTemp}. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-cli-'));
  made.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir}. */
export function cleanTemp(): void {
  while (made.length > 0) fs.rmSync(made.pop() as string, { recursive: true, force: true });
}

/**
 * Copies golden case `name` into a fresh writable temp dir: base.safetensors, expected.safetensors,
 * case.json and adapter/ (the fixtures are read-only, so files are copied one by one, not with cpSync).
 */
export function copyGolden(name: string): string {
  const dir = tempDir();
  const source = path.join(GOLDEN, name);
  for (const file of ['base.safetensors', 'expected.safetensors', 'case.json']) {
    fs.writeFileSync(path.join(dir, file), fs.readFileSync(path.join(source, file)));
  }
  fs.mkdirSync(path.join(dir, 'adapter'));
  for (const file of fs.readdirSync(path.join(source, 'adapter'))) {
    fs.writeFileSync(path.join(dir, 'adapter', file), fs.readFileSync(path.join(source, 'adapter', file)));
  }
  return dir;
}

/** Every file under `dir` with its size and content hash-free bytes (a snapshot to compare before/after). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isDirectory()) {
        out.set(`${rel}/`, 'dir');
        walk(full);
      } else {
        out.set(rel, Buffer.from(fs.readFileSync(full)).toString('base64'));
      }
    }
  };
  walk(dir);
  return out;
}

/** Asserts that `dir` holds exactly what `before` recorded (nothing written, nothing left behind). */
export function assertUnchanged(dir: string, before: Map<string, string>): void {
  const after = snapshot(dir);
  assert.equal([...after.keys()].sort(), [...before.keys()].sort(), 'files under the directory changed');
  for (const [name, content] of before) assert.ok(after.get(name) === content, `${name} changed`);
}

/** Asserts a failed run: the exit status, exactly one line on stderr matching every pattern, nothing on stdout. */
export function assertOneLineFailure(result: RunResult, code: number, ...patterns: RegExp[]): void {
  assert.is(result.code, code, `exit status (stderr: ${result.stderr})`);
  assert.is(result.stdout, '', 'nothing on stdout');
  const lines = result.stderr.split('\n');
  assert.is(lines.length, 2, `exactly one stderr line, got: ${JSON.stringify(result.stderr)}`);
  assert.is(lines[1], '', 'stderr ends with a newline');
  assert.not.match(lines[0], /\bat .*:\d+:\d+/, 'no stack trace');
  for (const pattern of patterns) assert.match(lines[0], pattern);
}

/** Parses a safetensors file. */
export function readSafetensors(file: string): ParsedSafetensors {
  return parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
}

/** The values of one tensor of a parsed file as float64, and its shape. */
export function values(parsed: ParsedSafetensors, name: string): { data: Float64Array; shape: number[] } {
  const entry = parsed.entries.get(name);
  assert.ok(entry, `tensor ${name} is present`);
  return { data: Float64Array.from(decodeEntry(entry!, name).data), shape: entry!.shape };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Largest |a - b| over two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'same length');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Largest |x|. */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}
