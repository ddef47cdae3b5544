/**
 * The reference kit end to end: frod-ts grades itself (suite exported through the library, outputs written
 * by `frod conformance run` — the Module API: getPeftModel, PeftModel.fromPretrained, autograd — graded by
 * `frod conformance grade`: every check passes), the export is deterministic, and deliberately broken
 * outputs fail the check they should (and only what they should).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type FileReader, type GradeReport, gradeSuite } from '../../src/conformance/grade';
import type { Claims } from '../../src/conformance/grade';
import type { CheckEntry, Manifest } from '../../src/conformance/manifest';
import { exportSuite } from '../../src/conformance/suite';
import { loadSafetensors, safetensorsBytes } from '../../src/nn/io';
import { type Tensor, tensor } from '../../src/tensor';
import { frod } from '../cli/helpers';

// Our own temporary root (the CLI tests' helpers clean theirs after each of their tests).
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frod-kit-'));
let made = 0;
const tempDir = () => fs.mkdtempSync(path.join(root, `${made++}-`));

const suite = exportSuite({ seed: 0, random: 2 });
const suiteDir = path.join(root, 'suite');
for (const [rel, bytes] of suite.files) {
  fs.mkdirSync(path.dirname(path.join(suiteDir, rel)), { recursive: true });
  fs.writeFileSync(path.join(suiteDir, rel), bytes);
}
const actualDir = path.join(root, 'frod-ts');
let ran: Awaited<ReturnType<typeof frod>> | null = null;

const fileReader = (root: string): FileReader => (rel) => {
  const file = path.join(root, rel);
  return fs.existsSync(file) && fs.statSync(file).isFile() ? new Uint8Array(fs.readFileSync(file)) : null;
};

/** frod-ts's outputs, written once by the CLI. */
async function outputs(): Promise<FileReader> {
  ran ??= await frod(['conformance', 'run', '--suite', suiteDir, '--out', actualDir]);
  assert.is(ran.code, 0, ran.stderr);
  return fileReader(actualDir);
}

/** Grades one case, with `change` applied to its output tensors. */
async function gradeChanged(caseId: string, change: (tensors: Record<string, Tensor>) => void, claims: Partial<Claims> = {}): Promise<GradeReport> {
  const read = await outputs();
  const manifest: Manifest = { ...suite.manifest, cases: suite.manifest.cases.filter((c) => c.id === caseId) };
  const suiteRead: FileReader = (rel) => (rel === 'manifest.json' ? new TextEncoder().encode(JSON.stringify(manifest)) : fileReader(suiteDir)(rel));
  const outputsRead: FileReader = (rel) => {
    if (rel !== `cases/${caseId}/outputs.safetensors`) return read(rel);
    const { tensors } = loadSafetensors(read(rel)!);
    change(tensors);
    return safetensorsBytes(tensors);
  };
  return gradeSuite(suiteRead, outputsRead, claims);
}

const failing = (report: GradeReport) => report.rows.filter((r) => r.status !== 'pass').map((r) => r.check);
const checkOf = (caseId: string, output: string): CheckEntry => suite.manifest.cases.find((c) => c.id === caseId)!.checks.find((c) => c.output === output)!;

/** A float64 copy of `t` with `fn` applied to its values. */
function mapped(t: Tensor, fn: (values: Float64Array) => void): Tensor {
  const values = Float64Array.from(t.data());
  fn(values);
  return tensor(values, { dtype: 'float64', shape: [...t.shape] });
}

test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('frod-ts passes its own suite: library export, `frod conformance run`, `frod conformance grade` (exit 0)', async () => {
  await outputs();
  const graded = await frod(['conformance', 'grade', '--suite', suiteDir, '--actual', actualDir, '--json']);
  assert.is(graded.code, 0, graded.stderr);
  const report = JSON.parse(graded.stdout) as GradeReport;
  const checks = suite.manifest.cases.reduce((n, c) => n + c.checks.length, 0);
  assert.is(report.rows.length, checks);
  assert.equal(report.rows.filter((r) => r.status !== 'pass'), []);
  assert.is(report.implementation.patternRng, 'frod-ts', 'frod-ts claims its own generator, so its patterns are compared draw by draw');
});

test('the export is deterministic: the same bytes for the same seed, other bytes for another seed', () => {
  const again = exportSuite({ seed: 0, random: 2 });
  assert.equal([...again.files.keys()], [...suite.files.keys()]);
  for (const [rel, bytes] of suite.files) assert.ok(Buffer.from(bytes).equals(Buffer.from(again.files.get(rel)!)), rel);
  const other = exportSuite({ seed: 1, only: ['svd-path'] });
  assert.not.ok(Buffer.from(other.files.get('cases/svd-path/base.safetensors')!).equals(Buffer.from(suite.files.get('cases/svd-path/base.safetensors')!)));
});

test('broken: a V column flipped without its U column passes the V check and fails U·diag(λ)', async () => {
  const report = await gradeChanged('qr-eig-path', (t) => {
    t['init/default/V/self_query'] = mapped(t['init/default/V/self_query'], (v) => { for (let i = 0; i < 6; i++) v[i * 6 + 2] *= -1; });
  });
  assert.equal(failing(report), [0, 1, 2].map((i) => `init/default/U_lambda/encoder.layer.${i}.attention.self.query`));
  assert.ok(report.rows.find((r) => r.check === 'init/default/V/self_query')!.status === 'pass', 'a sign is legitimate freedom');
});

