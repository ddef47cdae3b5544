/**
 * The page's entry: probes the browser, loads the shipped ViT and draws the Decompose and Rotate panels from
 * it, then loads the digits for the Train panel. `body[data-ready]` says when everything is wired (the
 * browser tests wait for it); `#first-picture` says how long the first picture took.
 */
import { fetchBaseModel, fetchDigits, baseTensors } from './assets';
import { decomposePanel } from './decompose';
import { byId } from './dom';
import { reportEnvironment } from './environment';
import { rotatePanel } from './rotate';
import { trainPanel } from './trainPanel';

async function main(): Promise<void> {
  const environment = reportEnvironment();
  const digits = fetchDigits();
  const files = await fetchBaseModel();
  const rotate = rotatePanel();
  decomposePanel(baseTensors(files), (d) => rotate.load(d));
  const firstPicture = performance.now();
  const timing = byId('first-picture');
  timing.textContent = `first picture ${Math.round(firstPicture)} ms after the page was requested`;
  timing.dataset.value = String(firstPicture);
  trainPanel(files, await digits);
  byId<HTMLButtonElement>('train-start').disabled = false;
  if ((await environment).webgl2 === null) {
    const option = byId<HTMLSelectElement>('train-device').querySelector<HTMLOptionElement>('option[value="gpu"]');
    if (option) {
      option.disabled = true;
      option.textContent = 'gpu (needs WebGL2, missing here)';
    }
  }
  document.body.dataset.ready = 'true';
}

main().catch((err: unknown) => {
  const box = document.getElementById('fatal');
  if (box) {
    box.hidden = false;
    box.textContent = `The page could not start: ${(err as Error).message}`;
  }
  document.body.dataset.ready = 'error';
  throw err;
});
