/** Progress bars: drawn on a terminal stream during init, and off with --no-progress or progressbar: false. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main';
import { cliProgressReporter } from '../../src/cli/progress';
import { createProgress } from '../../src/util/progress';
import { cleanTemp, copyGolden } from './helpers';

/** A stream that says it is a terminal and records what is drawn on it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; drawn: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = 120;
  let text = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  return { stream, drawn: () => text };
}

let savedEnv: string | undefined;
test.before.each(() => {
  savedEnv = process.env.FROD_PROGRESS;
  delete process.env.FROD_PROGRESS; // the test runner sets FROD_PROGRESS=0
});
test.after.each(() => {
  if (savedEnv === undefined) delete process.env.FROD_PROGRESS;
  else process.env.FROD_PROGRESS = savedEnv;
  cleanTemp();
});

test('cliProgressReporter draws the title, the count and the label, and stops once', async () => {
  const { stream, drawn } = fakeTerminal();
  const task = cliProgressReporter(stream).start('FRoD projection', 3);
  task.update(1, 'self_query: 12 layers');
  task.update(3);
  task.stop();
  task.stop();
  await new Promise((resolve) => setImmediate(resolve));
  // cli-progress throttles redraws: the first state and the last one are drawn, then the line is cleared.
  assert.match(drawn(), /FRoD projection \[.*\] 0\/3/);
  assert.match(drawn(), /FRoD projection \[.*\] 3\/3 self_query: 12 layers/);
  assert.ok(drawn().endsWith('\x1b[2K'), 'the bar is cleared when the task stops');
});

async function initWith(args: string[], configEdit: (json: Record<string, unknown>) => void): Promise<{ code: number; drawn: string }> {
  const dir = copyGolden('bert');
  const config = path.join(dir, 'adapter', 'adapter_config.json');
  const json = JSON.parse(fs.readFileSync(config, 'utf8'));
  configEdit(json);
  fs.writeFileSync(config, JSON.stringify(json));
  const { stream, drawn } = fakeTerminal();
  const code = await main([...args, 'init', '--base', path.join(dir, 'base.safetensors'), '--config', config, '--out', path.join(dir, 'out')], {
    stdout: () => undefined, stderr: () => undefined, progressStream: stream, env: {},
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, drawn: drawn() };
}

test('init shows the projection progress on a terminal, and restores the core reporter afterwards', async () => {
  const run = await initWith([], () => undefined);
  assert.is(run.code, 0);
  assert.match(run.drawn, /FRoD projection/);
  assert.match(run.drawn, /5\/5/, 'five categories');
  // After the run the core's default reporter is back (silent here: this process's stderr is not a TTY
  // under the test runner, or draws its own line if it is).
  assert.type(createProgress().start('x', 1).stop, 'function');
});

test('--no-progress and progressbar: false keep the terminal clean', async () => {
  assert.is((await initWith(['--no-progress'], () => undefined)).drawn, '');
  assert.is((await initWith([], (json) => { json.progressbar = false; })).drawn, '');
});

test.run();
