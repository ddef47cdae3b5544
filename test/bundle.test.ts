/**
 * The core must bundle for browsers: bundling the package root for the browser platform pulls in no Node
 * built-in module (Node access goes through process.getBuiltinModule at run time, in src/util/node.ts).
 */
import { build } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('src/index.ts bundles for the browser with no Node built-in imports', async () => {
  const result = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['gpu.js'],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const nodeOnly = inputs.filter((file) => /^node:|(^|\/)(src\/cli|src\/demo)\//.test(file));
  assert.equal(nodeOnly, [], `browser bundle pulls in ${nodeOnly.join(', ')}`);
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  assert.equal(imports.filter((p) => p.startsWith('node:') || ['fs', 'path', 'os', 'child_process'].includes(p)), []);
  assert.ok(inputs.some((file) => file.endsWith('src/frod/model.ts')), 'the bundle holds FRoD');
});

test.run();
