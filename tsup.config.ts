import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['gpu.js', 'ndarray', 'seedrandom'],
    // Class names as written (`PeftModel(`, not `_PeftModel(`): printouts and errors use constructor.name.
    keepNames: true,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    keepNames: true,
    platform: 'node',
    // The demo's digits: an optional peer (41 MB), loaded at run time only by `frod demo` / `frod pretrain`.
    external: ['mnist'],
  },
]);
