/**
 * One FRoD training step — forward, backward and an AdamW update — on every device/backend here, beside
 * @tensorflow/tfjs-backend-wasm doing the same step, all in one process, as ms per step and ratios.
 *
 * The model: 4 blocks of Linear(256, 256) + ReLU whose `proj` layers form one FRoD category (so they share
 * V and the sparse pattern), adapted with sparse_rate 0.01; batch 64, loss = mean squared error. tfjs has no
 * FRoD, so its step is the same math written in tfjs ops with this model's frozen U, V, bias and pattern:
 * z = xV, y = (z·(S∘M)ᵀ + z∘λ)Uᵀ + b with S dense and masked by the pattern M, AdamW by hand.
 * Run alone with `npx tsx bench/train-step.ts`, or through `npm run bench`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FrodConfig, Generator, getPeftModel, gpu, loadSafetensors, Module, nn, optim, randn, type Tensor,
} from '../src/index';

const BLOCKS = 4;
const WIDTH = 256;
const BATCH = 64;
const MIN_SECONDS = 1.5;
const LR = 1e-3;

class Stack extends Module {
  declare blocks: nn.ModuleList;
  constructor(generator: Generator) {
    super();
    const blocks = Array.from({ length: BLOCKS }, () => {
      const block = new Module();
      block.registerModule('proj', new nn.Linear(WIDTH, WIDTH, { generator }));
      return block;
    });
    this.registerModule('blocks', new nn.ModuleList(blocks));
  }

  override forward(x: Tensor): Tensor {
    let h = x;
    for (const block of this.blocks) h = (block.getSubmodule('proj') as nn.Linear).forward(h).relu();
    return h;
  }
}

interface Timed {
  msPerStep: number;
  firstLoss: number;
}

/** Best ms per step over repeated steps (at least 3, for MIN_SECONDS), after one warm-up step. */
function timeSteps(step: () => number): Timed {
  const firstLoss = step();
  let best = Infinity;
  let runs = 0;
  const start = performance.now();
  while (runs < 3 || performance.now() - start < MIN_SECONDS * 1000) {
    const t = performance.now();
    step();
    best = Math.min(best, performance.now() - t);
    runs++;
  }
  return { msPerStep: best, firstLoss };
}

function batch(): { x: Tensor; target: Tensor } {
  const generator = new Generator(7);
  return { x: randn([BATCH, WIDTH], { generator }), target: randn([BATCH, WIDTH], { generator }).relu() };
}

function frodModel() {
  const peft = getPeftModel(new Stack(new Generator(0)), new FrodConfig({ targetModules: ['proj'], sparseRate: 0.01, progressbar: false }));
  return peft;
}

/** A FRoD step on our engine, on `device`. */
function frodStep(device: 'cpu' | 'gpu'): Timed {
  const peft = frodModel();
  peft.to(device);
  const opt = new optim.AdamW(peft.parameters().filter((p) => p.requiresGrad), { lr: LR });
  const { x, target } = batch();
  const xs = x.to(device);
  const ts = target.to(device);
  return timeSteps(() => {
    opt.zeroGrad();
    const loss = peft.forward(xs).sub(ts).square().mean();
    loss.backward();
    opt.step();
    return loss.item();
  });
}

type Tf = typeof import('@tensorflow/tfjs-core');

