/**
 * The built site (npm run site:build) in headless Chromium: it loads cleanly, the Decompose panel reconstructs
 * every ViT category, the Rotate panel's sliders move the heat map and its ranks match docs/frod-math.md, the
 * equations link to real source lines, and it reads on a narrow screen. Screenshots go to test-output/browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { categoryRanks } from '../../examples/frodMathClaims';
import { testUnless } from '../util/skip';
import { OUTPUT_DIR, noChromium } from './chromium';
import { openSite, readout, screenshot, type OpenSite } from './site';

const page = suite<{ site: OpenSite }>('site page');
if (!noChromium) {
  page.before(async (ctx) => { ctx.site = await openSite(); });
  page.after(async (ctx) => { await ctx.site?.close(); });
}

const VIT_CATEGORIES = ['attention_key', 'attention_output', 'attention_query', 'attention_value', 'intermediate_dense', 'output_dense'];

testUnless(noChromium, 'loads with no console error and no failed request, within 5 MB, and says what the browser offers', async ({ site }) => {
  assert.equal(site.problems.errors, []);
  const env = await site.page.$$eval('#environment li', (items) => items.map((li) => [li.getAttribute('data-feature'), li.getAttribute('data-available'), li.textContent]));
  const byFeature = new Map(env.map(([feature, available, text]) => [feature, { available, text: text ?? '' }]));
  assert.is(byFeature.get('webgl2')?.available, 'true');
  assert.is(byFeature.get('isolated')?.available, 'true', 'COOP/COEP make the page cross-origin isolated');
  // Debian's Chromium 150 offers WebGPU on SwiftShader (with --enable-unsafe-webgpu); either way the page says
  // what it means for the gpu device.
  const webgpu = byFeature.get('webgpu');
  assert.match(webgpu?.text ?? '', webgpu?.available === 'true'
    ? /not used by the gpu device: gpu\.js runs WebGPU kernels only asynchronously/ : /WebGPU: not available in this browser/);
  const weight = [...site.transferred.values()].reduce((a, b) => a + b, 0);
  assert.ok(weight <= 5 * 1024 * 1024, `page weight ${weight} bytes`);
  const first = Number((await readout(site.page, '#first-picture')).value);
  mkdirOutput({ pageWeightBytes: weight, firstPictureMs: first, requests: Object.fromEntries(site.transferred) }, 'load.json');
  await screenshot(site.page, 'page-top', 1250);
  await screenshot(site.page, 'page-full', 'full');
}, page);

testUnless(noChromium, 'Decompose: every ViT category reconstructs W = U diag(λ) Vᵀ to below 1e-5', async ({ site }) => {
  const options = await site.page.$$eval('#decompose-category option', (os) => os.map((o) => (o as HTMLOptionElement).value));
  assert.equal(options.filter((o) => o !== 'random').sort(), VIT_CATEGORIES);
  for (const category of VIT_CATEGORIES) {
    await site.page.selectOption('#decompose-category', category);
    const error = Number((await readout(site.page, '#reconstruction-error')).value);
    assert.ok(error >= 0 && error < 1e-5, `${category}: max |U diag(λ) Vᵀ − W| = ${error}`);
    assert.is((await readout(site.page, '#decompose-path')).value, 'qr-eig', category);
  }
  await site.page.selectOption('#decompose-category', 'attention_query');
  await screenshot(site.page, 'decompose', '#decompose');
}, page);

testUnless(noChromium, 'Decompose: a random stack with fewer rows than columns takes the svd path and still reconstructs', async ({ site }) => {
  await site.page.selectOption('#decompose-category', 'random');
  await site.page.fill('#random-layers', '1');
  await site.page.fill('#random-out', '12');
  await site.page.fill('#random-in', '20');
  await site.page.waitForFunction(() => document.getElementById('decompose-path')?.dataset.value === 'svd', null, { timeout: 10_000 });
  assert.ok(Number((await readout(site.page, '#reconstruction-error')).value) < 1e-5);
  await site.page.fill('#random-in', '500');
  await site.page.waitForSelector('#decompose-error:not([hidden])');
  assert.match((await readout(site.page, '#decompose-error')).text, /in: expected a number in \[2, 128\], got '500'/);
  await site.page.fill('#random-in', '20');
  await site.page.selectOption('#decompose-category', 'attention_query');
}, page);

testUnless(noChromium, 'Rotate: moving the λ slider changes the ΔW heat map; one moved λ gives a rank-1 update', async ({ site }) => {
  await site.page.selectOption('#decompose-category', 'attention_query');
  await site.page.click('#rotate-reset');
  await site.page.waitForFunction(() => document.getElementById('rank-delta')?.dataset.value === '0');
  const image = () => site.page.locator('#chart-delta image[image-rendering="pixelated"]').getAttribute('href');
  const before = await image();
  await site.page.fill('#lambda-direction', '5');
  await site.page.fill('[data-testid="lambda-slider"]', '1.5');
  await site.page.waitForFunction(() => document.getElementById('rank-delta')?.dataset.value === '1', null, { timeout: 10_000 });
  const after = await image();
  assert.ok(before && after && before !== after, 'the heat map image changed');
  assert.is((await readout(site.page, '#rank-lambda')).value, '1');
  assert.is((await readout(site.page, '#rank-s')).value, '0');
  await site.page.fill('#s-slider-0', '0.4');
  await site.page.waitForFunction(() => document.getElementById('rank-s')?.dataset.value === '1', null, { timeout: 10_000 });
  assert.match((await readout(site.page, '#s-angle-0')).text, /tilts direction \d+ toward u\d+ by ≈ [\d.]+°/);
}, page);

testUnless(noChromium, 'Rotate: "perturb all" on query layer 0 shows the ranks docs/frod-math.md states (S alone, λ alone, both)', async ({ site }) => {
  const expected = categoryRanks();
  await site.page.selectOption('#decompose-category', 'attention_query');
  await site.page.click('#rotate-perturb');
  await site.page.waitForFunction((n) => document.getElementById('rank-s')?.dataset.value === String(n), expected.sAlone, { timeout: 10_000 });
  assert.is(Number((await readout(site.page, '#rank-lambda')).value), expected.lambdaAlone);
  assert.is(Number((await readout(site.page, '#rank-delta')).value), expected.both);
  assert.is(Number((await readout(site.page, '#rank-lora')).value), 1, 'the same budget (104 values) buys LoRA rank 1 at best');
  await screenshot(site.page, 'rotate', '#rotate');
}, page);

testUnless(noChromium, 'Read: every equation links to a shipped copy of its source, at the line that defines the function', async ({ site }) => {
  const links = await site.page.$$eval('#read a.source', (as) => as.map((a) => [(a as HTMLAnchorElement).href, a.textContent ?? '']));
  assert.ok(links.length >= 10, `${links.length} equations`);
  for (const [href, label] of links) {
    const url = new URL(href);
    const html = await (await fetch(url)).text();
    const line = new RegExp(`<span id="${url.hash.slice(1)}" class="line">([^\\n]*)</span>`).exec(html)?.[1] ?? '';
    assert.ok(line.includes(label.split('.').pop() ?? label), `${label} → ${href}: '${line}'`);
  }
  await screenshot(site.page, 'read', '#read');
}, page);

testUnless(noChromium, 'reads on a narrow screen: nothing wider than a 390-pixel phone', async ({ site }) => {
  await site.page.setViewportSize({ width: 390, height: 844 });
  await site.page.selectOption('#decompose-category', 'attention_value');
  const overflow = await site.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await site.page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(site.page, 'narrow');
  await site.page.setViewportSize({ width: 1280, height: 900 });
}, page);

page.run();

const degraded = suite('site page, degraded');

testUnless(noChromium, 'without COOP/COEP or WebGL the page says what is missing and what that changes, and still draws', async () => {
  const site = await openSite({ isolate: false, chromiumArgs: ['--disable-webgl', '--disable-3d-apis'] });
  try {
    assert.equal(site.problems.errors, []);
    const lines = await site.page.$$eval('#environment li', (items) => Object.fromEntries(items.map((li) => [li.getAttribute('data-feature'), [li.getAttribute('data-available'), li.textContent]])));
    assert.is(lines.webgl2[0], 'false');
    assert.match(lines.webgl2[1] ?? '', /no gpu device here: gpu\.js would emulate the GPU in WebAssembly/);
    assert.is(await site.page.locator('#train-device option[value="gpu"]').isDisabled(), true);
    assert.is(lines.isolated[0], 'false');
    assert.match(lines.isolated[1] ?? '', /no SharedArrayBuffer or threads/);
    assert.ok(Number((await readout(site.page, '#reconstruction-error')).value) < 1e-5);
    await screenshot(site.page, 'degraded', '#environment');
  } finally {
    await site.close();
  }
}, degraded);

degraded.run();

function mkdirOutput(data: unknown, name: string): void {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(join(OUTPUT_DIR, name), `${JSON.stringify(data, null, 2)}\n`);
}
