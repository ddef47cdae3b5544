import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import type { DemoResults } from '../../src/demo/results';

function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, progressStream: null, env: {} },
    out: () => out,
    err: () => err,
  };
}

test('`frod demo --quick --out DIR` end to end: lines, results.json, plot, adapter that `frod inspect` reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-demo-quick-'));
  try {
    const run = capture();
    const status = await main(['demo', '--quick', '--out', dir, '--no-progress'], run.io);
    assert.is(status, 0, run.err());
    const lines = run.out().split('\n');
    assert.is(lines.filter((l) => /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/.test(l)).length, 5);
    assert.ok(run.out().includes('identical predictions'));
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as DemoResults;
    assert.equal(results.methods.map((m) => m.id), ['frod', 'frod-all-linear', 'lora', 'full', 'linear-probe']);
    for (const m of results.methods) {
      assert.ok(m.accuracy >= 0 && m.accuracy <= 1, `${m.name} accuracy ${m.accuracy}`);
      assert.ok(Number.isFinite(m.finalLoss) && m.seconds > 0 && m.trainableParams > 0 && m.totalParams >= m.trainableParams);
      assert.is(m.lossCurve.length, results.steps);
      assert.ok(m.validationCurve.length > 0);
    }
    const frod = results.methods[0];
    assert.ok(frod.trainablePercent <= 5, `FRoD trains ${frod.trainablePercent}%`);
    assert.is(results.methods[3].trainablePercent, 100);
    assert.ok(results.adapter !== null && results.adapter.samePredictions);
    assert.is(results.adapter!.reloadedAccuracy, frod.accuracy);
    const svg = readFileSync(join(dir, 'loss-curves.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg') && results.methods.every((m) => svg.includes(m.name.replace(/&/g, '&amp;'))));
    assert.ok(existsSync(join(dir, 'results.md')));
    const adapterDir = join(dir, 'frod-adapter');
    const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.is(config.peft_type, 'FROD');
    assert.equal(config.target_modules, ['query', 'value']);
    assert.equal(config.modules_to_save, ['classifier']);
    const inspect = capture();
    assert.is(await main(['inspect', adapterDir], inspect.io), 0, inspect.err());
    for (const category of ['attention_query', 'attention_value']) assert.ok(inspect.out().includes(category), inspect.out());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options are one-line usage errors', async () => {
  const run = capture();
  assert.is(await main(['demo', '--seed', 'x', '--out', join(tmpdir(), 'never-written')], run.io), 2);
  assert.match(run.err(), /^frod demo: --seed: expected an integer ≥ 0, got "x"\n$/);
  const device = capture();
  assert.is(await main(['demo', '--device', 'tpu'], device.io), 2);
  assert.match(device.err(), /--device: expected cpu, gpu or auto/);
});

test.run();
