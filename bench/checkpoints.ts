/**
 * `npm run bench -- checkpoints`: the `frod` command on a real-sized Hugging Face model folder — wall time,
 * CPU time and peak RSS (GNU time's maximum resident set size) of `frod inspect`, `frod init` (q_proj, v_proj;
 * all-linear with `--all-linear`; that row alone with `--all-linear-only`) and `frod merge`, each in its own process, beside `cp -r` of the folder (the
 * I/O floor) and the same work in numpy (bench/checkpoints-numpy.py, float64 on OpenBLAS, all cores) when a
 * python3 with numpy is around, as ratios.
 *
 * The model is made by scripts/make-model.ts (seeded random weights with the real names and shapes) in
 * FROD_BENCH_DIR (default: the OS temp dir), FROD_BENCH_MODEL (default llama-3.2-1b, ~2.5 GB in bf16,
 * FROD_BENCH_SHARDS shards, default 3), and deleted afterwards unless `--keep`. FROD_BENCH_MODEL=llama-tiny
 * runs the whole thing in seconds. The machine's load (uptime) is printed before and after: timings on a
 * shared machine are noisy, run it twice.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeModel } from '../scripts/make-model';
import { MODEL_SHAPES } from '../scripts/model-shapes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NUMPY_SCRIPT = path.join(ROOT, 'bench', 'checkpoints-numpy.py');

/** One measured command. */
interface Measure { wall: number; cpu: number; rssMiB: number | null; ok: boolean; note: string }

function loadLine(): string {
  return fs.existsSync('/proc/loadavg') ? `load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}` : '';
}

/** Runs `command args` under GNU time (when present) and returns its wall/CPU seconds and peak RSS. */
function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const useTime = fs.existsSync('/usr/bin/time');
  const started = performance.now();
  const run = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 })
    : spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const wall = (performance.now() - started) / 1000;
  const line = (run.stderr ?? '').split('\n').reverse().find((l) => l.startsWith('TIME '));
  const ok = run.status === 0;
  const note = ok ? '' : (run.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('TIME ')).slice(-1)[0] ?? `status ${run.status}`;
  if (!line) return { wall, cpu: NaN, rssMiB: null, ok, note };
  const [, , user, system, rssKiB] = line.split(' ').map(Number);
  return { wall, cpu: user + system, rssMiB: rssKiB / 1024, ok, note };
}

/**
 * The CLI as users run it from the package (dist/cli.js, bundled the way tsup bundles it), built into
 * node_modules/.cache so that the figures do not include tsx compiling TypeScript at start-up.
 */
