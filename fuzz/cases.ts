/**
 * One fuzz case: a target (a library reader or a `frod` command), inputs made by mutating a seed, and the
 * oracle. A case passes when it ends in success or in a one-line error of our own, leaves no file behind,
 * leaves its inputs unchanged, and (for commands) writes a complete output or none. Anything else — a raw
 * TypeError / RangeError, a V8 message such as "Invalid typed array length" wrapped into ours, a multi-line
 * or unescaped message, a leftover temporary file — is a finding. Time and memory are bounded by the worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FrodConfig } from '../src/frod/config';
import { main } from '../src/cli/main';
import { decodeSafetensors } from '../src/nn/io/safetensors';
import { SafetensorsError, parseSafetensors, serializeSafetensors } from '../src/nn/io/format';
import { parseAdapterConfigText, readAdapterDirectory } from '../src/peft/adapterFiles';
import { PeftModel } from '../src/peft/peftModel';
import { tunerTypeFor } from '../src/peft/registry';
import { selectTargets } from '../src/peft/targets';
import { InputFileError } from '../src/util/readInput';
import { type Seed, moduleFor } from './corpus';
import { Rng, mutateConfig, mutateEntries, mutateSafetensors } from './mutate';
import '../src/frod'; // registers FRoD's tuner type
import '../src/lora';

/** What the fuzzer can feed. */
export const TARGETS = ['lib-safetensors', 'lib-config', 'lib-adapter', 'cli-inspect', 'cli-init', 'cli-merge'] as const;
/** Deliberate bugs (see {@link planted}); `only: 'planted'` runs them in turn by case index. */
export const PLANTED = ['planted-typeerror', 'planted-leftover', 'planted-hang', 'planted-memory'] as const;
export type Target = (typeof TARGETS)[number] | (typeof PLANTED)[number] | 'planted';

/** The outcome of one case. */
export interface CaseOutcome {
  target: Target;
  seed: string;
  mutations: string[];
  /** 'ok' (success) or 'refused' (a clean error of ours). */
  result: 'ok' | 'refused';
  /** Why the case is a finding, or null. */
  finding: string | null;
  /** The error message or last stderr line, for the report. */
  message: string;
}

/** Text a raw JavaScript/V8 or Node error leaves in a message, even when wrapped into one of ours. */
const RAW_MARKERS = /Cannot read propert|is not a function|is not iterable|is not defined|is not a constructor|Invalid typed array length|Invalid array length|Invalid string length|Maximum call stack|allocation failed|out of memory|Offset is outside|Invalid DataView|Cannot convert|BigInt|\[object |ENOENT:|EISDIR:|EACCES:|ENOTDIR:|EEXIST:/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const NATIVE_ERRORS: readonly Function[] = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** Why a thrown value is not a clean error of ours, or null. */
export function errorFinding(err: unknown): string | null {
  if (!(err instanceof Error)) return `threw a non-Error ${typeof err}: ${String(err).slice(0, 200)}`;
  if (NATIVE_ERRORS.includes(err.constructor)) return `raw ${err.name}: ${err.message.slice(0, 300)}`;
  return messageFinding(err.message);
}

/** Why an error message is not a clean one-line message, or null. */
export function messageFinding(message: string): string | null {
  if (message.trim() === '') return 'empty message';
  if (message.includes('\n')) return `multi-line message: ${JSON.stringify(message.slice(0, 300))}`;
  if (RAW_MARKERS.test(message)) return `raw runtime message: ${message.slice(0, 300)}`;
  return null;
}

/** Files under `dir` (relative path → bytes). */
function listFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile()) out.set(path.relative(dir, full), fs.readFileSync(full));
    else if (!entry.isDirectory()) out.set(path.relative(dir, full), Buffer.from('<special>'));
  }
  return out;
}

/** Everything a case touches lives in its own directory. */
interface Inputs {
  dir: string;
  files: string[];
}

