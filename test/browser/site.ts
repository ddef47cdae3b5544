/** One page of the built site in headless Chromium, with the server behind it and the problems it logged. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startSiteServer, type SiteServer } from '../../site/serve';
import { OUTPUT_DIR, launch, watch, type PageProblems, type RunningBrowser } from './chromium';

export interface OpenSite {
  server: SiteServer;
  browser: RunningBrowser;
  page: Page;
  problems: PageProblems;
  /** Bytes of every response the page received (Content-Length, compressed where the server compressed). */
  transferred: Map<string, number>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Serve with COOP/COEP (default true). */
  isolate?: boolean;
  chromiumArgs?: string[];
  viewport?: { width: number; height: number };
}

/** Serves site/dist, opens it and waits until the page says it is ready (`body[data-ready]`). */
export async function openSite(options: OpenOptions = {}): Promise<OpenSite> {
  const server = await startSiteServer({ isolate: options.isolate ?? true });
  const browser = await launch(options.chromiumArgs ?? [], options.viewport);
  const page = await browser.context.newPage();
  const problems = watch(page);
  const transferred = new Map<string, number>();
  page.on('response', async (res) => {
    const length = Number(res.headers()['content-length'] ?? NaN);
    transferred.set(res.url(), Number.isFinite(length) ? length : (await res.body().catch(() => Buffer.alloc(0))).length);
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
  return {
    server, browser, page, problems, transferred,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Writes a screenshot to test-output/browser/<name>.png — of `target` when it is a selector, else of the page:
 * the viewport, the whole page (`'full'`) or its top `height` pixels (a number). Returns the path.
 */
export async function screenshot(page: Page, name: string, target?: string | number): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  if (typeof target === 'number') {
    const width = page.viewportSize()?.width ?? 1280;
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: target } });
  } else if (target === 'full') await page.screenshot({ path, fullPage: true });
  else if (target) await page.locator(target).screenshot({ path });
  else await page.screenshot({ path });
  return path;
}

/** The text and `data-value` of an element. */
export async function readout(page: Page, selector: string): Promise<{ text: string; value: string }> {
  const locator = page.locator(selector);
  return { text: (await locator.textContent()) ?? '', value: (await locator.getAttribute('data-value')) ?? '' };
}
