/**
 * WebAssembly SIMD versions of the column kernels of one-sided Jacobi (./jacobiColumns.ts), generated at
 * load time with the engine's wasm encoder (src/tensor/cpu/wasm/encode.ts).
 *
 * Every kernel streams over columns two float64 values at a time (one f64x2 vector): lane 0 holds the
 * even rows, lane 1 the odd ones. Each lane does exactly the scalar operations of the JavaScript kernel
 * in the same order (multiply, then add or subtract, each rounded; no fused multiply-add), and a dot
 * product is the sum of its two lane accumulators — which is what the JavaScript kernels compute too, so
 * both paths give the same bits.
 *
 * Memory layout (bytes): 0–47 the coefficients (c, s or τ values, six float64 at most, read as splats),
 * 64–111 the accumulators written back (three f64x2), columns from DATA_BYTE on.
 */
import { encodeModule, i32, instantiateWithMemory, op, v128, type FunctionDef, type ValType } from '../../tensor/cpu/wasm/encode';

/** Where the column buffer starts in the kernels' memory. */
export const DATA_BYTE = 128;
/** Where the accumulators are written (two lanes each). */
export const RESULT_BYTE = 64;

export type Code = number[][];

/** What one kernel's loop body can use: its pointers, splatted coefficients, accumulators, temporaries. */
export interface Body {
  load(pointer: number): Code;
  store(pointer: number, value: Code): Code;
  coef(index: number): Code;
  acc(index: number): number;
  temp(index: number): number;
}

export const get = (local: number): Code => [op.localGet(local)];
export const mul = (x: Code, y: Code): Code => [...x, ...y, op.f64x2Mul];
export const add = (x: Code, y: Code): Code => [...x, ...y, op.f64x2Add];
export const sub = (x: Code, y: Code): Code => [...x, ...y, op.f64x2Sub];
export const set = (local: number, value: Code): Code => [...value, op.localSet(local)];

/**
 * A kernel `name(p0 … p_{pointers−1}, pairs)`: runs `step` for each of `pairs` f64x2 vectors at byte
 * offset i = 0, 16, … from every pointer, then stores its accumulators at RESULT_BYTE.
 */
export function streamKernel(
  name: string, pointers: number, coefs: number, accs: number, temps: number, step: (b: Body) => Code,
): FunctionDef {
  const pairs = pointers, index = pointers + 1;
  const coefLocal = (c: number) => index + 1 + c;
  const accLocal = (a: number) => index + 1 + coefs + a;
  const tempLocal = (t: number) => index + 1 + coefs + accs + t;
  const locals: ValType[] = [i32, ...Array<ValType>(coefs + accs + temps).fill(v128)];
  const address = (p: number): Code => [op.localGet(p), op.localGet(index), op.i32Add];
  const body: Code = [];
  for (let c = 0; c < coefs; c++) body.push(op.i32Const(0), op.v128Load64Splat(8 * c), op.localSet(coefLocal(c)));
  body.push(op.block, op.loop, op.localGet(pairs), op.i32Eqz, op.brIf(1));
  body.push(...step({
    load: (p) => [...address(p), op.v128Load(0)],
    store: (p, value) => [...address(p), ...value, op.v128Store(0)],
    coef: (c) => get(coefLocal(c)),
    acc: accLocal,
    temp: tempLocal,
  }));
  body.push(
    op.localGet(index), op.i32Const(16), op.i32Add, op.localSet(index),
    op.localGet(pairs), op.i32Const(1), op.i32Sub, op.localSet(pairs),
    op.br(0), op.end, op.end,
  );
  for (let a = 0; a < accs; a++) body.push(op.i32Const(0), op.localGet(accLocal(a)), op.v128Store(RESULT_BYTE + 16 * a));
  return { name, params: pointers + 1, locals, body };
}

/** d += x·y. */
export const accumulate = (b: Body, a: number, x: Code, y: Code): Code => set(b.acc(a), add(get(b.acc(a)), mul(x, y)));

/** dot(x, y): acc 0. */
const dot = streamKernel('dot', 2, 0, 1, 0, (b) => accumulate(b, 0, b.load(0), b.load(1)));

