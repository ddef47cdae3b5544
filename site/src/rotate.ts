/**
 * The Rotate panel: move λ entries and a few S entries of one layer and watch W′ = U (S + diag λ) Vᵀ and
 * ΔW = W′ − W change, with the rank of ΔW — of the whole update, of its λ part and of its S part — beside
 * what a LoRA update of the same parameter budget can reach. ΔW is formed as U (S + diag(λ − λ₀)) Vᵀ with the
 * library's adaptedWeight (linear in λ and S), so a small move is not lost to cancellation.
 */
import { Generator, adaptedWeight } from 'frod-ts';
import { heatmap, spectrum } from './charts';
import { byId, setText } from './dom';
import { fmt, rankOf, type Mat } from './matrices';
import type { Decomposition } from './decompose';

/** How many S entries get a slider (the first entries of the pattern). */
const S_SLIDERS = 4;

interface RotateState {
  d: Decomposition;
  layer: number;
  /** λ′ / λ₀ per direction. */
  lambdaScale: Float64Array;
  sValues: Float64Array;
}

function lambdaOf(s: RotateState): { base: Float64Array; moved: Float64Array; delta: Float64Array } {
  const base = s.d.layers[s.layer].lambda;
  const moved = base.map((l, j) => l * s.lambdaScale[j]);
  return { base, moved, delta: moved.map((l, j) => l - base[j]) };
}

/** ΔW from a λ change and S values: U (S + diag Δλ) Vᵀ. */
function update(s: RotateState, deltaLambda: ArrayLike<number>, sValues: ArrayLike<number>): Mat {
  return adaptedWeight(s.d.layers[s.layer].u, s.d.projection.v, deltaLambda, s.d.pattern, sValues);
}

function showRank(id: string, rank: number, of: number): void {
  const el = byId(id);
  el.textContent = `${rank} of ${of}`;
  el.dataset.value = String(rank);
}

function render(s: RotateState): void {
  const { d } = s;
  const w = d.weights[s.layer];
  const { moved, delta } = lambdaOf(s);
  const zerosS = new Float64Array(d.pattern.nnz);
  const wPrime = adaptedWeight(d.layers[s.layer].u, d.projection.v, moved, d.pattern, s.sValues);
  const deltaW = update(s, delta, s.sValues);
  const full = Math.min(w.rows, w.cols);
  const whole = rankOf(deltaW);
  showRank('rank-delta', whole.rank, full);
  showRank('rank-lambda', rankOf(update(s, delta, zerosS)).rank, full);
  showRank('rank-s', rankOf(update(s, new Float64Array(delta.length), s.sValues)).rank, full);
  const budget = w.cols + d.pattern.nnz;
  const loraRank = Math.max(1, Math.floor(budget / (w.rows + w.cols)));
  showRank('rank-lora', loraRank, full);
  setText('rotate-budget', `FRoD trains in + nnz = ${w.cols} + ${d.pattern.nnz} = ${budget} values in this layer, whatever out is. `
    + `A LoRA update of rank r trains r·(in + out) = r·${w.rows + w.cols}: the same budget buys r = ${fmt(budget / (w.rows + w.cols))}, `
    + `so rank ${loraRank} at best (${loraRank * (w.rows + w.cols)} values).`);
  const range = Math.max(...Array.from(w.data, Math.abs));
  heatmap(byId('chart-wprime'), wPrime, { xLabel: 'input feature', yLabel: 'output', label: 'W′', range });
  heatmap(byId('chart-delta'), deltaW, { xLabel: 'input feature', yLabel: 'output', label: 'ΔW = W′ − W' });
  const floor = Math.max(whole.tolerance * 1e-3, 1e-300);
  spectrum(byId('chart-delta-sv'), whole.singularValues.map((v) => Math.max(v, floor)), {
    yLabel: 'singular values of ΔW', rule: { value: Math.max(whole.tolerance, floor), label: 'rank cut-off' },
  });
  for (let t = 0; t < Math.min(S_SLIDERS, d.pattern.nnz); t++) {
    const c = d.pattern.cols[t];
    const angle = (Math.atan2(s.sValues[t], moved[c]) * 180) / Math.PI;
    setText(`s-angle-${t}`, `S[${d.pattern.rows[t]},${c}] = ${fmt(s.sValues[t])}: tilts direction ${c} toward u${d.pattern.rows[t]} by ≈ ${angle.toFixed(1)}°`);
  }
}

