/**
 * The Train panel: fine-tunes the shipped ViT on digits 5–9 with FRoD, LoRA and the linear probe — same
 * steps, same batches — on the `cpu` device (the engine's WebAssembly kernels) or the `gpu` device (gpu.js,
 * loaded only when picked), with live loss curves, test accuracy, trainable-parameter counts and ms per step.
 */
import { gpu, type Device } from 'frod-ts';
import type { BaseModelFiles, Digits } from './assets';
import { lossCurves } from './charts';
import { byId, nextFrame, numberInput, setText } from './dom';
import { fmt } from './matrices';
import { METHODS, accuracy, freshModel, trainSteps, type MethodSpec } from './trainer';

interface RunRecord {
  spec: MethodSpec;
  losses: number[];
  stepMs: number[];
}

let gpuJsLoading: Promise<void> | null = null;

/** Loads gpu.js's browser build (a script that defines the global `GPU`) and hands it to the gpu device. */
export function loadGpuJs(): Promise<void> {
  gpuJsLoading ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'vendor/gpu-browser.min.js';
    script.onload = () => {
      try {
        gpu.use((globalThis as unknown as { GPU: object }).GPU);
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    };
    script.onerror = () => reject(new Error('could not load vendor/gpu-browser.min.js (gpu.js)'));
    document.head.append(script);
  });
  return gpuJsLoading;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};

function resultRow(spec: MethodSpec): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.method = spec.id;
  row.innerHTML = `<th scope="row"></th><td data-field="trainable"></td><td data-field="ms"></td>`
    + `<td data-field="first"></td><td data-field="last"></td><td data-field="accuracy">…</td>`;
  (row.firstElementChild as HTMLElement).textContent = spec.name;
  return row;
}

function setCell(row: HTMLTableRowElement, field: string, text: string, value: number | string): void {
  const cell = row.querySelector<HTMLElement>(`[data-field="${field}"]`);
  if (!cell) return;
  cell.textContent = text;
  cell.dataset.value = String(value);
}

/** Names the device the run uses, as the page shows it (`gpu.backend()` for the gpu device). */
async function describeDevice(device: Device): Promise<string> {
  const backend = byId('train-backend');
  if (device === 'cpu') {
    backend.dataset.value = 'cpu';
    return 'cpu device: frod-ts’s own kernels (WebAssembly SIMD matmul, float64 accumulation), one thread';
  }
  await loadGpuJs();
  const mode = gpu.backend();
  backend.dataset.value = mode;
  if (!gpu.isAccelerated()) {
    throw new Error(`the gpu device found no WebGL here (gpu.js chose '${mode}'); its WebAssembly emulation runs out of memory in a training run in this browser, so use the cpu device`);
  }
  return `gpu device: gpu.js backend '${mode}' (GL fragment shaders). WebGPU is not used: gpu.js runs WebGPU kernels only asynchronously, and the engine's tensor ops are synchronous.`;
}

export function trainPanel(files: BaseModelFiles, digits: Digits): void {
  const start = byId<HTMLButtonElement>('train-start');
  const stop = byId<HTMLButtonElement>('train-stop');
  let stopping = false;
  stop.addEventListener('click', () => { stopping = true; });
  start.addEventListener('click', async () => {
    const status = byId('train-status');
    start.disabled = true;
    stop.disabled = false;
    stopping = false;
    try {
      const steps = numberInput('train-steps');
      const batchSize = numberInput('train-batch');
      const device = byId<HTMLSelectElement>('train-device').value as Device;
      const sScale = Number(byId<HTMLSelectElement>('train-s-scale').value);
      const chosen = METHODS.filter((m) => byId<HTMLInputElement>(`method-${m.id}`).checked);
      if (chosen.length === 0) throw new Error('pick at least one method');
      setText('train-backend', await describeDevice(device));
      const tbody = byId('train-results');
      const rows = new Map(chosen.map((spec) => [spec.id, resultRow(spec)]));
      tbody.replaceChildren(...rows.values());
      const runs: RunRecord[] = [];
      for (const spec of chosen) {
        if (stopping) break;
        const row = rows.get(spec.id) as HTMLTableRowElement;
        status.textContent = `${spec.name}: preparing the model…`;
        await nextFrame();
        const prepared = spec.prepare(freshModel(files, 0));
        if (device !== 'cpu') prepared.module.to(device);
        setCell(row, 'trainable', `${prepared.trainableParams.toLocaleString('en')} (${((100 * prepared.trainableParams) / prepared.totalParams).toFixed(2)}%)`, prepared.trainableParams);
        const run: RunRecord = { spec, losses: [], stepMs: [] };
        runs.push(run);
        for await (const report of trainSteps(prepared, digits.train, spec.learningRate, { steps, batchSize, seed: 0, device, sLearningRateScale: sScale })) {
          run.losses.push(report.loss);
          run.stepMs.push(report.ms);
          if (report.step === 1) setCell(row, 'first', fmt(report.loss), report.loss);
          setCell(row, 'last', fmt(report.loss), report.loss);
          row.dataset.losses = JSON.stringify(run.losses);
          // The first step compiles kernels on the gpu device; the median leaves it out.
          const ms = median(run.stepMs.length > 1 ? run.stepMs.slice(1) : run.stepMs);
          setCell(row, 'ms', ms.toFixed(0), ms);
          status.textContent = `${spec.name}: step ${report.step} of ${steps}, loss ${report.loss.toFixed(4)}`;
          lossCurves(byId('chart-loss'), runs.map((r) => ({ method: r.spec.name, losses: r.losses })));
          await nextFrame();
          if (stopping) break;
        }
        status.textContent = `${spec.name}: measuring test accuracy on ${digits.test.count} images…`;
        await nextFrame();
        const acc = accuracy(prepared, digits.test, device);
        setCell(row, 'accuracy', `${(100 * acc).toFixed(1)}%`, acc);
        if (device !== 'cpu') prepared.module.to('cpu');
      }
      status.textContent = stopping ? 'stopped' : `done: ${runs.length} method${runs.length > 1 ? 's' : ''}, ${steps} steps each`;
      status.dataset.state = stopping ? 'stopped' : 'done';
    } catch (err) {
      status.textContent = `error: ${(err as Error).message}`;
      status.dataset.state = 'error';
    } finally {
      start.disabled = false;
      stop.disabled = true;
    }
  });
}