/** dots with the next column: acc 0 = x_a·y, acc 1 = x_b·y. */
const dotsWithNext = streamKernel('dotsWithNext', 3, 0, 2, 1, (b) => [
  ...set(b.temp(0), b.load(2)),
  ...accumulate(b, 0, b.load(0), get(b.temp(0))),
  ...accumulate(b, 1, b.load(1), get(b.temp(0))),
]);

/**
 * Rotations (a, q) by (c0, s0) and (b, q) by (c1, s1) in plain form, then dot products of the new a and b
 * with `next` (read after q is stored) and a·b: accs 0, 1, 2.
 */
const rotatePairAgainst = streamKernel('rotatePairAgainst', 4, 4, 3, 7, (b) => {
  const [xa, xb, xq, na, xq1, nb, y] = [0, 1, 2, 3, 4, 5, 6].map(b.temp);
  const [c0, s0, c1, s1] = [0, 1, 2, 3].map(b.coef);
  return [
    ...set(xa, b.load(0)), ...set(xb, b.load(1)), ...set(xq, b.load(2)),
    ...set(na, sub(mul(c0, get(xa)), mul(s0, get(xq)))),
    ...set(xq1, add(mul(s0, get(xa)), mul(c0, get(xq)))),
    ...set(nb, sub(mul(c1, get(xb)), mul(s1, get(xq1)))),
    ...b.store(0, get(na)), ...b.store(1, get(nb)),
    ...b.store(2, add(mul(s1, get(xb)), mul(c1, get(xq1)))),
    ...set(y, b.load(3)),
    ...accumulate(b, 0, get(na), get(y)),
    ...accumulate(b, 1, get(nb), get(y)),
    ...accumulate(b, 2, get(na), get(nb)),
  ];
});

/** One rotation of (a, b) in Rutishauser's form with coefficients (s, τ). */
const rotate = streamKernel('rotate', 2, 2, 0, 2, (b) => {
  const [xa, xb] = [b.temp(0), b.temp(1)];
  const [s, tau] = [b.coef(0), b.coef(1)];
  return [
    ...set(xa, b.load(0)), ...set(xb, b.load(1)),
    ...b.store(0, sub(get(xa), mul(s, add(get(xb), mul(tau, get(xa)))))),
    ...b.store(1, add(get(xb), mul(s, sub(get(xa), mul(tau, get(xb)))))),
  ];
});

/** (a, q) by (s0, τ0), then (b, q) by (s1, τ1), in Rutishauser's form. */
const rotateTwoAgainstOne = streamKernel('rotateTwoAgainstOne', 3, 4, 0, 4, (b) => {
  const [xa, xb, xq, xq1] = [0, 1, 2, 3].map(b.temp);
  const [s0, tau0, s1, tau1] = [0, 1, 2, 3].map(b.coef);
  return [
    ...set(xa, b.load(0)), ...set(xb, b.load(1)), ...set(xq, b.load(2)),
    ...set(xq1, add(get(xq), mul(s0, sub(get(xa), mul(tau0, get(xq)))))),
    ...b.store(0, sub(get(xa), mul(s0, add(get(xq), mul(tau0, get(xa)))))),
    ...b.store(1, sub(get(xb), mul(s1, add(get(xq1), mul(tau1, get(xb)))))),
    ...b.store(2, add(get(xq1), mul(s1, sub(get(xb), mul(tau1, get(xq1)))))),
  ];
});

/** The module's bytes (exported for the tests). */
export function jacobiModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule([dot, dotsWithNext, rotatePairAgainst, rotate, rotateTwoAgainstOne]);
}

/** The compiled kernels; pointers are byte addresses, `pairs` the number of f64x2 vectors per column. */
export interface JacobiWasm {
  memory: WebAssembly.Memory;
  dot(a: number, b: number, pairs: number): void;
  dotsWithNext(a: number, b: number, next: number, pairs: number): void;
  rotatePairAgainst(a: number, b: number, q: number, next: number, pairs: number): void;
  rotate(a: number, b: number, pairs: number): void;
  rotateTwoAgainstOne(a: number, b: number, q: number, pairs: number): void;
}

/** Compiles the kernels, or null where WebAssembly SIMD is missing (the JavaScript kernels are used then). */
export function loadJacobiWasm(): JacobiWasm | null {
  const loaded = instantiateWithMemory(jacobiModuleBytes());
  return loaded && { memory: loaded.memory, ...(loaded.exports as unknown as Omit<JacobiWasm, 'memory'>) };
}
