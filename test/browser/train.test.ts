/**
 * The Train panel in headless Chromium: 30 steps on the `cpu` device reproduce `frod demo`'s loss curves in
 * Node (the same engine, the same digits, batches and head), and 30 steps of FRoD on the `gpu` device run on
 * gpu.js's WebGL2 backend, named by gpu.backend(), start from Node's first loss and lower it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FINETUNE_DIGITS, splitDigits } from '../../src/demo/data';
import { demoMethods, type MethodId } from '../../src/demo/methods';
import { loadModel } from '../../src/demo/model';
import { DEMO_PRESETS, trainMethod } from '../../src/demo/run';
import { testUnless } from '../util/skip';
import { OUTPUT_DIR, noChromium } from './chromium';
import { openSite, screenshot, type OpenSite } from './site';

const STEPS = 30;
const METHODS: MethodId[] = ['frod', 'lora', 'linear-probe'];

/** `frod demo`'s loss curve for each method: seed 0, batch 32, STEPS steps, on Node's cpu device. */
function nodeLossCurves(methods: readonly MethodId[]): Map<MethodId, number[]> {
  const base = loadModel('models/vit-mnist-0to4');
  const { train } = splitDigits(FINETUNE_DIGITS, { seed: 0 });
  const settings = { ...DEMO_PRESETS.default, steps: STEPS };
  return new Map(demoMethods().filter((m) => methods.includes(m.id)).map((spec) => [
    spec.id, trainMethod(spec, base, { train, validation: null }, settings, { seed: 0, progress: false }).history.lossCurve,
  ]));
}

interface PageRun {
  losses: Map<string, number[]>;
  backend: string;
  msPerStep: Map<string, number>;
  accuracy: Map<string, number>;
}

/** Runs the Train panel with `methods` on `device` for STEPS steps and reads the results table. */
async function train(page: Page, device: 'cpu' | 'gpu', methods: readonly MethodId[]): Promise<PageRun> {
  for (const id of METHODS) await page.setChecked(`#method-${id}`, methods.includes(id));
  await page.fill('#train-steps', String(STEPS));
  await page.fill('#train-batch', '32');
  await page.selectOption('#train-device', device);
  await page.selectOption('#train-s-scale', '1');
  await page.evaluate(() => { delete document.getElementById('train-status')?.dataset.state; });
  await page.click('#train-start');
  await page.waitForSelector('#train-status[data-state]', { timeout: 900_000 });
  const status = await page.locator('#train-status').textContent();
  assert.is(await page.locator('#train-status').getAttribute('data-state'), 'done', status ?? '');
  const rows = await page.$$eval('#train-results tr', (trs) => trs.map((tr) => ({
    method: tr.getAttribute('data-method') ?? '',
    losses: JSON.parse(tr.getAttribute('data-losses') ?? '[]') as number[],
    ms: Number(tr.querySelector('[data-field="ms"]')?.getAttribute('data-value')),
    accuracy: Number(tr.querySelector('[data-field="accuracy"]')?.getAttribute('data-value')),
  })));
  return {
    losses: new Map(rows.map((r) => [r.method, r.losses])),
    msPerStep: new Map(rows.map((r) => [r.method, r.ms])),
    accuracy: new Map(rows.map((r) => [r.method, r.accuracy])),
    backend: (await page.locator('#train-backend').getAttribute('data-value')) ?? '',
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function record(name: string, run: PageRun): void {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(join(OUTPUT_DIR, name), `${JSON.stringify({
    backend: run.backend, msPerStep: Object.fromEntries(run.msPerStep), accuracy: Object.fromEntries(run.accuracy), losses: Object.fromEntries(run.losses),
  }, null, 2)}\n`);
}

const training = suite<{ site: OpenSite; node: Map<MethodId, number[]> }>('site training');
if (!noChromium) {
  training.before(async (ctx) => {
    ctx.node = nodeLossCurves(METHODS);
    ctx.site = await openSite();
  });
  training.after(async (ctx) => { await ctx.site?.close(); });
}

testUnless(noChromium, `cpu device: ${STEPS} steps of FRoD, LoRA and the linear probe give frod demo's loss curves (the same first loss as Node)`, async ({ site, node }) => {
  const run = await train(site.page, 'cpu', METHODS);
  record('train-cpu.json', run);
  assert.is(run.backend, 'cpu');
  for (const id of METHODS) {
    const page = run.losses.get(id) ?? [];
    const reference = node.get(id) ?? [];
    assert.is(page.length, STEPS, id);
    assert.is(page[0], reference[0], `${id}: first loss ${page[0]} in the browser, ${reference[0]} in Node`);
    const worst = Math.max(...page.map((l, i) => Math.abs(l - reference[i]) / Math.abs(reference[i])));
    assert.ok(worst < 1e-6, `${id}: the curves part by ${worst} (relative)`);
  }
  for (const id of ['frod', 'lora']) {
    const losses = run.losses.get(id) ?? [];
    assert.ok(mean(losses.slice(-5)) < losses[0], `${id}: the loss went from ${losses[0]} to ${losses.slice(-5)}`);
  }
  assert.ok(run.accuracy.get('frod')! > 0.2, 'FRoD beats chance on the test digits');
  await screenshot(site.page, 'train-cpu', '#train');
}, training);

testUnless(noChromium, `gpu device on gpu.js's WebGL2 backend: ${STEPS} steps of FRoD start from Node's first loss and lower it`, async ({ site, node }) => {
  const run = await train(site.page, 'gpu', ['frod']);
  record('train-gpu.json', run);
  assert.is(run.backend, 'webgl2', 'gpu.backend() names WebGL2');
  assert.match((await site.page.locator('#train-backend').textContent()) ?? '', /gpu\.js backend 'webgl2' \(GL fragment shaders\)/);
  const losses = run.losses.get('frod') ?? [];
  const first = node.get('frod')?.[0] ?? NaN;
  assert.is(losses.length, STEPS);
  assert.ok(Math.abs(losses[0] - first) / first < 1e-5, `first loss ${losses[0]} on webgl2, ${first} in Node (float32 sums in another order)`);
  assert.ok(mean(losses.slice(-5)) < losses[0], `the loss went from ${losses[0]} to ${losses.slice(-5)}`);
  assert.equal(site.problems.errors, []);
  await screenshot(site.page, 'train-gpu', '#train');
}, training);

training.run();
