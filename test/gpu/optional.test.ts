/**
 * gpu.js is an optional peer dependency: without it the package loads and the cpu device works, and the
 * first gpu tensor fails with one line naming the package. Checked on a bundle of the package root run by
 * Node from a temporary folder, where neither the bundle's location nor the working directory can resolve
 * gpu.js (the repository's node_modules is out of reach).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MISSING_GPUJS } from '../../src/tensor/gpu/gpujs';

/** Runs `script` (ESM, importing ./frod.mjs) in a temporary folder; returns stdout and stderr. */
async function runWithoutGpuJs(script: string): Promise<{ stdout: string; stderr: string; status: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'frod-no-gpujs-'));
  try {
    await build({
      entryPoints: [resolve('src/index.ts')], bundle: true, platform: 'node', format: 'esm',
      outfile: join(dir, 'frod.mjs'), external: ['gpu.js'], logLevel: 'silent',
    });
    writeFileSync(join(dir, 'main.mjs'), script);
    try {
      const stdout = execFileSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      return { stdout, stderr: '', status: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; status: number };
      return { stdout: e.stdout, stderr: e.stderr, status: e.status };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without gpu.js the package loads and computes on the cpu device', async () => {
  const run = await runWithoutGpuJs("import { tensor } from './frod.mjs';\nconsole.log(String(tensor([1, 2, 3]).sum().item()));\n");
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.trim(), '6');
});

test("without gpu.js, to('gpu') throws one line naming the package", async () => {
  const run = await runWithoutGpuJs([
    "import { gpu, tensor } from './frod.mjs';",
    "try { tensor([1, 2]).to('gpu'); console.log('no error'); } catch (err) { console.log(err.message); }",
    'console.log(String(gpu.isAvailable()));',
  ].join('\n'));
  assert.is(run.status, 0, run.stderr);
  const [message, available] = run.stdout.trim().split('\n');
  assert.is(message, MISSING_GPUJS);
  assert.ok(message.includes("'gpu.js'") && message.includes('npm install gpu.js'));
  assert.is(available, 'false');
});

test("gpu.js's browser build, loaded as a script (its global GPU is the class with the kernels attached), is found by itself", async () => {
  const browserBuild = resolve('node_modules/gpu.js/dist/gpu-browser.min.js');
  const run = await runWithoutGpuJs([
    "import { readFileSync } from 'node:fs';",
    `(0, eval)(readFileSync(${JSON.stringify(browserBuild)}, 'utf8'));`,
    "import('./frod.mjs').then(({ gpu, tensor }) => {",
    "  console.log(typeof globalThis.GPU, Array.from(tensor([1, 2]).to('gpu').add(1).cpu().data()).join(','), gpu.backend());",
    '});',
  ].join('\n'));
  assert.is(run.status, 0, run.stderr);
  const [kind, values, backend] = run.stdout.trim().split(' ');
  assert.is(kind, 'function');
  assert.is(values, '2,3');
  assert.ok(['webasm', 'cpu'].includes(backend), backend);
});

test('package.json: gpu.js is an optional peer (and a devDependency for these tests), not a dependency', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, unknown>>;
  assert.is(pkg.dependencies['gpu.js'], undefined);
  assert.ok(pkg.peerDependencies['gpu.js']);
  assert.equal(pkg.peerDependenciesMeta['gpu.js'], { optional: true });
  assert.ok(pkg.devDependencies['gpu.js']);
});

test.run();
