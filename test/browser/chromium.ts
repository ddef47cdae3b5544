/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by playwright-core. Where no Chromium
 * can be found the tests are skipped with that reason (test/util/skip.ts); `.ci/run` installs it first.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian puts it (`apt-get install -y chromium`), or CHROMIUM_PATH. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));

export const chromiumPath: string | null = CANDIDATES.find((p) => existsSync(p)) ?? null;

/** Why the browser tests cannot run here, or null. */
export const noChromium: string | null = chromiumPath === null
  ? `no Chromium at ${CANDIDATES.join(' or ')} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  : null;

/**
 * No background traffic (the network is closed), no sandbox (CI runs as root), and the GPU process on
 * SwiftShader: WebGL2 through ANGLE, and WebGPU, which Debian's Chromium 150 offers on SwiftShader only with
 * --enable-unsafe-webgpu.
 */
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu',
];

export interface RunningBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile (and `extraArgs`, e.g. to switch WebGL off). */
export async function launch(extraArgs: string[] = [], viewport = { width: 1280, height: 900 }): Promise<RunningBrowser> {
  if (!chromiumPath) throw new Error(noChromium ?? 'no chromium');
  const profile = mkdtempSync(join(tmpdir(), 'frod-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, args: [...FLAGS, ...extraArgs], viewport,
  });
  const browser = context.browser() as Browser;
  return {
    browser, context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong while a page was open: console errors, uncaught exceptions, failed or non-OK requests. */
export interface PageProblems {
  errors: string[];
}

/** Starts recording a page's problems. */
export function watch(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] };
  page.on('console', (msg) => { if (msg.type() === 'error') problems.errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.errors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => problems.errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  page.on('response', (res) => { if (res.status() >= 400) problems.errors.push(`HTTP ${res.status()}: ${res.url()}`); });
  return problems;
}

/** Where the browser tests write their screenshots and measurements (ignored by git). */
export const OUTPUT_DIR = join(process.cwd(), 'test-output', 'browser');
