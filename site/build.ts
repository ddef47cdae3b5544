/**
 * `npm run site:build`: builds the explorable page into site/dist as static files.
 *
 * - `frod-ts.js`: frod-ts's core browser bundle — the package root bundled and minified for browsers as a
 *   user's bundler makes it (gpu.js left out: it is an optional peer, loaded by the page only when the `gpu`
 *   device is picked, from `vendor/gpu-browser.min.js`, gpu.js's own browser build).
 * - `app.js`: the page's code (site/src), which imports `frod-ts` by name; an import map in index.html points
 *   that name at frod-ts.js, so the page holds no second copy of the library.
 * - `index.html` with the equations rendered to MathML at build time (temml), `style.css`, the shipped ViT
 *   (`models/`), the digits 5–9 (`digits-5to9.frd`, by scripts/make-digits.ts) and `source/`, copies of the
 *   source files the equations link to.
 * - A gzip and a brotli copy beside every text file, which the server (site/serve.ts) sends when asked.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import temml from 'temml';
import { makeDigits } from '../scripts/make-digits';
import { EQUATIONS, type Equation, type PanelId, type SourceRef } from './equations';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SITE = join(ROOT, 'site');
const MODEL_STEM = 'vit-mnist-0to4';

/** Size of one built file as served: bytes on disk and gzip-compressed. */
export interface FileSize {
  file: string;
  bytes: number;
  gzip: number;
}

export interface SiteBuild {
  dir: string;
  files: FileSize[];
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The 1-based line of `ref` in its file; the build fails when the function moved away, so no link rots. */
function sourceLine(ref: SourceRef): number {
  const lines = readFileSync(join(ROOT, ref.file), 'utf8').split('\n');
  const pattern = new RegExp(ref.line);
  const at = lines.findIndex((line) => pattern.test(line));
  if (at < 0) throw new Error(`site build: ${ref.label} (/${ref.line}/) not found in ${ref.file}; update site/equations.ts`);
  return at + 1;
}

function sourceHref(ref: SourceRef): string {
  return `source/${ref.file}.html#L${sourceLine(ref)}`;
}

function equationHtml(eq: Equation): string {
  const math = temml.renderToString(eq.tex, { displayMode: true, throwOnError: true });
  return `<figure class="equation" data-section="${escapeHtml(eq.section)}">${math}`
    + `<figcaption>${escapeHtml(eq.note)} <a class="source" href="${sourceHref(eq.source)}">${escapeHtml(eq.source.label)}</a></figcaption></figure>`;
}

/** The equations beside one panel, or (for the Read panel) all of them grouped by section, in the doc's order. */
function equationsBlock(panel: PanelId | 'all'): string {
  if (panel !== 'all') return EQUATIONS.filter((eq) => eq.panel === panel).map(equationHtml).join('\n');
  const order = [...new Set(EQUATIONS.map((eq) => eq.section))].sort((a, b) => sectionNumber(a) - sectionNumber(b));
  return order.map((section) => `<section class="read-section"><h3>${escapeHtml(section)}</h3>\n`
    + EQUATIONS.filter((eq) => eq.section === section).map(equationHtml).join('\n') + '</section>').join('\n');
}

const sectionNumber = (section: string) => Number(/§(\d+)/.exec(section)?.[1] ?? 99);

/** A read-only page of one source file with an anchor per line (`#L42`). */
function sourcePage(file: string): string {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const body = lines.map((line, i) => `<span id="L${i + 1}" class="line">${escapeHtml(line)}</span>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${escapeHtml(file)} — frod-ts</title><link rel="stylesheet" href="${'../'.repeat(file.split('/').length)}style.css"></head>`
    + `<body class="source-page"><p><a href="${'../'.repeat(file.split('/').length)}index.html#read">← back to the page</a> · <code>${escapeHtml(file)}</code></p>`
    + `<pre>${body}</pre></body></html>\n`;
}

function write(dir: string, file: string, content: string | Uint8Array): void {
  const path = join(dir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Every file under `dir`, relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path).map((f) => join(entry, f)) : [entry];
  });
}

/** Writes `.gz` and `.br` copies of the text files, for the server to send compressed. */
function precompress(dir: string): void {
  for (const file of walk(dir)) {
    if (!/\.(html|js|css|json|svg)$/.test(file)) continue;
    const data = readFileSync(join(dir, file));
    writeFileSync(join(dir, `${file}.gz`), gzipSync(data, { level: 9 }));
    writeFileSync(join(dir, `${file}.br`), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
}

/** Bundles the package root as frod-ts's browser build (ESM, minified, gpu.js external). */
export async function bundleCore(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser',
    target: 'es2022', outfile, external: ['gpu.js'], logLevel: 'warning', legalComments: 'none',
  });
}

/** Builds the page into `dir` (default site/dist); returns the files with their sizes. */
export async function buildSite(dir = join(SITE, 'dist')): Promise<SiteBuild> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await bundleCore(join(dir, 'frod-ts.js'));
  await build({
    entryPoints: [join(SITE, 'src/main.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser',
    target: 'es2022', outfile: join(dir, 'app.js'), external: ['frod-ts'], logLevel: 'warning', legalComments: 'none',
  });
  const template = readFileSync(join(SITE, 'index.html'), 'utf8');
  const html = template.replace(/<!--equations:(\w+)-->/g, (_, panel: string) => equationsBlock(panel as PanelId | 'all'));
  write(dir, 'index.html', html);
  write(dir, 'style.css', readFileSync(join(SITE, 'style.css')));
  for (const ext of ['safetensors', 'json']) copyFileSync(join(ROOT, 'models', `${MODEL_STEM}.${ext}`), join(mkdirs(dir, 'models'), `${MODEL_STEM}.${ext}`));
  const gpujs = createRequire(import.meta.url).resolve('gpu.js/dist/gpu-browser.min.js');
  copyFileSync(gpujs, join(mkdirs(dir, 'vendor'), 'gpu-browser.min.js'));
  for (const file of new Set(EQUATIONS.map((eq) => eq.source.file))) write(dir, `source/${file}.html`, sourcePage(file));
  makeDigits(join(dir, 'digits-5to9.frd'));
  precompress(dir);
  const files = walk(dir).filter((f) => !/\.(gz|br)$/.test(f)).sort().map((file) => {
    const data = readFileSync(join(dir, file));
    return { file, bytes: data.length, gzip: file.endsWith('.frd') ? data.length : gzipSync(data, { level: 9 }).length };
  });
  return { dir, files };
}

function mkdirs(dir: string, sub: string): string {
  const path = join(dir, sub);
  mkdirSync(path, { recursive: true });
  return path;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const site = await buildSite();
  for (const f of site.files) console.log(`  ${f.file.padEnd(44)} ${kb(f.bytes).padStart(11)}  (gzip ${kb(f.gzip)})`);
  console.log(`built ${relative(process.cwd(), site.dir)} in ${((performance.now() - started) / 1000).toFixed(1)} s; serve it with \`npm run site\``);
}
