/**
 * What each backend does in the browser (docs/gpu.md's browser table): float32 n×n matmul GFLOP/s (with the
 * read-back) and ms per FRoD training step (the Train panel's recipe, batch 32), in headless Chromium on the
 * built site. Backends: the cpu device; the gpu device on gpu.js's webgl2 and webasm backends; and, for
 * matmul only, a raw gpu.js WebGPU kernel (asynchronous, so not a backend of the device).
 *
 *   npm run site:build && npx tsx scripts/bench-browser.ts [--steps 10] [--sizes 128,256,512]
 */
import type { Page } from 'playwright-core';
import { startSiteServer } from '../site/serve';
import { launch, noChromium } from '../test/browser/chromium';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const STEPS = Number(arg('steps', '10'));
const SIZES = arg('sizes', '128,256,512').split(',').map(Number);

/** Runs in the page: GFLOP/s of `a.matmul(b)` + read-back on one device/mode, best of a few repetitions. */
const matmulInPage = async ([sizes, device, mode]: [number[], string, string | null]) => {
  const lib = await import('/frod-ts.js' as string) as typeof import('../src/index');
  if (mode) lib.gpu.configure({ mode: mode as never });
  const out: Record<number, number> = {};
  for (const n of sizes) {
    const a = lib.randn([n, n]).to(device as never), b = lib.randn([n, n]).to(device as never);
    a.matmul(b).data();
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      a.matmul(b).data();
      best = Math.min(best, performance.now() - t);
    }
    out[n] = (2 * n ** 3) / (best * 1e6);
  }
  return out;
};

/** Runs in the page: GFLOP/s of a raw gpu.js WebGPU matmul kernel (awaits each result). */
const webgpuInPage = async (sizes: number[]) => {
  const GPU = (globalThis as unknown as { GPU: new (o: object) => { createKernel(f: unknown, o: object): (...x: unknown[]) => Promise<unknown> } }).GPU;
  const gpu = new GPU({ mode: 'webgpu' });
  const out: Record<number, number> = {};
  for (const n of sizes) {
    const kernel = gpu.createKernel(function (this: { thread: { x: number; y: number }; constants: { n: number } }, a: number[][], b: number[][]) {
      let sum = 0;
      for (let k = 0; k < this.constants.n; k++) sum += a[this.thread.y][k] * b[k][this.thread.x];
      return sum;
    }, { output: [n, n], constants: { n } });
    const m = Array.from({ length: n }, () => Float32Array.from({ length: n }, () => Math.random()));
    await kernel(m, m);
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await kernel(m, m);
      best = Math.min(best, performance.now() - t);
    }
    out[n] = (2 * n ** 3) / (best * 1e6);
  }
  return out;
};

async function trainMs(page: Page, device: 'cpu' | 'gpu', mode: string | null): Promise<number> {
  if (mode) await page.evaluate(async (m) => (await import('/frod-ts.js' as string)).gpu.configure({ mode: m }), mode);
  for (const id of ['frod', 'lora', 'linear-probe']) await page.setChecked(`#method-${id}`, id === 'frod');
  await page.fill('#train-steps', String(STEPS));
  await page.selectOption('#train-device', device);
  await page.evaluate(() => { delete document.getElementById('train-status')?.dataset.state; });
  await page.click('#train-start');
  await page.waitForSelector('#train-status[data-state]', { timeout: 1_800_000 });
  if (await page.locator('#train-status').getAttribute('data-state') !== 'done') throw new Error(`${device} ${mode ?? ''}: ${await page.locator('#train-status').textContent()}`);
  return Number(await page.locator('#train-results [data-field="ms"]').getAttribute('data-value'));
}

if (noChromium) {
  console.log(`skipped: ${noChromium}`);
  process.exit(0);
}
const server = await startSiteServer();
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
  await page.evaluate(async () => {
    const s = document.createElement('script');
    s.src = 'vendor/gpu-browser.min.js';
    await new Promise((resolve) => { s.onload = resolve; document.head.append(s); });
    (await import('/frod-ts.js' as string)).gpu.use((globalThis as unknown as { GPU: object }).GPU);
  });
  const rows: [string, Record<number, number> | null, number | null][] = [];
  const only = arg('only', '');
  if (!only) rows.push(['cpu device', await page.evaluate(matmulInPage, [SIZES, 'cpu', null] as [number[], string, string | null]), await trainMs(page, 'cpu', null)]);
  for (const mode of only ? [only] : ['webgl2', 'webasm']) {
    rows.push([`gpu device (${mode})`, await page.evaluate(matmulInPage, [SIZES, 'gpu', mode] as [number[], string, string | null]), await trainMs(page, 'gpu', mode)]);
  }
  const webgpu = await page.evaluate(webgpuInPage, SIZES).catch((err: Error) => (console.log(`webgpu: ${err.message.split('\n')[0]}`), null));
  rows.push(['gpu.js WebGPU kernel (async, not the device)', webgpu, null]);
  console.log(`\n| backend | ${SIZES.map((n) => `matmul ${n}`).join(' | ')} GFLOP/s | ms per FRoD step (batch 32) |`);
  console.log(`|---|${SIZES.map(() => '---|').join('')}---|`);
  for (const [name, gflops, ms] of rows) {
    console.log(`| ${name} | ${SIZES.map((n) => (gflops ? gflops[n].toFixed(2) : '—')).join(' | ')} | ${ms === null ? 'n/a' : ms.toFixed(0)} |`);
  }
} finally {
  await browser.close();
  await server.close();
}
