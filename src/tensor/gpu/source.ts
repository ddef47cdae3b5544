/**
 * Kernel source generation shared by the gpu kernels: strided views are read by turning the thread's flat
 * output index into coordinates and each operand's storage index. Shapes and strides are baked into the
 * source (so each layout compiles once); view offsets are passed as arguments (so slices at different
 * positions share a kernel). All index arithmetic is float32 and exact below 2^24, which is what GLSL ES 1.0
 * (headless-gl, WebGL) gives; `floor((i + 0.5) / d)` keeps the division exact there too.
 */

/** One strided input of an elementwise kernel. */
export interface StridedOperand {
  /** Kernel argument name of the buffer; its offset argument is `${name}o`, its index variable `${name}i`. */
  name: string;
  strides: readonly number[];
}

/** A layout after dropping size-1 dims and merging dims that are contiguous for every operand. */
export interface Layout {
  shape: number[];
  strides: number[][];
}

/** Drops size-1 dims and merges neighbours d, d+1 whose strides chain (s[d] = s[d+1]·n[d+1]) in every operand. */
export function simplifyLayout(shape: readonly number[], stridesList: readonly (readonly number[])[]): Layout {
  const keep = shape.map((n) => n !== 1);
  let dims = shape.filter((_, d) => keep[d]);
  let strides = stridesList.map((s) => s.filter((_, d) => keep[d]));
  for (let d = dims.length - 2; d >= 0; d--) {
    if (strides.every((s) => s[d] === s[d + 1] * dims[d + 1])) {
      const merged = dims[d] * dims[d + 1];
      dims = [...dims.slice(0, d), merged, ...dims.slice(d + 2)];
      strides = strides.map((s) => [...s.slice(0, d), s[d + 1], ...s.slice(d + 2)]);
    }
  }
  return { shape: dims, strides };
}

/**
 * Lines computing, from the flat index `flat`, the index `${name}i` of every operand: its offset argument
 * plus coordinate·stride over the (simplified) shape.
 */
export function indexLines(shape: readonly number[], operands: readonly StridedOperand[], flat: string): string[] {
  const lines: string[] = [];
  const nd = shape.length;
  const coords: string[] = new Array<string>(nd);
  let rest = flat;
  for (let d = nd - 1; d >= 1; d--) {
    lines.push(`const q${d} = Math.floor((${rest} + 0.5) / ${shape[d]});`);
    lines.push(`const c${d} = ${rest} - q${d} * ${shape[d]};`);
    coords[d] = `c${d}`;
    rest = `q${d}`;
  }
  if (nd >= 1) coords[0] = rest;
  for (const { name, strides } of operands) {
    const terms = [`${name}o`];
    for (let d = 0; d < nd; d++) {
      if (strides[d] === 0) continue;
      terms.push(strides[d] === 1 ? coords[d] : `${coords[d]} * ${strides[d]}`);
    }
    lines.push(`const ${name}i = ${terms.join(' + ')};`);
  }
  return lines;
}

/** Cache-key text of a layout. */
export function layoutKey(layout: Layout): string {
  return `${layout.shape.join('x')}:${layout.strides.map((s) => s.join(',')).join(';')}`;
}
