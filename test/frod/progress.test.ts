/** The core progress reporter: silent unless enabled, on a TTY and FROD_PROGRESS ≠ 0; pluggable factory. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrodConfig } from '../../src/frod/config';
import { getPeftModel } from '../../src/frod/model';
import { createProgress, setProgressFactory, silentProgress, type ProgressReporter } from '../../src/util/progress';
import { TinyModel } from './helpers';

function withEnv(value: string | undefined, fn: () => void): void {
  const before = process.env.FROD_PROGRESS;
  if (value === undefined) delete process.env.FROD_PROGRESS;
  else process.env.FROD_PROGRESS = value;
  try { fn(); } finally {
    if (before === undefined) delete process.env.FROD_PROGRESS;
    else process.env.FROD_PROGRESS = before;
  }
}

/** A reporter that records every call. */
function recorder(events: string[]): ProgressReporter {
  return {
    start(title, total) {
      events.push(`start ${title} ${total}`);
      return { update: (done, label) => { events.push(`update ${done}${label ? ` ${label}` : ''}`); }, stop: () => { events.push('stop'); } };
    },
  };
}

test('disabled by the option or by FROD_PROGRESS=0', () => {
  setProgressFactory(() => recorder([]));
  try {
    assert.is(createProgress({ enabled: false }), silentProgress);
    withEnv('0', () => assert.is(createProgress(), silentProgress));
    withEnv('1', () => assert.is.not(createProgress(), silentProgress));
  } finally {
    setProgressFactory(null);
  }
});

test('the projection reports category, layer count and dimensions through an installed factory', () => {
  const events: string[] = [];
  setProgressFactory(() => recorder(events));
  try {
    withEnv(undefined, () => getPeftModel(new TinyModel(3, 2, 'float32', 0), new FrodConfig({ targetModules: ['q_proj', 'up_proj'] })));
    assert.equal(events, ['start FRoD projection 2', 'update 0 mlp_up_proj: 2 layers, stack 12×3', 'update 1',
      'update 1 self_attn_q_proj: 2 layers, stack 6×3', 'update 2', 'stop']);
    events.length = 0;
    withEnv(undefined, () => getPeftModel(new TinyModel(3, 2, 'float32', 0), new FrodConfig({ targetModules: ['q_proj'], progressbar: false })));
    assert.equal(events, [], 'progressbar: false');
  } finally {
    setProgressFactory(null);
  }
});

test('a category of one layer says "1 layer" (singular)', () => {
  const events: string[] = [];
  setProgressFactory(() => recorder(events));
  try {
    withEnv(undefined, () => getPeftModel(new TinyModel(3, 1, 'float32', 0), new FrodConfig({ targetModules: ['up_proj'] })));
    assert.equal(events, ['start FRoD projection 1', 'update 0 mlp_up_proj: 1 layer, stack 6×3', 'update 1', 'stop']);
  } finally {
    setProgressFactory(null);
  }
});

test('the built-in reporter writes to stderr only when it is a TTY', () => {
  const stderr = process.stderr as unknown as { isTTY?: boolean; write: (s: string) => boolean };
  const { isTTY, write } = stderr;
  const written: string[] = [];
  stderr.write = (s: string) => { written.push(s); return true; };
  try {
    withEnv(undefined, () => {
      stderr.isTTY = false;
      createProgress().start('x', 2).update(1, 'a');
      assert.equal(written, []);
      stderr.isTTY = true;
      const task = createProgress().start('FRoD projection', 2);
      task.update(1, 'self_query: 12 layers');
      task.stop();
    });
  } finally {
    stderr.write = write;
    stderr.isTTY = isTTY;
  }
  assert.ok(written.some((s) => s.includes('FRoD projection [##########----------] 1/2 self_query: 12 layers')));
  assert.match(written[written.length - 1], /^\r\s+\r$/);
});

test.run();
