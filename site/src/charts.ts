/**
 * The page's pictures, drawn by Observable Plot as SVG with labelled axes (a heat map's cells are one raster
 * image inside the SVG). Each function replaces the contents of a container element.
 */
import * as Plot from '@observablehq/plot';

/** A row-major matrix of numbers, as the charts take it. */
export interface Grid {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

function place(container: HTMLElement, chart: Element): void {
  container.replaceChildren(chart);
}

/** Width to draw at: the container's, capped, so charts fit a narrow screen. */
function widthOf(container: HTMLElement, max = 460): number {
  return Math.max(240, Math.min(max, container.clientWidth || max));
}

const maxAbs = (values: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
};

export interface HeatmapOptions {
  xLabel: string;
  yLabel: string;
  /** Colour legend label. */
  label: string;
  /** Symmetric colour range [−m, m]; by default the largest |value|. */
  range?: number;
}

/** A matrix as a heat map: column index across, row index down, value in a diverging red–blue scale. */
export function heatmap(container: HTMLElement, grid: Grid, options: HeatmapOptions): void {
  const width = widthOf(container);
  const range = options.range ?? (maxAbs(grid.data) || 1);
  const height = Math.round(Math.min(2.2, Math.max(0.5, grid.rows / grid.cols)) * (width - 60)) + 60;
  place(container, Plot.plot({
    width, height, marginLeft: 50, marginBottom: 40,
    x: { domain: [0, grid.cols], label: options.xLabel },
    y: { domain: [grid.rows, 0], label: options.yLabel },
    color: { type: 'linear', scheme: 'rdbu', reverse: true, domain: [-range, range], clamp: true, legend: true, label: options.label },
    marks: [
      Plot.raster(Array.from(grid.data), { width: grid.cols, height: grid.rows, x1: 0, x2: grid.cols, y1: 0, y2: grid.rows, imageRendering: 'pixelated' }),
      Plot.frame(),
    ],
  }));
}

/** Values against their index as dots (log scale), with an optional horizontal rule and its label. */
export function spectrum(container: HTMLElement, values: ArrayLike<number>, options: { yLabel: string; rule?: { value: number; label: string } }): void {
  const points = Array.from(values, (v, j) => ({ j, v }));
  place(container, Plot.plot({
    width: widthOf(container), height: 220, marginLeft: 60,
    x: { label: 'index j', grid: true },
    y: { type: 'log', label: options.yLabel, grid: true },
    marks: [
      Plot.dot(points, { x: 'j', y: 'v', r: 2.5, fill: 'currentColor' }),
      ...(options.rule ? [
        Plot.ruleY([options.rule.value], { stroke: '#d6604d', strokeDasharray: '4 3' }),
        Plot.text([options.rule], { x: () => points.length - 1, y: 'value', text: 'label', textAnchor: 'end', dy: -8, fill: '#d6604d' }),
      ] : []),
    ],
  }));
}

/** λ of every layer as bars, one row of bars per layer, over the basis directions. */
export function lambdaBars(container: HTMLElement, lambdas: readonly ArrayLike<number>[]): void {
  const data = lambdas.flatMap((lambda, layer) => Array.from(lambda, (value, j) => ({ layer: `layer ${layer}`, j, value })));
  const n = lambdas[0]?.length ?? 0;
  place(container, Plot.plot({
    width: widthOf(container), height: 70 + 90 * lambdas.length, marginLeft: 50, marginRight: 60,
    x: { label: 'basis direction j (column of V)', ticks: Array.from({ length: Math.ceil(n / 16) }, (_, i) => i * 16), type: 'band' },
    y: { label: 'λ', grid: true },
    fy: { label: null },
    marks: [Plot.barY(data, { x: 'j', y: 'value', fy: 'layer', fill: '#4393c3' }), Plot.ruleY([0])],
  }));
}

/** The positions of S's trainable entries in the in × in matrix (row r, column c), with the diagonal drawn. */
export function patternDots(container: HTMLElement, rows: ArrayLike<number>, cols: ArrayLike<number>, size: number): void {
  const points = Array.from(rows, (r, t) => ({ r: r + 0.5, c: cols[t] + 0.5 }));
  const width = Math.min(widthOf(container), 360);
  place(container, Plot.plot({
    width, height: width, marginLeft: 50, marginBottom: 40,
    x: { domain: [0, size], label: 'column c (direction that tilts)' },
    y: { domain: [size, 0], label: 'row r (toward uᵣ)' },
    marks: [
      Plot.frame(),
      Plot.line([[0, 0], [size, size]], { stroke: '#bbb', strokeDasharray: '3 3' }),
      Plot.dot(points, { x: 'c', y: 'r', r: 2.5, fill: '#b2182b' }),
    ],
  }));
}

/** One loss curve per method over the steps. */
export function lossCurves(container: HTMLElement, series: readonly { method: string; losses: readonly number[] }[]): void {
  const data = series.flatMap((s) => s.losses.map((loss, i) => ({ method: s.method, step: i + 1, loss })));
  place(container, Plot.plot({
    width: widthOf(container, 640), height: 260, marginLeft: 50,
    x: { label: 'step', grid: true },
    y: { label: 'training loss (cross-entropy)', grid: true, zero: true },
    color: { legend: true, domain: series.map((s) => s.method) },
    marks: [Plot.line(data, { x: 'step', y: 'loss', stroke: 'method' })],
  }));
}
