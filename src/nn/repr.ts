/** Python-style formatting for module printouts (so `toString()` reads like PyTorch's repr). */

/** A number as Python's repr of a float: 0.0, 0.1, 1e-05, 1e-12, 1e+16. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** A boolean as Python prints it. */
export const pyBool = (b: boolean): string => (b ? 'True' : 'False');
