/**
 * A tiny WebAssembly binary encoder: just what the matmul micro-kernels and linalg's Jacobi column kernels
 * need (one imported memory, functions over i32 parameters with i32/v128 locals, structured control flow,
 * scalar i32 and 128-bit SIMD ops), and the loader both use. Kernels are written as arrays of instructions
 * (see ./gemmKernel.ts, src/linalg/kernels/jacobiWasm.ts) and turned into a module here, so the package ships
 * no binary blobs. Format: https://webassembly.github.io/spec/core/binary/
 */

/** Value types. */
export const i32 = 0x7f;
export const v128 = 0x7b;
export type ValType = typeof i32 | typeof v128;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A length-prefixed vector of already encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** Instructions, each an array of bytes. Memory offsets are in bytes; `align` is log2 of the alignment. */
const simd = (op: number, ...rest: number[]) => [0xfd, ...uleb(op), ...rest];
const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  call: (functionIndex: number) => [0x10, ...uleb(functionIndex)],
  localGet: (index: number) => [0x20, ...uleb(index)],
  localSet: (index: number) => [0x21, ...uleb(index)],
  localTee: (index: number) => [0x22, ...uleb(index)],
  i32Const: (value: number) => [0x41, ...sleb(value)],
  i32Eqz: [0x45],
  i32Ne: [0x47],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  v128Load: (offset = 0) => simd(0x00, ...memarg(4, offset)),
  v128Load32Splat: (offset = 0) => simd(0x09, ...memarg(2, offset)),
  v128Load64Splat: (offset = 0) => simd(0x0a, ...memarg(3, offset)),
  v128Store: (offset = 0) => simd(0x0b, ...memarg(4, offset)),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
};

export interface FunctionDef {
  /** Exported under this name. */
  name: string;
  /** Number of i32 parameters (the only parameter type the kernels use); no results. */
  params: number;
  /** Extra locals after the parameters, in order. */
  locals: ValType[];
  /** The body: a list of encoded instructions (the final `end` is added here). */
  body: number[][];
}

/**
 * A module importing its memory as `env.memory` (at least `minPages` 64 KiB pages) and exporting `functions`.
 * With `sharedMaxPages` the import is a shared memory of at most that many pages (WebAssembly threads: the
 * same memory instantiated by several workers); without it, an ordinary unshared memory.
 */
export function encodeModule(functions: readonly FunctionDef[], minPages = 1, sharedMaxPages = 0): Uint8Array<ArrayBuffer> {
  const paramCounts = [...new Set(functions.map((f) => f.params))];
  const types = paramCounts.map((count) => [0x60, ...vec(Array.from({ length: count }, () => [i32])), 0x00]);
  // Memory limits: flag 0x00 = minimum only; 0x03 = shared, minimum and maximum.
  const limits = sharedMaxPages > 0 ? [0x03, ...uleb(minPages), ...uleb(sharedMaxPages)] : [0x00, ...uleb(minPages)];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
  const funcs = functions.map((f) => uleb(paramCounts.indexOf(f.params)));
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const codes = functions.map((f) => {
    // Locals are declared as runs of one type.
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vec(runs), ...f.body.flat(), ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}

/** A compiled module, its memory and the exports of one instance on it. */
export interface Instantiated {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: WebAssembly.Exports;
}

/**
 * Compiles `bytes` and instantiates it on a fresh one-page memory (the module imports it as `env.memory`;
 * shared, of at most `sharedMaxPages` pages, when that is given), or returns null where WebAssembly or an
 * extension the module uses (SIMD, shared memory) is missing, or compilation is blocked.
 */
export function instantiateWithMemory(bytes: Uint8Array<ArrayBuffer>, sharedMaxPages = 0): Instantiated | null {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.Module !== 'function') return null;
  try {
    if (!WebAssembly.validate(bytes)) return null;
    const memory = sharedMaxPages > 0
      ? new WebAssembly.Memory({ initial: 1, maximum: sharedMaxPages, shared: true })
      : new WebAssembly.Memory({ initial: 1 });
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { module, memory, exports: instance.exports };
  } catch {
    return null;
  }
}
