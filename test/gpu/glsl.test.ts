/**
 * Every kernel the gpu device generates must transpile to GLSL ES 1.00 that compiles, for headless-gl and
 * WebGL, even where no GL exists to run it: a child process preloads a fake 'gl' context that records the
 * fragment shaders gpu.js builds (glsl/fake-gl.cjs), exercises every kernel generator (glsl/exercise.ts),
 * and each shader is checked by Khronos' reference compiler, glslangValidator (apt: glslang-tools).
 * Without glslangValidator the check is skipped with that reason (test/util/skip.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testUnless } from '../util/skip';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const hasValidator = spawnSync('glslangValidator', ['--version'], { encoding: 'utf8' }).status === 0;

interface Exercise {
  backend: string;
  failures: string[];
  fallbacks: string[];
  shaders: string[];
}

const noValidator = hasValidator ? null : 'glslangValidator is not on PATH (apt-get install glslang-tools to check the generated GLSL)';

testUnless(noValidator, 'every generated kernel transpiles for headless-gl and compiles as GLSL ES 1.00', () => {
  const child = spawnSync(process.execPath, ['--require', join(here, 'glsl', 'fake-gl.cjs'), '--import', 'tsx', join(here, 'glsl', 'exercise.ts')], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FROD_FAKE_GL: '1' },
  });
  assert.is(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Exercise;
  assert.is(result.backend, 'headlessgl');
  assert.equal(result.failures, [], 'every kernel generator transpiled');
  assert.equal(result.fallbacks, [], 'no kernel fell back to gpu.js cpu');
  assert.ok(result.shaders.length >= 50, `collected ${result.shaders.length} fragment shaders`);
  const dir = mkdtempSync(join(tmpdir(), 'frod-glsl-'));
  try {
    const files = result.shaders.map((shader, i) => {
      const file = join(dir, `kernel${i}.frag`);
      writeFileSync(file, shader.trimStart().startsWith('#version') ? shader : `#version 100\n${shader}`);
      return file;
    });
    const check = spawnSync('glslangValidator', files, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.is(check.status, 0, `glslangValidator rejected generated GLSL:\n${check.stdout.split('\n').filter((l) => /ERROR/.test(l)).slice(0, 20).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