function writeInput(dir: string, name: string, content: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** Runs a mutation; a failure there is the fuzzer's own bug, reported as such (not blamed on the code under test). */
function mutating<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new FindingError(`the fuzzer failed to mutate its input: ${String((err as Error)?.stack ?? err).split('\n').slice(0, 2).join(' ')}`);
  }
}

/** The adapter of a seed, mutated in its config, its weights or both, written to dir/adapter. */
function writeAdapter(rng: Rng, seed: Seed, dir: string, mutations: string[], mutate = true): string {
  const adapter = path.join(dir, 'adapter');
  const which = mutate ? rng.int(3) : -1;
  let config: string | Uint8Array = JSON.stringify(seed.adapterConfig);
  let weights: Uint8Array = seed.adapterWeights;
  if (which === 0 || which === 2) {
    const changed = mutating(() => mutateConfig(rng, seed.adapterConfig));
    config = changed.text;
    mutations.push(...changed.what.map((w) => `config: ${w}`));
  }
  if (which === 1 || which === 2) {
    const changed = mutating(() => (rng.chance(0.5) ? mutateEntries(rng, seed.parsedAdapter.entries, seed.parsedAdapter.metadata) : mutateSafetensors(rng, seed.adapterWeights)));
    weights = changed.bytes;
    mutations.push(...changed.what.map((w) => `adapter weights: ${w}`));
  }
  writeInput(dir, 'adapter/adapter_config.json', config);
  writeInput(dir, 'adapter/adapter_model.safetensors', weights);
  return adapter;
}

/** The base of a seed, mutated with probability `p`. */
function writeBase(rng: Rng, seed: Seed, dir: string, mutations: string[], p: number): string {
  if (!rng.chance(p)) return writeInput(dir, 'base.safetensors', seed.base);
  const changed = mutating(() => (rng.chance(0.5) ? mutateEntries(rng, seed.parsedBase.entries, seed.parsedBase.metadata) : mutateSafetensors(rng, seed.base)));
  mutations.push(...changed.what.map((w) => `base: ${w}`));
  return writeInput(dir, 'base.safetensors', changed.bytes);
}

/** Library targets: a clean error or a result that passes its own round trip. */
function runLibrary(target: Target, rng: Rng, seed: Seed, inputs: Inputs, mutations: string[]): void {
  if (target === 'lib-safetensors') {
    const changed = mutating(() => (rng.chance(0.5) ? mutateSafetensors(rng, rng.chance(0.5) ? seed.base : seed.adapterWeights) : mutateEntries(rng, seed.parsedBase.entries, seed.parsedBase.metadata)));
    mutations.push(...changed.what);
    const parsed = parseSafetensors(changed.bytes, 'fuzz.safetensors');
    decodeSafetensors(parsed, 'fuzz.safetensors');
    parseSafetensors(serializeSafetensors(parsed.entries, parsed.metadata)); // what we read, we can write and read back
  } else if (target === 'lib-config') {
    const changed = mutating(() => mutateConfig(rng, seed.adapterConfig));
    mutations.push(...changed.what);
    const json = parseAdapterConfigText(changed.text, 'adapter_config.json');
    const config = tunerTypeFor(json.peft_type, 'adapter_config.json').configFromJSON(json);
    const again = tunerTypeFor(json.peft_type, 'again').configFromJSON(JSON.parse(config.toJSONString()));
    if (again.toJSONString() !== config.toJSONString()) throw new TypeError('config does not survive a write and a read');
    if (config instanceof FrodConfig && config.targetModules !== null) selectTargets([...seed.parsedBase.entries.keys()].map((k) => k.replace(/\.[^.]+$/, '')), config);
  } else {
    const adapter = writeAdapter(rng, seed, inputs.dir, mutations);
    inputs.files.push(adapter);
    readAdapterDirectory(adapter, 'fuzz');
    const peft = PeftModel.fromPretrained(moduleFor(seed), adapter);
    if (rng.chance(0.5)) peft.mergeAndUnload({ safeMerge: true });
  }
}