async function loadTfWasm(): Promise<Tf> {
  const require = createRequire(import.meta.url);
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(pathToFileURL(join(dist, 'dist') + '/').href);
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/** The same step in tfjs ops, with this model's frozen tensors (U, V, bias, pattern) and initial λ. */
function tfjsStep(tf: Tf): Timed {
  const peft = frodModel();
  const files = peft.adapterFiles('default');
  const adapter = loadSafetensors(files.safetensors).tensors;
  const v = tf.tensor2d(adapter['base_model.frod_V.proj'].data() as Float32Array, [WIDTH, WIDTH]);
  const indices = adapter['base_model.frod_s_indices.proj'];
  const nnz = indices.shape[1];
  const mask = new Float32Array(WIDTH * WIDTH);
  const idx = indices.data();
  for (let t = 0; t < nnz; t++) mask[idx[t] * WIDTH + idx[nnz + t]] = 1;
  const maskT = tf.tensor2d(mask, [WIDTH, WIDTH]);
  const layers = Array.from({ length: BLOCKS }, (_, i) => {
    const path = `blocks.${i}.proj`;
    const frodLayer = peft.model.getSubmodule(path);
    const u = frodLayer.getSubmodule('frod_U').ownBuffers().find(([name]) => name === 'default')![1];
    const bias = frodLayer.getSubmodule('base_layer').ownParameters().find(([name]) => name === 'bias')![1];
    return {
      u: tf.tensor2d(u.data() as Float32Array, [WIDTH, WIDTH]),
      bias: tf.tensor1d(bias.data() as Float32Array),
      lambda: tf.variable(tf.tensor1d(adapter[`base_model.model.${path}.frod_lambda_l`].data() as Float32Array)),
      s: tf.variable(tf.zeros([WIDTH, WIDTH])),
    };
  });
  const params = layers.flatMap((l) => [l.lambda, l.s]);
  const moments = params.map((p) => ({ m: tf.variable(tf.zerosLike(p)), v: tf.variable(tf.zerosLike(p)) }));
  const { x, target } = batch();
  const xt = tf.tensor2d(x.data() as Float32Array, [BATCH, WIDTH]);
  const tt = tf.tensor2d(target.data() as Float32Array, [BATCH, WIDTH]);
  let stepCount = 0;
  const [beta1, beta2, eps, weightDecay] = [0.9, 0.999, 1e-8, 0.01];
  // tfjs-core alone registers no gradients, so the backward pass is written out (it is short):
  // y = relu(a Uᵀ + b), a = z·Smᵀ + z∘λ, z = hV  ⇒  g_a = g_pre·U, g_λ = Σ_rows g_a∘z, g_Sm = (g_aᵀz)∘M,
  // g_h = (g_a·Sm + g_a∘λ)·Vᵀ.
  return timeSteps(() => tf.tidy(() => {
    const saved: { z: Tf['Tensor']['prototype']; pre: Tf['Tensor']['prototype']; sm: Tf['Tensor']['prototype'] }[] = [];
    let h: Tf['Tensor']['prototype'] = xt;
    for (const l of layers) {
      const z = tf.matMul(h, v);
      const sm = tf.mul(l.s, maskT);
      const pre = tf.add(tf.matMul(tf.add(tf.matMul(z, sm, false, true), tf.mul(z, l.lambda)), l.u, false, true), l.bias);
      saved.push({ z, pre, sm });
      h = tf.relu(pre);
    }
    const diff = tf.sub(h, tt);
    const loss = tf.mean(tf.square(diff)).dataSync()[0];
    let g = tf.mul(diff, 2 / (BATCH * WIDTH));
    const grads: Tf['Tensor']['prototype'][] = new Array(params.length);
    for (let i = layers.length - 1; i >= 0; i--) {
      const { z, pre, sm } = saved[i];
      const l = layers[i];
      const gPre = tf.mul(g, tf.step(pre));
      const gA = tf.matMul(gPre, l.u);
      grads[2 * i] = tf.sum(tf.mul(gA, z), 0);
      grads[2 * i + 1] = tf.mul(tf.matMul(gA, z, true, false), maskT);
      g = tf.matMul(tf.add(tf.matMul(gA, sm), tf.mul(gA, l.lambda)), v, false, true);
    }
    stepCount++;
    const c1 = 1 - beta1 ** stepCount;
    const c2 = 1 - beta2 ** stepCount;
    params.forEach((p, i) => {
      const { m, v: vv } = moments[i];
      p.assign(tf.mul(p, 1 - LR * weightDecay));
      m.assign(tf.add(tf.mul(m, beta1), tf.mul(grads[i], 1 - beta1)));
      vv.assign(tf.add(tf.mul(vv, beta2), tf.mul(tf.square(grads[i]), 1 - beta2)));
      p.assign(tf.sub(p, tf.div(tf.mul(m, LR / c1), tf.add(tf.sqrt(tf.div(vv, c2)), eps))));
    });
    return loss;
  }));
}

export async function run(): Promise<void> {
  console.log(`\n## One FRoD training step (forward, backward, AdamW): ${BLOCKS} × Linear(${WIDTH}, ${WIDTH}) in one category, sparse_rate 0.01, batch ${BATCH}`);
  const rows: [string, Timed][] = [['frod-ts cpu device', frodStep('cpu')]];
  for (const mode of gpu.availableBackends()) {
    gpu.configure({ mode });
    rows.push([`frod-ts gpu device (${gpu.backend()})`, frodStep('gpu')]);
  }
  gpu.configure({});
  try {
    const tf = await loadTfWasm();
    rows.push(['tfjs-backend-wasm (same math, dense masked S)', tfjsStep(tf)]);
  } catch (err) {
    console.log(`tfjs-backend-wasm skipped: ${(err as Error).message}`);
  }
  const cpuMs = rows[0][1].msPerStep;
  console.log(`${'engine'.padEnd(48)}${'ms/step'.padStart(10)}${'× cpu device'.padStart(14)}${'first loss'.padStart(12)}`);
  for (const [name, t] of rows) {
    console.log(`${name.padEnd(48)}${t.msPerStep.toFixed(1).padStart(10)}${(cpuMs / t.msPerStep).toFixed(3).padStart(13)}×${t.firstLoss.toFixed(5).padStart(12)}`);
  }
  console.log('(× cpu device > 1: faster than our cpu device; equal first losses show the engines computed the same step)');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err) => { console.error(err); process.exit(1); });
}
