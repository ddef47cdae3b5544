/**
 * A self-contained SVG line chart of training-loss curves (no plotting library): one colour per method,
 * the raw per-step loss drawn faint and an exponential moving average drawn solid, on a log-scaled loss
 * axis so the late, small losses stay readable.
 */

/** One curve: a method's training loss at steps 1, 2, …. */
export interface LossSeries {
  name: string;
  losses: readonly number[];
}

export interface PlotOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Weight of the newest value in the moving average (default 0.1; 1 = no smoothing). */
  smoothing?: number;
}

/** A colour-blind-friendly palette (Okabe–Ito), cycled if there are more series. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** Exponential moving average with bias correction (as TensorBoard's smoothing, so early values are not pulled to 0). */
export function movingAverage(values: readonly number[], weight: number): number[] {
  const out: number[] = [];
  let average = 0;
  let mass = 0;
  for (const v of values) {
    average = (1 - weight) * average + weight * v;
    mass = (1 - weight) * mass + weight;
    out.push(average / mass);
  }
  return out;
}

/** Escapes text for SVG. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tick values on a log axis: powers of ten and their 2× and 5× in [lo, hi] (at least the ends). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** About five round tick values in [0, max]. */
function linearTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-12)));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

function formatTick(v: number): string {
  return v >= 1 ? String(Number(v.toPrecision(3))) : v.toPrecision(1);
}

/** An SVG polyline path through finite points. */
function pathOf(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

/**
 * Renders the loss curves as an SVG document (a string). Non-finite and non-positive losses are skipped
 * (they cannot sit on a log axis). Throws when no series has a usable value.
 */
export function lossCurvesSvg(series: readonly LossSeries[], options: PlotOptions = {}): string {
  const { title = 'Training loss', width = 760, height = 420, smoothing = 0.1 } = options;
  const usable = series.map((s) => s.losses.filter((v) => Number.isFinite(v) && v > 0));
  const all = usable.flat();
  if (all.length === 0) throw new Error('lossCurvesSvg: no finite positive loss value to plot');
  const maxSteps = Math.max(...series.map((s) => s.losses.length));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const [yLo, yHi] = lo === hi ? [lo / 2, hi * 2] : [lo, hi];
  const longestName = Math.max(0, ...series.map((s) => s.name.length));
  const margin = { left: 60, right: Math.max(150, 48 + Math.ceil(6.8 * longestName)), top: 36, bottom: 44 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xOf = (step: number) => margin.left + (maxSteps <= 1 ? 0 : ((step - 1) / (maxSteps - 1)) * plotW);
  const yOf = (v: number) => margin.top + (1 - (Math.log(v) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  for (const v of logTicks(yLo, yHi)) {
    const y = yOf(v).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`);
  }
  for (const step of linearTicks(maxSteps)) {
    if (step < 1 && maxSteps > 1) continue;
    const x = xOf(Math.max(step, 1)).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 17}" text-anchor="middle">${step}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 8}" text-anchor="middle">training step</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">cross-entropy loss (log scale)</text>`);
  series.forEach((s, index) => {
    const colour = PALETTE[index % PALETTE.length];
    const raw: [number, number][] = [];
    s.losses.forEach((v, i) => { if (Number.isFinite(v) && v > 0) raw.push([xOf(i + 1), yOf(v)]); });
    const finite = s.losses.map((v) => (Number.isFinite(v) && v > 0 ? v : NaN));
    const smooth: [number, number][] = [];
    movingAverage(finite.filter((v) => !Number.isNaN(v)), smoothing).forEach((v, k) => smooth.push([raw[k][0], yOf(v)]));
    if (raw.length > 0) {
      parts.push(`<path d="${pathOf(raw)}" fill="none" stroke="${colour}" stroke-opacity="0.22" stroke-width="1"/>`);
      parts.push(`<path d="${pathOf(smooth)}" fill="none" stroke="${colour}" stroke-width="2"><title>${escapeXml(s.name)}</title></path>`);
    }
    const ly = margin.top + 10 + index * 20;
    const lx = margin.left + plotW + 14;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  const noteY = margin.top + 14 + series.length * 20;
  parts.push(`<text x="${margin.left + plotW + 14}" y="${noteY}" fill="#666" font-size="10">faint: each step</text>`);
  parts.push(`<text x="${margin.left + plotW + 14}" y="${noteY + 13}" fill="#666" font-size="10">solid: moving average</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
