/**
 * The three sizes README reports: what `npm i frod-ts` installs (packed from this checkout, installed into a
 * fresh project: without gpu.js, then with it), the core browser bundle (the package root bundled and
 * minified for browsers, gzip), and the page's weight (site/dist as the server sends it: brotli where the
 * build wrote a copy, the digits and the model as they are; gpu.js only when the gpu device is picked).
 *
 *   npm run build && npm run site:build && npx tsx scripts/measure-size.ts [--no-install]
 *
 * The install needs the npm registry (the package's dependencies); --no-install skips it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleCore } from '../site/build';

const ROOT = resolve(import.meta.dirname, '..');
const SITE = join(ROOT, 'site', 'dist');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Bytes of every file under `dir` (what `du --apparent-size` counts). */
function treeBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, entry) => {
    const path = join(dir, entry);
    const stat = statSync(path);
    return sum + (stat.isDirectory() ? treeBytes(path) : stat.size);
  }, 0);
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function installSizes(): { without: number; withGpu: number; tarball: number } {
  const dir = mkdtempSync(join(tmpdir(), 'frod-size-'));
  try {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT)) as { filename: string; size: number }[];
    const tarball = join(dir, packed[0].filename);
    const project = join(dir, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "size-check", "version": "1.0.0", "private": true }\n');
    npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project);
    const without = treeBytes(join(project, 'node_modules'));
    npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', 'gpu.js@^2.24.1'], project);
    return { without, withGpu: treeBytes(join(project, 'node_modules')), tarball: packed[0].size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The page's files as sent: the brotli copy where the build wrote one, else the file. */
function pageWeight(): { initial: number; gpujs: number } {
  let initial = 0, gpujs = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) { if (entry !== 'source') walk(path); continue; }
      if (/\.(gz|br)$/.test(entry)) continue;
      const bytes = existsSync(`${path}.br`) ? statSync(`${path}.br`).size : statSync(path).size;
      if (entry === 'gpu-browser.min.js') gpujs += bytes;
      else initial += bytes;
    }
  };
  walk(SITE);
  return { initial, gpujs };
}

const out = mkdtempSync(join(tmpdir(), 'frod-bundle-'));
await bundleCore(join(out, 'frod-ts.js'));
const core = readFileSync(join(out, 'frod-ts.js'));
rmSync(out, { recursive: true, force: true });
console.log(`core browser bundle: ${kb(core.length)} minified, ${kb(gzipSync(core, { level: 9 }).length)} gzip`);
if (existsSync(join(SITE, 'index.html'))) {
  const page = pageWeight();
  console.log(`page weight: ${mb(page.initial)} on load (model and digits included), + ${mb(page.gpujs)} (gpu.js) when the gpu device is picked`);
} else {
  console.log('page weight: site/dist missing (npm run site:build)');
}
if (!process.argv.includes('--no-install')) {
  const sizes = installSizes();
  console.log(`npm i frod-ts: ${mb(sizes.without)} installed (tarball ${mb(sizes.tarball)}); with gpu.js: ${mb(sizes.withGpu)}`);
}
