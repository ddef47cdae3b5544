/**
 * conformance/peft_runner.py graded by the kit — which also checks the kit's reproduction of torch.randperm
 * (src/conformance/torchRandperm.ts): PEFT's patterns, drawn by torch, must equal the suite's draw for draw.
 * PEFT cannot be installed here, so the runner runs PEFT's own FRoD code extracted at run time from PEFT's
 * sources (PEFT_SRC: a checkout, PEFT_GIT: a git repository; by default the mirror beside this repository,
 * ../.mirror/huggingface+peft/repo). Skipped, with the reason, without a Python with torch or without
 * PEFT's sources.
 *
 * What it pins down (docs/conformance.md, "PEFT's grade"): PEFT passes every init check (V by the sign /
 * subspace / gram rules, its own pattern draw for draw, λ, U·diag(λ), W′ = W, the forward); after loading
 * a trained adapter PEFT keeps the U of the V it computed itself, so its trained outputs are wrong wherever
 * the file's V differs from its own; recomputing U from the loaded V makes every trained check pass; and an
 * adapter added with another sparse rate on a shared category breaks (S values sized by the first adapter's
 * pattern).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type FileReader, type GradeReport, gradeSuite } from '../../src/conformance/grade';
import { exportSuite } from '../../src/conformance/suite';
import { NO_TORCH, findTorchPython } from '../torch/python';
import { testUnless } from '../util/skip';
import { ROOT } from '../cli/helpers';

const python = findTorchPython();

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-peft-'));
let made = 0;
const tempDir = () => fs.mkdtempSync(path.join(root, `${made++}-`));

const mirror = path.join(ROOT, '..', '.mirror', 'huggingface+peft', 'repo');
const peftEnv: Record<string, string> = process.env.PEFT_SRC ? { PEFT_SRC: process.env.PEFT_SRC }
  : { PEFT_GIT: process.env.PEFT_GIT ?? mirror };
const hasSources = process.env.PEFT_SRC !== undefined || fs.existsSync(peftEnv.PEFT_GIT ?? '');
const why = !python ? NO_TORCH : !hasSources ? 'no PEFT sources to extract FRoD from (set PEFT_SRC to a checkout or PEFT_GIT to a git repository)' : null;

const CASES = ['qr-eig-path', 'single-layer', 'conv1d', 'bias-all', 'multiple-adapters'];

const reader = (root: string): FileReader => (rel) => {
  const file = path.join(root, rel);
  return fs.existsSync(file) ? new Uint8Array(fs.readFileSync(file)) : null;
};

/** Exports the cases, runs the PEFT runner on them (with `extra` arguments) and grades its outputs. */
function runPeft(cases: readonly string[], extra: string[]): { report: GradeReport; errors: Record<string, string[]> } {
  const suite = exportSuite({ seed: 0, only: cases });
  const dir = tempDir();
  for (const [rel, bytes] of suite.files) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
  }
  const out = path.join(tempDir(), 'peft');
  const run = spawnSync(python as string, [path.join(ROOT, 'conformance', 'peft_runner.py'), '--suite', dir, '--out', out, ...extra], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...peftEnv },
  });
  assert.is(run.status, 0, run.stderr);
  const errors = Object.fromEntries(cases.map((id) => [id, (JSON.parse(fs.readFileSync(path.join(out, 'cases', id, 'outputs.json'), 'utf8')) as { errors: string[] }).errors]));
  return { report: gradeSuite(reader(dir), reader(out)), errors };
}

const rowsOf = (report: GradeReport, stage: string, status: string) => report.rows.filter((r) => r.check.startsWith(stage) && r.status === status);

test.after(() => fs.rmSync(root, { recursive: true, force: true }));

testUnless(why, 'PEFT (extracted): every init check passes, its pattern draw for draw; loaded adapters keep a stale U; mixed sparse rates break', () => {
  const { report, errors } = runPeft(CASES, []);
  assert.is(report.implementation.patternRng, 'peft');
  const initNotPassing = rowsOf(report, 'init/', 'fail').concat(rowsOf(report, 'init/', 'missing'));
  assert.equal(initNotPassing.filter((r) => !r.check.startsWith('init/second/')).map((r) => r.check), []);
  const patterns = report.rows.filter((r) => r.rule === 'pattern');
  assert.ok(patterns.length >= 8 && patterns.every((r) => r.status === 'pass' && /the peft generator's/.test(r.detail)), 'torch.randperm reproduced draw for draw');
  const stale = rowsOf(report, 'trained/default/', 'fail').filter((r) => r.case === 'qr-eig-path').map((r) => r.check.split('/')[2]);
  for (const kind of ['U_lambda', 'merged', 'forward', 'grad_lambda', 'grad_s']) assert.ok(stale.includes(kind), `${kind} uses the stale U`);
  assert.ok(errors['multiple-adapters'].some((e) => /init second: forward: .*indices and values must have same nnz/.test(e)), errors['multiple-adapters'].join('\n'));
});

testUnless(why, 'PEFT (extracted) with U recomputed from the loaded V (--recompute-u-after-load): every check passes', () => {
  const { report } = runPeft(['qr-eig-path'], ['--recompute-u-after-load']);
  assert.equal(report.rows.filter((r) => r.status !== 'pass').map((r) => `${r.check}: ${r.detail}`), []);
});

test.run();