test('broken: λ off by 3× its tolerance fails the λ check (and U·diag(λ)); off by a third of it passes', async () => {
  const output = 'init/default/lambda/encoder.layer.1.attention.self.query';
  const check = checkOf('qr-eig-path', output);
  const bound = check.tolerance!.float64! * (check.condition as number);
  const scaled = (factor: number) => (t: Record<string, Tensor>) => {
    t[output] = mapped(t[output], (v) => { const j = v.indexOf(Math.max(...v)); v[j] *= 1 + factor * bound; });
  };
  assert.equal(failing(await gradeChanged('qr-eig-path', scaled(3))), [output]);
  assert.equal(failing(await gradeChanged('qr-eig-path', scaled(1 / 3))), []);
});

test('broken: a pattern entry moved fails the pattern check when a generator is claimed, not otherwise; a repeated entry always', async () => {
  const output = 'init/default/pattern/model_proj';
  const moved = (t: Record<string, Tensor>) => {
    t[output] = mapped(t[output], (v) => {
      const nnz = v.length / 2, taken = new Set(Array.from({ length: nnz }, (_, k) => v[k] * 7 + v[nnz + k]));
      const free = Array.from({ length: 49 }, (_, s) => s).find((s) => Math.floor(s / 7) !== s % 7 && !taken.has(s))!;
      v[0] = Math.floor(free / 7);
      v[nnz] = free % 7;
    });
  };
  assert.equal(failing(await gradeChanged('svd-path', moved)), [output]);
  assert.equal(failing(await gradeChanged('svd-path', moved, { patternRng: null })), []);
  const repeated = (t: Record<string, Tensor>) => {
    t[output] = mapped(t[output], (v) => { const nnz = v.length / 2; v[1] = v[0]; v[nnz + 1] = v[nnz]; });
  };
  const report = await gradeChanged('svd-path', repeated, { patternRng: null });
  assert.equal(failing(report), [output]);
  assert.match(report.rows.find((r) => r.check === output)!.detail, /repeated/);
});

test('broken: a trained merged weight off beyond tolerance fails that check only', async () => {
  const output = 'trained/default/merged/transformer.h.0.attn.c_attn';
  const check = checkOf('conv1d', output);
  const bound = check.tolerance!.float32! * (check.condition as number);
  const report = await gradeChanged('conv1d', (t) => { t[output] = mapped(t[output], (v) => { v[5] += 3 * bound * check.scale!; }); });
  assert.equal(failing(report), [output]);
  assert.match(report.rows.find((r) => r.check === output)!.detail, /entry \[0, 5\]/);
});

test('missing and unreadable outputs are reported as missing, and grade exits 1 with one line', async () => {
  await outputs();
  const dir = path.join(tempDir(), 'partial');
  fs.cpSync(actualDir, dir, { recursive: true });
  fs.rmSync(path.join(dir, 'cases', 'svd-path', 'outputs.json'));
  fs.writeFileSync(path.join(dir, 'cases', 'conv1d', 'outputs.safetensors'), 'not safetensors');
  fs.rmSync(path.join(dir, 'cases', 'single-layer'), { recursive: true });
  const report = gradeSuite(fileReader(suiteDir), fileReader(dir));
  const missing = report.rows.filter((r) => r.status === 'missing');
  assert.is(report.failed, 0);
  assert.ok(missing.some((r) => r.case === 'svd-path' && r.check.endsWith('/targets') && /no cases\/svd-path\/outputs.json/.test(r.detail)));
  assert.ok(missing.filter((r) => r.case === 'conv1d').every((r) => /cannot be read|outputs.json/.test(r.detail) || r.rule === 'same-set'));
  assert.is(missing.filter((r) => r.case === 'single-layer').length, suite.manifest.cases.find((c) => c.id === 'single-layer')!.checks.length);
  const cli = await frod(['conformance', 'grade', '--suite', suiteDir, '--actual', dir, '--failures-only']);
  assert.is(cli.code, 1);
  assert.match(cli.stderr, /^frod conformance grade: 0 failed and \d+ missing of \d+ checks\n$/);
  assert.match(cli.stdout, /missing/);
});

test('export writes the library\'s bytes, refuses a directory holding other files, and replaces a previous suite', async () => {
  const dir = path.join(tempDir(), 'suite');
  const first = await frod(['conformance', 'export', '--out', dir, '--seed', '3']);
  assert.is(first.code, 0, first.stderr);
  const library = exportSuite({ seed: 3 });
  for (const [rel, bytes] of library.files) assert.ok(Buffer.from(bytes).equals(fs.readFileSync(path.join(dir, rel))), rel);
  assert.is((await frod(['conformance', 'export', '--out', dir])).code, 0, 'a previous suite is replaced');
  assert.equal(fs.readdirSync(path.dirname(dir)), ['suite'], 'no staging or set-aside copy is left beside it');
  const other = tempDir();
  fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
  const refused = await frod(['conformance', 'export', '--out', other]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /does not hold a conformance suite/);
  assert.ok(fs.existsSync(path.join(other, 'notes.txt')));
  const usage = await frod(['conformance', 'export', '--out', dir, '--random', 'x']);
  assert.is(usage.code, 2);
});

test.run();
