/**
 * Adapter files made by PEFT itself (test/peft/python/peft_files.py runs PEFT's own FRoD code under PyTorch; see
 * test/fixtures/peft/README.md): frod-ts loads them (PeftModel.fromPretrained and `frod merge`), predicts and
 * merges to PEFT's numbers, trains on them as PEFT does, and writes for the same model and config exactly PEFT's
 * tensor names, dtypes and shapes and PEFT's adapter_config.json fields (library and `frod init`).
 *
 * The committed fixtures run everywhere. Where a Python with torch and PEFT's source ($PEFT_SRC, else the PEFT
 * mirror beside the repository) are present, the script makes the files afresh and every test runs on those too;
 * elsewhere those runs are skipped, with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { getPeftModel } from '../../src/frod/model';
import { nllLoss } from '../../src/nn/functional';
import { loadSafetensors, readSafetensorsRaw } from '../../src/nn/io';
import type { Module } from '../../src/nn/module';
import { SGD } from '../../src/nn/optim';
import { PeftModel } from '../../src/peft/peftModel';
import { catchWarnings } from '../../src/peft/warnings';
import { Tensor, tensor } from '../../src/tensor';
import { ROOT, frod } from '../cli/helpers';
import { moduleFromStateDict } from '../frod/helpers';
import { NO_TORCH, candidates } from '../torch/python';
import { testUnless } from '../util/skip';
import { FrodMLP, assertAllclose, forward, run, tinyGpt2 } from './models';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'peft');
const SCRIPT = join(ROOT, 'test', 'peft', 'python', 'peft_files.py');
const CASES = ['mlp', 'gpt2', 'bert'] as const;
type CaseName = (typeof CASES)[number];

/** The model each case's base.safetensors belongs to, loaded with it. */
function baseModel(name: CaseName, dir: string): Module {
  const base = loadSafetensors(join(dir, 'base.safetensors')).tensors;
  if (name === 'bert') return moduleFromStateDict(base, 'float32');
  const model = name === 'mlp' ? new FrodMLP() : tinyGpt2();
  const { missingKeys, unexpectedKeys } = name === 'mlp' ? model.loadStateDict(base) : (model as ReturnType<typeof tinyGpt2>).loadHf(base);
  assert.equal([missingKeys, unexpectedKeys], [[], []], `${name}: base.safetensors fits the model`);
  return model;
}

const expectedOf = (dir: string) => loadSafetensors(join(dir, 'expected.safetensors')).tensors;
const peftConfigJson = (adapter: string) => JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
const layout = (file: string) => new Map([...readSafetensorsRaw(file).entries].map(([key, e]) => [key, `${e.dtype} (${e.shape.join(',')})`]));

/** Every `merged.<name>` of PEFT's expected.safetensors, keyed by <name>. */
function peftMerged(dir: string): Map<string, Tensor> {
  return new Map(Object.entries(expectedOf(dir)).filter(([k]) => k.startsWith('merged.')).map(([k, v]) => [k.slice('merged.'.length), v]));
}

/** Asserts that `tensors` holds PEFT's merged weights (names and values). */
function assertMergedLikePeft(tensors: Readonly<Record<string, Tensor>>, dir: string, what: string): void {
  const merged = peftMerged(dir);
  assert.equal(Object.keys(tensors).filter((k) => merged.has(k)).sort(), [...merged.keys()].sort(), `${what}: every tensor PEFT's merge_and_unload returns`);
  for (const [key, value] of merged) assertAllclose(tensors[key], value, `${what}: ${key}`, 1e-6, 1e-5);
}

/**
 * The files made afresh by PEFT's code, or why they cannot be. The script is tried with each Python that
 * test/torch/python.ts would try (it exits 4 without torch, 3 without PEFT's source), so torch is imported once.
 */
function regenerate(): { dir: string | null; skip: string | null; error: string | null } {
  const beside = resolve(ROOT, '..', '.mirror', 'huggingface+peft', 'repo');
  const source = process.env.PEFT_SRC || (existsSync(beside) ? beside : null);
  if (!source) return { dir: null, skip: 'no PEFT source (set PEFT_SRC to a PEFT checkout or git repository)', error: null };
  for (const python of candidates()) {
    const dir = mkdtempSync(join(tmpdir(), 'frod-peft-files-'));
    const made = spawnSync(python, [SCRIPT, dir], { env: { ...process.env, PEFT_SRC: source }, encoding: 'utf8', timeout: 300_000 });
    if (made.status === 0) {
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      return { dir, skip: null, error: null };
    }
    rmSync(dir, { recursive: true, force: true });
    if (made.status === 3) return { dir: null, skip: made.stderr.trim(), error: null };
    const noPython = made.error !== undefined && (made.error as NodeJS.ErrnoException).code === 'ENOENT';
    if (made.status !== 4 && !noPython) {
      const why = (made.stderr || String(made.error)).trim().split('\n').slice(-3).join(' | ');
      return { dir: null, skip: null, error: `peft_files.py failed with ${python} (status ${made.status}): ${why}` };
    }
  }
  return { dir: null, skip: NO_TORCH, error: null };
}