/** The lines of a command's stderr, and the one that reports its failure. */
function checkCommand(code: number, stdout: string, stderr: string, json: boolean): string | null {
  if (code !== 0 && code !== 1) return `exit status ${code}`;
  const lines = stderr.split('\n').filter((l) => l !== '');
  const errors = lines.filter((l) => !/^frod [a-z]+: warning: /.test(l));
  if (CONTROL.test(stderr)) return `control character on stderr: ${JSON.stringify(stderr.slice(0, 300))}`;
  if (!json && CONTROL.test(stdout.replace(/\n/g, ''))) return 'control character on stdout';
  if (code === 0) return errors.length === 0 ? null : `success with errors on stderr: ${errors[0]}`;
  if (stdout !== '') return 'output on stdout from a failed run';
  if (errors.length !== 1) return `${errors.length} error lines: ${JSON.stringify(stderr.slice(0, 300))}`;
  if (!/^frod (init|merge|inspect): /.test(errors[0])) return `error line without the command: ${errors[0]}`;
  return messageFinding(errors[0]);
}

async function runCommand(target: Target, rng: Rng, seed: Seed, inputs: Inputs, mutations: string[]): Promise<{ code: number; line: string }> {
  const { dir } = inputs;
  let args: string[];
  let output: string | null = null;
  let json = false;
  if (target === 'cli-inspect') {
    const kind = rng.int(3);
    const file = kind === 2 ? writeAdapter(rng, seed, dir, mutations) : writeBase(rng, seed, dir, mutations, 1);
    json = rng.chance(0.3);
    args = ['inspect', file, ...(json ? ['--json'] : [])];
    inputs.files.push(file);
  } else if (target === 'cli-init') {
    const base = writeBase(rng, seed, dir, mutations, 0.5);
    const changed = mutations.length === 1 || rng.chance(0.5) ? mutating(() => mutateConfig(rng, seed.adapterConfig)) : { text: JSON.stringify(seed.adapterConfig), what: [] };
    mutations.push(...changed.what.map((w) => `config: ${w}`));
    const config = writeInput(dir, 'config.json', changed.text);
    output = path.join(dir, 'out');
    if (rng.chance(0.3)) { writeInput(dir, 'out/adapter_config.json', '{"old":1}'); writeInput(dir, 'out/adapter_model.safetensors', 'old'); }
    args = ['init', '--base', base, '--config', config, '--out', output];
    inputs.files.push(base, config);
  } else {
    const base = writeBase(rng, seed, dir, mutations, 0.3);
    const adapter = writeAdapter(rng, seed, dir, mutations, mutations.length === 1 || rng.chance(0.7));
    output = path.join(dir, 'merged.safetensors');
    if (rng.chance(0.3)) writeInput(dir, 'merged.safetensors', 'old output');
    args = ['merge', '--base', base, '--adapter', adapter, '--out', output, ...(rng.chance(0.5) ? ['--safe'] : [])];
    inputs.files.push(base, adapter);
  }
  const outputBefore = output !== null && fs.existsSync(output) ? listFiles(path.dirname(output)) : null;
  const inputsBefore = listFiles(dir);
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, progressStream: null, env: {} });
  const problem = checkCommand(code, stdout, stderr, json);
  if (problem) throw new FindingError(problem);
  checkInputsUnchanged(inputsBefore, listFiles(dir), output === null ? null : path.relative(dir, output));
  if (output !== null) checkOutput(target, output, code, outputBefore);
  return { code, line: stderr.trim().split('\n').pop() ?? '' };
}

/** Every file that is not the output is byte for byte what it was before the command ran. */
function checkInputsUnchanged(before: Map<string, Buffer>, after: Map<string, Buffer>, output: string | null): void {
  for (const [name, bytes] of before) {
    if (output !== null && (name === output || name.startsWith(`${output}/`))) continue;
    if (!after.get(name)?.equals(bytes)) throw new FindingError(`input ${name} was modified or removed`);
  }
}

