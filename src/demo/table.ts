/** The demo's summary table, as aligned plain text for the terminal and as Markdown for the docs. */
import type { MethodResult } from './results';

const HEADERS = ['method', 'trainable params', 'trainable %', 'test accuracy', 'final loss', 'steps to 90%', 'seconds'];
/** Which columns are right-aligned (numbers). */
const NUMERIC = [false, true, true, true, true, true, true];

/** An integer with thousands separators (1,234,567). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The cells of one row. */
function rowCells(m: MethodResult): string[] {
  return [
    m.name,
    formatCount(m.trainableParams),
    `${m.trainablePercent.toFixed(2)}%`,
    `${(100 * m.accuracy).toFixed(2)}%`,
    Number.isFinite(m.finalLoss) ? m.finalLoss.toFixed(4) : String(m.finalLoss),
    m.stepsTo90 === null ? 'never' : String(m.stepsTo90),
    m.seconds.toFixed(1),
  ];
}

/** The table as aligned text with a rule under the header. */
export function formatTable(methods: readonly MethodResult[]): string {
  const rows = [HEADERS, ...methods.map(rowCells)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (NUMERIC[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The table in GitHub Markdown. */
export function markdownTable(methods: readonly MethodResult[]): string {
  const align = NUMERIC.map((n) => (n ? '---:' : ':---'));
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(HEADERS), row(align), ...methods.map((m) => row(rowCells(m)))].join('\n');
}