/** Registers every check for the files in `root` (`reason` non-null: skipped with it). */
function register(label: string, root: string | null, reason: string | null): void {
  const check = (name: string, fn: (dir: (c: CaseName) => string) => void | Promise<void>) =>
    testUnless(reason, `PEFT-made files (${label}): ${name}`, () => fn((c) => join(root as string, c)));

  check('mlp — PeftModel.fromPretrained predicts PEFT\'s outputs (trained λ, S, frod_only biases, lin3 copy)', (dir) => {
    const expected = expectedOf(dir('mlp'));
    const peft = PeftModel.fromPretrained(baseModel('mlp', dir('mlp')), join(dir('mlp'), 'adapter'));
    assertAllclose(run(peft, expected.x), expected.y_adapter, 'outputs', 1e-6, 1e-5);
  });

  check('mlp — one SGD step on the loaded adapter (isTrainable) moves λ, S, the biases and the lin3 copy as PEFT\'s step', (dir) => {
    const expected = expectedOf(dir('mlp'));
    const peft = PeftModel.fromPretrained(baseModel('mlp', dir('mlp')), join(dir('mlp'), 'adapter'), { isTrainable: true });
    peft.train();
    const optimizer = new SGD(peft.parameters(), { lr: 0.05 });
    const labels = tensor(Array.from({ length: expected.x.shape[0] }, (_, i) => i % 2), { dtype: 'int32' });
    nllLoss(forward(peft, expected.x), labels).backward();
    optimizer.step();
    const after = peft.baseModel.checkpointTensors('default');
    const stepped = Object.keys(expected).filter((k) => k.startsWith('step.'));
    assert.ok(stepped.length >= 8, 'λ, S and bias of lin1 and lin2, the lin3 weight and bias');
    for (const key of stepped) assertAllclose(after[key.slice('step.'.length)] as Tensor, expected[key], key, 1e-6, 1e-5);
  });

  for (const name of CASES) {
    check(`${name} — PeftModel.fromPretrained + mergeAndUnload gives PEFT's merged weights`, (dir) => {
      const peft = catchWarnings(() => PeftModel.fromPretrained(baseModel(name, dir(name)), join(dir(name), 'adapter'))).result;
      assertMergedLikePeft(peft.mergeAndUnload().stateDict(), dir(name), 'mergeAndUnload');
    });

    check(`${name} — frod merge gives PEFT's merged weights`, async (dir) => {
      const out = mkdtempSync(join(tmpdir(), 'frod-peft-merge-'));
      try {
        const merged = join(out, 'merged.safetensors');
        const result = await frod(['merge', '--base', join(dir(name), 'base.safetensors'), '--adapter', join(dir(name), 'adapter'), '--out', merged]);
        assert.is(result.code, 0, result.stderr);
        assertMergedLikePeft(loadSafetensors(merged).tensors, dir(name), 'frod merge');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    check(`${name} — getPeftModel + savePretrained writes PEFT's tensor names, dtypes and shapes, and its config fields`, (dir) => {
      const adapter = join(dir(name), 'adapter');
      const peftJson = peftConfigJson(adapter);
      const config = FrodConfig.fromJSON(peftJson).with({ inferenceMode: false });
      const out = mkdtempSync(join(tmpdir(), 'frod-peft-save-'));
      try {
        catchWarnings(() => getPeftModel(baseModel(name, dir(name)), config).savePretrained(out));
        assert.equal(layout(join(out, 'adapter_model.safetensors')), layout(join(adapter, 'adapter_model.safetensors')));
        const ours = peftConfigJson(out);
        assert.equal(Object.keys(ours).sort(), Object.keys(peftJson).sort(), 'the same adapter_config.json keys');
        // PEFT writes its own version, the Python class for auto_mapping and target_modules from a set.
        for (const key of Object.keys(peftJson).filter((k) => !['peft_version', 'auto_mapping', 'target_modules'].includes(k))) {
          assert.equal(ours[key], peftJson[key], `adapter_config.json "${key}"`);
        }
        assert.equal([...(ours.target_modules as string[])].sort(), [...(peftJson.target_modules as string[])].sort());
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    check(`${name} — frod init writes PEFT's tensor names, dtypes and shapes`, async (dir) => {
      const out = mkdtempSync(join(tmpdir(), 'frod-peft-init-'));
      try {
        const adapter = join(dir(name), 'adapter');
        const made = join(out, 'adapter');
        const result = await frod(['init', '--base', join(dir(name), 'base.safetensors'), '--config', join(adapter, 'adapter_config.json'), '--out', made]);
        assert.is(result.code, 0, result.stderr);
        assert.equal(layout(join(made, 'adapter_model.safetensors')), layout(join(adapter, 'adapter_model.safetensors')));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }

  check('mlp — an adapter PEFT saved without projections loads with the one-line portability warning (library and frod merge)', async (dir) => {
    const adapter = join(dir('mlp'), 'adapter_noproj');
    const { result: peft, warnings } = catchWarnings(() => PeftModel.fromPretrained(baseModel('mlp', dir('mlp')), adapter));
    assert.is(warnings.length, 1);
    assert.match(warnings[0], /without saved projections \(save_projection: false\).*save_projection: true \(the default\) is the portable choice/);
    assert.ok(run(peft, expectedOf(dir('mlp')).x).data().every(Number.isFinite));
    const out = mkdtempSync(join(tmpdir(), 'frod-peft-noproj-'));
    try {
      const result = await frod(['merge', '--base', join(dir('mlp'), 'base.safetensors'), '--adapter', adapter, '--out', join(out, 'm.safetensors')]);
      assert.is(result.code, 0, result.stderr);
      assert.match(result.stderr, /warning: .*save_projection/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

register('committed test/fixtures/peft', FIXTURES, null);
const fresh = regenerate();
if (fresh.error !== null) {
  test('PEFT-made files (made now by peft_files.py): the generator runs', () => assert.unreachable(fresh.error as string));
} else {
  register('made now by peft_files.py', fresh.dir, fresh.skip);
}

test.run();