function bundledCli(): string {
  const out = path.join(ROOT, 'node_modules', '.cache', 'frod-bench', 'cli.mjs');
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const run = spawnSync(esbuild, [path.join(ROOT, 'src', 'cli', 'main.ts'), '--bundle', '--platform=node', '--format=esm',
    '--target=node20', '--packages=external', `--outfile=${out}`, '--log-level=error'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bench checkpoints: esbuild failed: ${run.stderr}`);
  return out;
}

/** A python3 that imports numpy, or null. */
function numpyPython(): string | null {
  for (const python of [process.env.FROD_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)) {
    if (spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

/** numpy's environment: both cores, without the OpenBLAS overrides some shells set. */
function numpyEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const mib = (m: Measure | null) => (m?.rssMiB == null ? '—' : m.rssMiB.toFixed(0));

function printRow(label: string, ours: Measure | null, peer: Measure | null, peerName: string): void {
  const ratio = ours && peer && peer.ok ? `${(ours.wall / peer.wall).toFixed(2)}×` : '—';
  const failed = (m: Measure | null) => (m && !m.ok ? ` FAILED: ${m.note}` : '');
  console.log(`${label.padEnd(34)} ${fmt(ours?.wall ?? NaN).padStart(8)} ${fmt(ours?.cpu ?? NaN).padStart(8)} ${mib(ours).padStart(8)}   `
    + `${peerName.padEnd(6)} ${fmt(peer?.wall ?? NaN).padStart(8)} ${fmt(peer?.cpu ?? NaN).padStart(8)} ${mib(peer).padStart(8)} ${ratio.padStart(8)}`
    + `${failed(ours)}${failed(peer)}`);
}

/** Bytes of every file under `dir`. */
function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
}

export async function run(): Promise<void> {
  const shapeName = process.env.FROD_BENCH_MODEL ?? 'llama-3.2-1b';
  const shape = MODEL_SHAPES[shapeName]?.();
  if (!shape) throw new Error(`bench checkpoints: unknown FROD_BENCH_MODEL ${shapeName}`);
  const work = fs.mkdtempSync(path.join(process.env.FROD_BENCH_DIR ?? os.tmpdir(), `frod-bench-${shapeName}-`));
  const keep = process.argv.includes('--keep');
  // --all-linear-only measures the all-linear row alone (with inspect and cp): the q,v and merge rows take
  // another ~15 minutes here and do not change between runs of the all-linear set-up.
  const allLinearOnly = process.argv.includes('--all-linear-only');
  const allLinear = allLinearOnly || process.argv.includes('--all-linear');
  const model = path.join(work, 'model');
  console.log(`\ncheckpoints: ${shapeName}, bf16 — ${os.cpus().length} cores; ${loadLine()} (before)`);
  try {
    const t0 = performance.now();
    await makeModel({ shape: shapeName, out: model, dtype: 'bf16', shards: Number(process.env.FROD_BENCH_SHARDS ?? 3) });
    const size = folderBytes(model);
    console.log(`made ${model} (${(size / 2 ** 30).toFixed(2)} GiB, ${shape.tensors.length} tensors) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const qRows = shape.tensors.filter((t) => t.name.endsWith('q_proj.weight')).reduce((s, t) => s + t.shape[0], 0);
    const qIn = shape.tensors.find((t) => t.name.endsWith('q_proj.weight'))?.shape[1] ?? 0;
    const stackMiB = (qRows * qIn * 8) / 2 ** 20;
    console.log(`float64 stack of q_proj: ${qRows}×${qIn} = ${stackMiB.toFixed(0)} MiB (init target: peak ≤ 2.5× = ${(2.5 * stackMiB).toFixed(0)} MiB)`);
    const python = numpyPython();
    const config = (targets: unknown) => {
      const file = path.join(work, `config-${Array.isArray(targets) ? targets.join('-') : targets}.json`);
      fs.writeFileSync(file, JSON.stringify({ peft_type: 'FROD', target_modules: targets, progressbar: false }));
      return file;
    };
    const cli = bundledCli();
    const frod = (...args: string[]) => measure(process.execPath, [cli, '--no-progress', ...args]);
    const numpy = (...args: string[]) => (python ? measure(python, [NUMPY_SCRIPT, ...args], numpyEnv()) : null);

    const cp = measure('cp', ['-r', model, path.join(work, 'copy')]);
    fs.rmSync(path.join(work, 'copy'), { recursive: true, force: true });
    const rows: Array<[string, Measure | null, Measure | null]> = [];
    rows.push(['inspect (folder, headers only)', frod('inspect', model), numpy('inspect', model)]);
    if (!allLinearOnly) {
      rows.push(['init q_proj,v_proj', frod('init', '--base', model, '--config', config(['q_proj', 'v_proj']), '--out', path.join(work, 'adapter')),
        numpy('init', model, path.join(work, 'np-adapter'), 'q_proj,v_proj')]);
    }
    if (allLinear) {
      rows.push(['init all-linear', frod('init', '--base', model, '--config', config('all-linear'), '--out', path.join(work, 'adapter-all')),
        numpy('init', model, path.join(work, 'np-adapter-all'), 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj')]);
    }
    if (!allLinearOnly) {
      rows.push(['merge q_proj,v_proj → folder', frod('merge', '--base', model, '--adapter', path.join(work, 'adapter'), '--out', path.join(work, 'merged')),
        numpy('merge', model, path.join(work, 'np-adapter'), path.join(work, 'np-merged'))]);
    }
    console.log(`\n${'command'.padEnd(34)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)} ${'RSS MiB'.padStart(8)}   ${'peer'.padEnd(6)} `
      + `${'wall s'.padStart(8)} ${'cpu s'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'ratio'.padStart(8)}`);
    printRow('cp -r (the I/O floor)', cp, null, '');
    for (const [label, ours, peer] of rows) printRow(label, ours, peer, python ? 'numpy' : '');
    const merge = rows.find(([label]) => label.startsWith('merge'))?.[1];
    if (merge?.ok) printRow('merge vs cp -r', merge, cp, 'cp');
    if (!python) console.log('(no python3 with numpy: the numpy column is empty)');
    console.log(`frod ran as one bundled file (as dist/cli.js); ${loadLine()} (after)`);
  } finally {
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
