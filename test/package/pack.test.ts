/**
 * The package as users get it: packed from a clean copy of the checkout (prepack builds dist), installed into
 * a fresh project, type-checked there with `tsc --strict` on TypeScript 5.9 and on the latest (7) over the
 * README sample (examples/quickstart.ts), every example and a first-hour program, all importing from
 * 'frod-ts' with no casts; then compiled and run, from ESM and from CommonJS.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyCheckout, installProject, pack, ROOT, run } from './project';

const work = mkdtempSync(join(tmpdir(), 'frod-pack-'));
const project = join(work, 'project');
let tarball = '';

/** The programs checked in the fresh project: every example, and a first-hour program. */
const programs = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'examples', f)),
  join(ROOT, 'test', 'package', 'first-hour.ts'),
];

/** A user's tsconfig: strict, Node's ESM resolution, lib checking on (skipLibCheck off). */
const TSCONFIG = {
  compilerOptions: {
    target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false,
    types: ['node'], outDir: 'out', rootDir: 'src',
  },
  include: ['src'],
};

const tsc = (compiler: 'typescript' | 'typescript-latest', ...args: string[]) =>
  run(process.execPath, [join(ROOT, 'node_modules', compiler, 'bin', 'tsc'), '-p', project, ...args], project);

test.before(() => {
  const checkout = join(work, 'checkout');
  mkdirSync(checkout);
  mkdirSync(join(project, 'src'), { recursive: true });
  // A clean copy (no dist), packed there: the tarball's JavaScript can only come from prepack's build.
  copyCheckout(checkout);
  tarball = pack(checkout, work);
  installProject(project, tarball);
  for (const file of programs) copyFileSync(file, join(project, 'src', file.split('/').pop() as string));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball, packed from a clean checkout, ships built JavaScript, types, the CLI and the models; engines ≥ 20.16', () => {
  const files = run('tar', ['-tzf', tarball], work).split('\n');
  for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'bin/frod.js', 'models/vit-mnist-0to4.safetensors', 'README.md']) {
    assert.ok(files.includes(`package/${file}`), `the tarball has ${file}`);
  }
  const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'frod-ts', 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.is(pkg.engines.node, '^20.16.0 || >=22.3.0');
  const types = readFileSync(join(project, 'node_modules', 'frod-ts', 'dist', 'index.d.ts'), 'utf8');
  assert.not.match(types, /declare module '\.\//, 'no module augmentation of a path the bundle does not have');
});

for (const [compiler, label] of [['typescript', 'TypeScript 5.9'], ['typescript-latest', 'the latest TypeScript']] as const) {
  test(`${label}: tsc --strict over the README sample, every example and a first-hour program reports nothing`, () => {
    const version = tsc(compiler, '--version').trim();
    assert.match(version, compiler === 'typescript' ? /^Version 5\.9\./ : /^Version [7-9]\./);
    assert.is(tsc(compiler, '--noEmit'), '');
  });
}

test('no example casts (as never / as Tensor / as unknown)', () => {
  for (const file of programs) assert.not.match(readFileSync(file, 'utf8'), /\bas (never|unknown|Tensor)\b/, file);
});

test('compiled, they run from the installed package', () => {
  tsc('typescript');
  const node = (file: string, ...args: string[]) => run(process.execPath, [join(project, 'out', file), ...args], project);
  assert.match(node('quickstart.js'), /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/m);
  assert.ok(existsSync(join(project, 'my-adapter', 'adapter_config.json')), 'the README sample saved its adapter');
  const firstHour = node('first-hour.js');
  assert.match(firstHour, /^dy\/dw = 2,2$/m);
  assert.match(firstHour, /^PeftModel\(\n {2}\(base_model\): FrodModel\(/m);
  assert.match(firstHour, /^sequential output 4x2$/m);
  assert.match(node('frod-math.js'), /V = RᵀE/);
  assert.match(node('decomposition-walkthrough.js'), /rank 64 of 64/);
  const golden = join(ROOT, 'test', 'fixtures', 'golden', 'stack');
  assert.match(node('load-and-merge-adapter.js', join(golden, 'base.safetensors'), join(golden, 'adapter')), /merged: \d+ of \d+ tensors changed/);
  assert.match(node('finetune-your-model.js'), /the reloaded model's outputs differ by at most 0\.0e\+0/);
});

test('the frod command runs from the installed package (its built CLI, no tsx)', () => {
  const help = run(process.execPath, [join(project, 'node_modules', '.bin', 'frod'), '--help'], project);
  for (const command of ['init', 'merge', 'inspect', 'demo']) assert.match(help, new RegExp(`\\b${command}\\b`));
});

test('CommonJS require works too, and classes print under their own names (keepNames)', () => {
  writeFileSync(join(project, 'names.cjs'), [
    "const { FrodConfig, getPeftModel, nn } = require('frod-ts');",
    "const peft = getPeftModel(new nn.Sequential(new nn.Linear(4, 2)), new FrodConfig({ targetModules: ['0'] }));",
    'console.log(String(peft));',
  ].join('\n'));
  const printed = run(process.execPath, ['names.cjs'], project);
  assert.match(printed, /^PeftModel\(/);
  assert.match(printed, /\(0\): FrodLinear\(/);
  assert.not.match(printed, /_PeftModel|_FrodLinear|_Sequential/);
});

test.run();