/** A complete output after success; the previous one (or none) after a failure. */
function checkOutput(target: Target, output: string, code: number, before: Map<string, Buffer> | null): void {
  if (code === 0) {
    if (target === 'cli-init') readAdapterDirectory(output, 'fuzz check');
    else parseSafetensors(new Uint8Array(fs.readFileSync(output)), output);
    return;
  }
  const now = fs.existsSync(output) ? listFiles(path.dirname(output)) : null;
  const outputName = path.basename(output);
  const pick = (files: Map<string, Buffer> | null) => [...(files ?? new Map()).entries()].filter(([name]) => name === outputName || name.startsWith(`${outputName}/`));
  const was = pick(before);
  const is = pick(now);
  if (JSON.stringify(was.map(([n, b]) => [n, b.toString('base64')])) !== JSON.stringify(is.map(([n, b]) => [n, b.toString('base64')]))) {
    throw new FindingError(`a failed ${target} changed its output ${outputName}`);
  }
}

/** A problem the oracle found (as opposed to a refusal by the code under test). */
export class FindingError extends Error {}

/** Runs case `index` of run `seed` in directory `dir` (created and emptied by the caller). */
export async function runCase(runSeed: string, index: number, seeds: readonly Seed[], dir: string, only?: Target): Promise<CaseOutcome> {
  const caseSeed = `${runSeed}/${index}`;
  const rng = new Rng(caseSeed);
  const target: Target = only === 'planted' ? PLANTED[index % PLANTED.length] : only ?? rng.pick(TARGETS);
  const seed = rng.pick(seeds);
  const mutations: string[] = [`seed ${seed.name}`];
  const inputs: Inputs = { dir, files: [] };
  const outcome: CaseOutcome = { target, seed: caseSeed, mutations, result: 'ok', finding: null, message: '' };
  try {
    if (target.startsWith('planted-')) await planted(target, dir);
    else if (target.startsWith('lib-')) runLibrary(target, rng, seed, inputs, mutations);
    else {
      const { code, line } = await runCommand(target, rng, seed, inputs, mutations);
      outcome.result = code === 0 ? 'ok' : 'refused';
      outcome.message = line;
    }
  } catch (err) {
    outcome.result = 'refused';
    outcome.message = String((err as Error)?.message ?? err).slice(0, 500);
    outcome.finding = err instanceof FindingError ? err.message : errorFinding(err);
    if (!(err instanceof Error) || (err.constructor !== Error && !(err instanceof SafetensorsError) && !(err instanceof InputFileError) && !(err instanceof FindingError))) {
      outcome.finding ??= `unexpected error type ${(err as Error)?.constructor?.name}: ${outcome.message}`;
    }
  }
  outcome.message = outcome.message.split(dir).join('<case>'); // the same case reads the same wherever it ran
  const left = [...listFiles(dir).keys()].filter((name) => name.includes('.frod-'));
  if (left.length > 0) outcome.finding ??= `left behind: ${left.join(', ')}`;
  return outcome;
}

/** Deliberate bugs, so the tests can check that the oracle and the worker catch each kind of finding. */
async function planted(target: Target, dir: string): Promise<void> {
  if (target === 'planted-typeerror') (null as unknown as { x: number }).x.toFixed();
  if (target === 'planted-leftover') fs.writeFileSync(path.join(dir, '.out.frod-tmp-1-x'), 'partial');
  if (target === 'planted-hang') for (;;) { /* never ends */ }
  if (target === 'planted-memory') {
    const hog: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) hog.push(new Uint8Array(64 * 1024 * 1024).fill(1)); // 1 GB, past any bound the tests set
    await new Promise((resolve) => setTimeout(resolve, 500));
    hog.length = 0;
  }
}