/** Sets the sliders from the state (after a reset or a perturbation). */
function syncControls(s: RotateState): void {
  const j = Number(byId<HTMLInputElement>('lambda-direction').value);
  byId<HTMLInputElement>('lambda-slider').value = String(s.lambdaScale[j] ?? 1);
  setText('lambda-value', `(λ${j}: ${fmt(s.d.layers[s.layer].lambda[j] ?? 0)} → ${fmt((s.d.layers[s.layer].lambda[j] ?? 0) * (s.lambdaScale[j] ?? 1))})`);
  for (let t = 0; t < S_SLIDERS; t++) {
    const slider = byId<HTMLInputElement>(`s-slider-${t}`);
    slider.disabled = t >= s.d.pattern.nnz;
    slider.value = String(s.sValues[t] ?? 0);
  }
}

export interface RotatePanel {
  /** A new category from the Decompose panel: start again from λ₀ and S = 0 on its first layer. */
  load(d: Decomposition): void;
}

export function rotatePanel(): RotatePanel {
  let state: RotateState | null = null;
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (state) render(state);
    });
  };
  const reset = (layer: number) => {
    if (!state) return;
    const n = state.d.projection.v.cols;
    state = { d: state.d, layer, lambdaScale: new Float64Array(n).fill(1), sValues: new Float64Array(state.d.pattern.nnz) };
    const direction = byId<HTMLInputElement>('lambda-direction');
    direction.max = String(n - 1);
    if (Number(direction.value) > n - 1) direction.value = '0';
    syncControls(state);
    redraw();
  };
  byId<HTMLSelectElement>('rotate-layer').addEventListener('change', (e) => reset(Number((e.target as HTMLSelectElement).value)));
  byId('lambda-direction').addEventListener('input', () => state && syncControls(state));
  byId('lambda-slider').addEventListener('input', (e) => {
    if (!state) return;
    const j = Number(byId<HTMLInputElement>('lambda-direction').value);
    if (!(j >= 0 && j < state.lambdaScale.length)) return;
    state.lambdaScale[j] = Number((e.target as HTMLInputElement).value);
    syncControls(state);
    redraw();
  });
  for (let t = 0; t < S_SLIDERS; t++) {
    byId(`s-slider-${t}`).addEventListener('input', (e) => {
      if (!state || t >= state.sValues.length) return;
      state.sValues[t] = Number((e.target as HTMLInputElement).value);
      redraw();
    });
  }
  byId('rotate-reset').addEventListener('click', () => state && reset(state.layer));
  // As docs/frod-math.md §4 does: random S values and every λ scaled by 1 + 0.1·N(0, 1), from one seeded generator.
  byId('rotate-perturb').addEventListener('click', () => {
    if (!state) return;
    const g = new Generator('frod-math-ranks');
    state.sValues = Float64Array.from({ length: state.d.pattern.nnz }, () => g.normal());
    state.lambdaScale = Float64Array.from(state.lambdaScale, () => 1 + 0.1 * g.normal());
    syncControls(state);
    redraw();
  });
  return {
    load(d) {
      const select = byId<HTMLSelectElement>('rotate-layer');
      select.replaceChildren(...d.weights.map((_, i) => new Option(d.paths[i] ? `layer ${i} — ${d.paths[i]}` : `layer ${i}`, String(i))));
      state = { d, layer: 0, lambdaScale: new Float64Array(0), sValues: new Float64Array(0) };
      reset(0);
    },
  };
}
