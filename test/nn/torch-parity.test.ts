// frod-ts against PyTorch in the same run: optimizers, losses, layers, a small graph, a module tree (names,
// strict loading, surgery) and safetensors files both ways. The cases (test/torch/cases.ts, interop.ts) go to
// test/torch/parity.py in one safetensors file; one Python process computes them all with torch and writes
// its results back. Without a Python that imports torch every test is skipped with the reason (test/util/skip.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/tensor';
import type { Tensor } from '../../src/tensor/tensor';
import { Linear, loadSafetensors, saveSafetensors, safetensorsBytes, type LoadedSafetensors } from '../../src/nn';
import { parseSafetensors, readSafetensorsRaw, type ParsedSafetensors, type SafeDType } from '../../src/nn/io';
import {
  affineCases, crossEntropyCases, graphCases, layerNormCases, optimizerCases, unaryCases, type ParityCase,
} from '../torch/cases';
import {
  DROP_KEYS, EXTRA_KEYS, MODEL_SIZES, SURGERY, countForPython, filesForPython, moduleCase, modelTree,
} from '../torch/interop';
import { Generator } from '../../src/tensor/random';
import { NO_TORCH, findTorchPython, runParityScript } from '../torch/python';
import { testUnless } from '../util/skip';

interface ModuleInfo {
  named_modules: string[];
  named_parameters: [string, number[]][];
  state_dict_keys: string[];
  missing_keys: string[];
  unexpected_keys: string[];
  strict_error: string | null;
  after_surgery_parameters: [string, number[]][];
  after_surgery_modules: [string, string][];
}

interface PythonRun {
  results: LoadedSafetensors;
  info: { module0: ModuleInfo; from_ts: { checked: number; problems: string[]; metadata: Record<string, string> | null }; torch_version: string };
  fromPython: LoadedSafetensors;
  fromPythonRaw: ParsedSafetensors;
}

const module0 = moduleCase();
const CASES: ParityCase[] = [
  ...optimizerCases('adamw', 8, 1), ...optimizerCases('adam', 4, 2), ...optimizerCases('sgd', 6, 3),
  ...crossEntropyCases(16, 4), ...layerNormCases(8, 5), ...unaryCases('log_softmax', 6, 6), ...unaryCases('gelu', 8, 7),
  ...graphCases(4, 8), ...affineCases('linear', 4, 9), ...affineCases('conv1d', 4, 10), module0,
];

