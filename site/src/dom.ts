/** DOM helpers the panels share. */

/** The element with `id`; a missing one is a bug in index.html, said in one line. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page: no element #${id}`);
  return element as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

/**
 * The number in input `#id`, checked against the input's own min/max (and `step` 1 meaning an integer);
 * anything else throws one line naming the field, which the panel shows instead of a picture.
 */
export function numberInput(id: string): number {
  const input = byId<HTMLInputElement>(id);
  const value = Number(input.value);
  const min = input.min === '' ? -Infinity : Number(input.min);
  const max = input.max === '' ? Infinity : Number(input.max);
  const name = input.labels?.[0]?.textContent?.trim() || id;
  if (input.value.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}: expected a number in [${min}, ${max}], got '${input.value}'`);
  }
  if (input.step === '1' && !Number.isInteger(value)) throw new Error(`${name}: expected a whole number, got ${value}`);
  return value;
}

/** `fn` run once `ms` after the last call (slider drags and typing recompute once they settle). */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

/** Lets the browser paint before the next piece of synchronous work. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
