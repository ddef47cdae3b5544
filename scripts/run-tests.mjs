// Runs the uvu suite over the TypeScript tests (through tsx) and ends with the line
// `N passed, N failed` that CI reads (uvu prints its own Total/Passed/Skipped block, not that line).
// Usage: node scripts/run-tests.mjs [dir] [pattern]   (defaults: test, \.test\.ts$)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// uvu's package.json `exports` hides bin.js from require.resolve: find it beside this script.
const uvuBin = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'uvu', 'bin.js');
const [dir = 'test', pattern = '\\.test\\.ts$'] = process.argv.slice(2);

const child = spawn(process.execPath, [uvuBin, '-r', 'tsx', dir, pattern], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, FROD_PROGRESS: process.env.FROD_PROGRESS ?? '0' },
});
let output = '';
child.stdout.on('data', (chunk) => { output += chunk; process.stdout.write(chunk); });
child.stderr.on('data', (chunk) => { output += chunk; process.stderr.write(chunk); });
child.on('close', (code) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (label) => {
    const m = plain.match(new RegExp(`${label}:\\s+(\\d+)`));
    return m ? Number(m[1]) : undefined;
  };
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped') ?? 0;
  let failed;
  if (total === undefined || passed === undefined) {
    // The runner died before its summary (a test file failed to load): count that as one failure.
    console.log(`\n${passed ?? 0} passed, ${Math.max(1, code ?? 1)} failed`);
    process.exit(code || 1);
  }
  failed = total - passed - skipped;
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : code ?? 0);
});