/** Writes the inputs, runs parity.py once, reads everything back and removes the folder. */
function runPython(python: string): PythonRun {
  const folder = mkdtempSync(join(tmpdir(), 'frod-torch-parity-'));
  try {
    const inputs: Record<string, Tensor> = {};
    for (const c of CASES) for (const [field, t] of Object.entries(c.inputs)) inputs[`${c.json.id}.${field}`] = t;
    saveSafetensors(join(folder, 'inputs.safetensors'), inputs, { cases: JSON.stringify(CASES.map((c) => c.json)) });
    saveSafetensors(join(folder, 'from_ts.safetensors'), filesForPython(), { writer: 'frod-ts' });
    runParityScript(python, folder);
    const results = loadSafetensors(join(folder, 'results.safetensors'));
    const fromPythonFile = join(folder, 'from_python.safetensors');
    return {
      results, info: JSON.parse(results.metadata?.info ?? '{}'),
      fromPython: loadSafetensors(fromPythonFile), fromPythonRaw: readSafetensorsRaw(fromPythonFile),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * |ours − torch| ≤ rtol·(|torch| + max(1, max|torch|)) elementwise (NaN only against NaN), shapes equal: the
 * outputs are O(1), so an absolute floor of rtol keeps rounding noise around an exact zero from failing.
 */
function assertMatches(ours: Tensor, theirs: Tensor, rtol: number, what: string): void {
  assert.equal([...ours.shape], [...theirs.shape], `${what}: shape`);
  const a = ours.data();
  const e = theirs.data();
  let scale = 1;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < e.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : Math.abs(a[i] - e[i]) <= rtol * (Math.abs(e[i]) + scale) || a[i] === e[i];
    if (!ok) assert.unreachable(`${what} element ${i}: frod-ts ${a[i]} vs torch ${e[i]}`);
  }
}

/** Compares every output of a case with torch's (the same output names on both sides). */
function compareCase(run: PythonRun, c: ParityCase): void {
  const prefix = `${c.json.id}.`;
  const theirs = Object.keys(run.results.tensors).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  const ours = c.compute();
  assert.equal(Object.keys(ours).sort(), theirs, `${c.json.id}: output names`);
  const rtol = c.dtype === 'float64' ? 1e-12 : 2e-5;
  for (const name of theirs) {
    assertMatches(ours[name].to('float64'), run.results.tensors[prefix + name], rtol, `${c.json.id} (${c.dtype}, ${JSON.stringify(c.json)}) ${name}`);
  }
}

const python = findTorchPython();
const noTorch = python === null ? NO_TORCH : null;
/** Every test here needs torch's results: without torch each is skipped with the reason. */
const parity = (name: string, fn: () => void) => testUnless(noTorch, name, fn);

let run: PythonRun | null = null;
let failure: Error | null = null;
/** parity.py's results, computed once, on first use (so nothing runs Python when torch is missing). */
const ready = (): PythonRun => {
  if (run === null && failure === null) {
    try {
      run = runPython(python as string);
    } catch (err) {
      failure = err as Error;
    }
  }
  if (failure) throw failure;
  return run as PythonRun;
};

parity(`torch parity: ${python ?? 'python'} ran every case and reports its torch version`, () => {
  const r = ready();
  assert.ok(r.info.torch_version, 'torch version reported');
  const ids = new Set(Object.keys(r.results.tensors).map((k) => k.split('.')[0]));
  assert.equal([...ids].sort(), CASES.map((c) => c.json.id).sort());
});

const kinds = [...new Set(CASES.map((c) => c.json.kind))];
for (const kind of kinds) {
  const ofKind = CASES.filter((c) => c.json.kind === kind);
  parity(`torch parity: ${kind} values and gradients match torch (${ofKind.length} cases, float64 and float32)`, () => {
    for (const c of ofKind) compareCase(ready(), c);
  });
}

parity('torch parity: module, parameter and state-dict names match torch.nn (ModuleDict/ModuleList/Sequential/Conv1D)', () => {
  const info = ready().info.module0;
  const model = module0.model;
  assert.equal(model.namedModules().map(([name]) => name), info.named_modules);
  assert.equal(model.namedParameters().map(([name, p]) => [name, [...p.shape]]), info.named_parameters);
  assert.equal(Object.keys(model.stateDict()), info.state_dict_keys);
});

/** A fresh copy of the module case's model. */
const copyOfModel = () => {
  const copy = modelTree(MODEL_SIZES, 'float64', new Generator(1));
  copy.loadStateDict(module0.model.stateDict());
  return copy;
};

parity('torch parity: loadStateDict reports the missing and unexpected keys torch reports, and strict mode its message', () => {
  const info = ready().info.module0;
  const model = copyOfModel();
  const broken: Record<string, Tensor> = { ...model.stateDict() };
  for (const key of DROP_KEYS) delete broken[key];
  for (const key of EXTRA_KEYS) broken[key] = module0.x.reshape(-1).narrow(0, 0, 1);
  const report = model.loadStateDict(broken, { strict: false });
  assert.equal(report, { missingKeys: info.missing_keys, unexpectedKeys: info.unexpected_keys });
  let message = '';
  try {
    model.loadStateDict(broken);
  } catch (err) {
    message = (err as Error).message;
  }
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  assert.ok(info.strict_error, 'torch raised in strict mode');
  assert.is(oneLine(message), oneLine(info.strict_error as string));
});

parity('torch parity: module surgery (setSubmodule inside a Sequential and at the root) gives the names torch gives', () => {
  const info = ready().info.module0;
  const model = copyOfModel();
  model.setSubmodule(`${SURGERY.parent}.${SURGERY.child}`, new Linear(MODEL_SIZES.hidden, MODEL_SIZES.width, { dtype: 'float64' }));
  model.setSubmodule('head', new Linear(MODEL_SIZES.width, MODEL_SIZES.out, { dtype: 'float64' }));
  assert.equal(model.namedParameters().map(([name, p]) => [name, [...p.shape]]), info.after_surgery_parameters);
  assert.equal(model.namedModules().map(([name, m]) => [name, m.constructor.name]), info.after_surgery_modules);
});

const expectedLoadDtype: Record<string, string> = {
  f64: 'float64', f32: 'float32', f16: 'float16', bf16: 'bfloat16', i64_small: 'int32', i64_large: 'float64',
  i32: 'int32', u8: 'int32', bool: 'int32', scalar_f32: 'float32', empty_f64: 'float64',
};

parity('torch parity: safetensors written by torch load with exactly torch\'s values (F64 F32 F16 BF16 I64 I32 U8 BOOL)', () => {
  const { fromPython } = ready();
  assert.match(fromPython.metadata?.writer ?? '', /^torch /);
  const names = Object.keys(fromPython.tensors).filter((k) => !k.endsWith('.f64'));
  assert.equal(names.sort(), Object.keys(expectedLoadDtype).sort());
  for (const name of names) {
    const loaded = fromPython.tensors[name];
    const reference = fromPython.tensors[`${name}.f64`];
    assert.is(loaded.dtype, expectedLoadDtype[name], `${name}: dtype`);
    assert.equal([...loaded.shape], [...reference.shape], `${name}: shape`);
    const a = loaded.data();
    const e = reference.data();
    for (let i = 0; i < e.length; i++) assert.ok(Object.is(a[i], e[i]), `${name} element ${i}: ${a[i]} vs torch ${e[i]}`);
  }
});

parity('torch parity: re-saving what torch wrote, in the same file dtypes, gives torch\'s bytes', () => {
  const { fromPython, fromPythonRaw } = ready();
  for (const [name, entry] of fromPythonRaw.entries) {
    const dtype = entry.dtype as SafeDType;
    const bytes = safetensorsBytes({ [name]: { tensor: fromPython.tensors[name], dtype } });
    const again = parseSafetensors(bytes).entries.get(name);
    assert.ok(again, name);
    assert.equal([...(again?.bytes ?? [])], [...entry.bytes], `${name} (${dtype}): bytes`);
  }
});

parity('torch parity: safetensors written by frod-ts load in Python with torch\'s conversions bit for bit', () => {
  const fromTs = ready().info.from_ts;
  assert.equal(fromTs.problems, []);
  assert.is(fromTs.checked, countForPython());
  assert.equal(fromTs.metadata, { writer: 'frod-ts' });
});

test.run();
