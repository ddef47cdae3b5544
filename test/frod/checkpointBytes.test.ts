/**
 * readAdapterBytes (src/frod/checkpoint.ts), the reader of an adapter given as bytes (a browser, a fetch): its
 * errors have no file path to name, so a tensor name outside the key grammar is the parser's own line, and a
 * bad config names adapter_config.json and the field. checkpoint.test.ts reads only valid adapters this way.
 * And the directory functions name themselves where there is no file system (a browser).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { safetensorsBytes } from '../../src/nn/io';
import { tensor } from '../../src/tensor';
import { FrodConfig } from '../../src/frod/config';
import { readAdapterBytes, readAdapterDir, writeAdapterDir } from '../../src/frod/checkpoint';
import { withoutNode } from '../util/withoutNode';

const config = new FrodConfig({ targetModules: ['q'] });

test('readAdapterBytes refuses a tensor name outside the key grammar in the parser\'s own one line, with no source before it', () => {
  const key = 'base_model.model.q.frod_lambda_l.default';
  const bytes = safetensorsBytes({ [key]: tensor([1, 2], { dtype: 'float32' }) }, { format: 'pt' });
  assert.throws(() => readAdapterBytes(config.toJSONString(), bytes),
    (e: Error) => e.message.startsWith(`adapter tensor ${JSON.stringify(key)}: expected `) && !e.message.includes('\n'));
});

test('readAdapterBytes names adapter_config.json and the field of a bad config', () => {
  const bytes = safetensorsBytes({}, { format: 'pt' });
  const text = JSON.stringify({ ...config.toJSON(), sparse_rate: 2 });
  assert.throws(() => readAdapterBytes(text, bytes), (e: Error) => e.message.startsWith('adapter_config.json: FrodConfig.sparse_rate: expected a number in [0, 1]'));
});

test('outside Node, writeAdapterDir and readAdapterDir say that they need Node.js', () => {
  withoutNode(() => {
    assert.throws(() => writeAdapterDir('adapter', config, {}), /^writeAdapterDir needs Node\.js/);
    assert.throws(() => readAdapterDir('adapter'), /^readAdapterDir needs Node\.js/);
  });
});

test.run();
