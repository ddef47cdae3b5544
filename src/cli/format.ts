/** Plain-text output helpers: thousands separators, aligned tables, byte sizes. */

/** `1234567` → `1,234,567` (PEFT's print_trainable_parameters style). */
export function formatCount(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** PEFT's line: `trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730`. */
export function trainableLine(trainable: number, all: number): string {
  const percent = all > 0 ? (100 * trainable) / all : 0;
  return `trainable params: ${formatCount(trainable)} || all params: ${formatCount(all)} || trainable%: ${percent.toFixed(4)}`;
}

/**
 * Renders rows as a table with a header line; columns are separated by two spaces, numbers (cells of
 * columns listed in `rightAligned`) are right-aligned. Returns the lines, each ending without spaces.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  // A loop, not Math.max(...cells): spreading 130,000 rows as arguments overflows the call stack.
  const widths = header.map((title, col) => rows.reduce((width, row) => Math.max(width, (row[col] ?? '').length), title.length));
  const render = (cells: readonly string[]) => cells
    .map((cell, col) => (rightAligned.includes(col) ? cell.padStart(widths[col]) : cell.padEnd(widths[col])))
    .join('  ')
    .trimEnd();
  return [render(header), ...rows.map(render)];
}
