/** Counting parameters, and PEFT's one-line summary of them. */
import type { Module } from '../nn/module';

/** `[trainable, all]` parameter counts of a module tree (a tensor shared by two modules counts once). */
export function countParameters(module: Module): [number, number] {
  let trainable = 0;
  let all = 0;
  for (const p of module.parameters()) {
    const n = p.numel();
    all += n;
    if (p.requiresGrad) trainable += n;
  }
  return [trainable, all];
}

/** An integer with comma thousands separators, as Python's `f"{n:,d}"`. */
export function formatThousands(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${grouped}` : grouped;
}

/** PEFT's line: `trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730`. */
export function trainableParametersLine(trainable: number, all: number): string {
  const percent = all === 0 ? 0 : (100 * trainable) / all;
  return `trainable params: ${formatThousands(trainable)} || all params: ${formatThousands(all)} || trainable%: ${percent.toFixed(4)}`;
}
