/**
 * The symmetric matrix-vector product of the tridiagonalisation, y = A[s:n, s:n]·v from the lower triangle
 * of the column-major n×n matrix: once per reflector, half the reduction's flops, and level-2 work that reads
 * the whole trailing matrix each time — so at large n it is bound by memory bandwidth, and it is shared
 * between threads (./threads.ts's pool, through the workspace of ./tridiagonalKernels.ts).
 *
 * The product loads each lower-triangle entry once and uses it twice (as A[r][c] and A[c][r]); four columns
 * share each pass over y. Per group of four columns c…c+3: the 4×4 diagonal block (mirrored), the rows below
 * it in pairs — y[r] += ((x₀v₀ + x₁v₁) + x₂v₂) + x₃v₃, and lane sums of xₖ[r]·v[r] for the four columns — and
 * the odd last row.
 *
 * Threads: the groups are split into a fixed number of blocks of about equal work (a function of the size
 * alone, never of the thread count). Each block adds its rows' contributions into a vector of its own (block 0
 * into y), and the vectors are summed in block order afterwards, so the bits do not depend on how many threads
 * ran the blocks. One block (every product below BLOCK_AREA entries) is the plain sequential product.
 *
 * Two implementations of a block give the same bits: WebAssembly SIMD (`symvColumns`, two rows per f64x2
 * vector) and the JavaScript below, lane by lane in the same order (no fused multiply-add).
 */
import { type FunctionDef, i32, op, v128 } from '../../tensor/cpu/wasm/encode';

/** Blocks at most (so at most MAX_BLOCKS − 1 extra vectors of n). */
export const MAX_BLOCKS = 8;
/** Lower-triangle entries (len²/2) per block: below 2·BLOCK_AREA the product is one block. */
const BLOCK_AREA = 1 << 19;
/** Byte address of 16 zero bytes in the kernels' memory (see tridiagonalKernels.ts's layout). */
export const ZERO_BYTE = 48;

/**
 * `symvColumns(col, n8, vc, vrow, yrow, res, pairs, groups)`: `groups` groups of four columns, the first at
 * column c: col = byte address of A[c+4, c], n8 = 8n (bytes per column), vc = &v[c], vrow = &v[c+4], yrow =
 * &target[c+4], res = where its four lane-pair sums go (64 bytes per group), pairs = ⌊(n − c − 4)/2⌋. Each next
 * group starts four columns and four rows further on, with two pairs fewer.
 */
export function symvColumnsKernel(): FunctionDef {
  const [COL, N8, VC, VROW, YROW, RES, PAIRS, GROUPS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [C1, C2, C3, P, IDX] = [8, 9, 10, 11, 12];
  const [K0, A0, X0, VR, T] = [13, 17, 21, 25, 26];
  const get = (l: number) => op.localGet(l);
  const bump = (l: number, by: number[][]) => [get(l), ...by, op.i32Add, op.localSet(l)];
  const load = (base: number) => [get(base), get(IDX), op.i32Add, op.v128Load(0)];
  const cols = [COL, C1, C2, C3];
  const inner: number[][] = [
    ...cols.flatMap((c, k) => [...load(c), op.localSet(X0 + k)]),
    ...load(VROW), op.localSet(VR),
    ...cols.flatMap((_, k) => [get(A0 + k), get(X0 + k), get(VR), op.f64x2Mul, op.f64x2Add, op.localSet(A0 + k)]),
    get(X0), get(K0), op.f64x2Mul, op.localSet(T),
    ...[1, 2, 3].flatMap((k) => [get(T), get(X0 + k), get(K0 + k), op.f64x2Mul, op.f64x2Add, op.localSet(T)]),
    get(YROW), get(IDX), op.i32Add, ...load(YROW), get(T), op.f64x2Add, op.v128Store(0),
    ...bump(IDX, [op.i32Const(16)]),
    get(P), op.i32Const(1), op.i32Sub, op.localSet(P),
  ];
  const body: number[][] = [
    op.loop,
    ...[0, 1, 2, 3].flatMap((k) => [get(VC), op.v128Load64Splat(8 * k), op.localSet(K0 + k)]),
    ...[0, 1, 2, 3].flatMap((k) => [op.i32Const(0), op.v128Load(ZERO_BYTE), op.localSet(A0 + k)]),
    get(COL), get(N8), op.i32Add, op.localSet(C1),
    get(C1), get(N8), op.i32Add, op.localSet(C2),
    get(C2), get(N8), op.i32Add, op.localSet(C3),
    get(PAIRS), op.localSet(P), op.i32Const(0), op.localSet(IDX),
    op.block, op.loop, get(P), op.i32Eqz, op.brIf(1), ...inner, op.br(0), op.end, op.end,
    ...[0, 1, 2, 3].flatMap((k) => [get(RES), get(A0 + k), op.v128Store(16 * k)]),
    ...bump(COL, [get(N8), op.i32Const(4), op.i32Mul, op.i32Const(32), op.i32Add]),
    ...[VC, VROW, YROW].flatMap((l) => bump(l, [op.i32Const(32)])),
    ...bump(RES, [op.i32Const(64)]),
    get(PAIRS), op.i32Const(2), op.i32Sub, op.localSet(PAIRS),
    get(GROUPS), op.i32Const(1), op.i32Sub, op.localTee(GROUPS), op.brIf(0),
    op.end,
  ];
  return { name: 'symvColumns', params: 8, locals: [i32, i32, i32, i32, i32, ...Array(14).fill(v128)], body };
}

/** Where the product's vectors live: element offsets into one Float64Array `mem`. */
export interface SymvLayout {
  mem: Float64Array;
  n: number;
  /** v[0] and y[0]. */
  vAt: number;
  yAt: number;
  /** MAX_BLOCKS − 1 vectors of n, one per block after the first. */
  partialsAt: number;
  /** 2n + 8 entries: the lane sums of group c at resultsAt + 2c … + 7. */
  resultsAt: number;
}

/** One block of groups, as the arguments of symvColumns in elements (the wasm side turns them into bytes). */
export interface SymvBlock {
  /** First column c, number of groups, and the element offset of the vector its rows go to. */
  c: number;
  groups: number;
  target: number;
}

/** Runs the blocks (all of them, in any order or at once) and returns when every one is done. */
export type BlockRunner = (layout: SymvLayout, blocks: readonly SymvBlock[]) => void;

/** Block boundaries in groups (0 = g₀ < g₁ < … < g_K = groups) of about equal work, for a product of size len. */
export function blockBounds(groups: number, len: number): number[] {
  const count = Math.max(1, Math.min(MAX_BLOCKS, groups, Math.floor((len * len) / (2 * BLOCK_AREA))));
  if (count === 1) return [0, groups];
  // Group g covers about len − 4g rows: split the running total of rows into `count` equal parts.
  const total = groups * len - 2 * groups * (groups - 1);
  const bounds = [0];
  let done = 0;
  for (let g = 0; g < groups && bounds.length < count; g++) {
    done += len - 4 * g;
    if (done * count >= total * bounds.length) bounds.push(g + 1);
  }
  bounds.push(groups);
  return bounds;
}

/** The JavaScript twin of symvColumns, lane by lane. */
export const runBlocksJs: BlockRunner = (layout, blocks) => {
  for (const block of blocks) {
    for (let g = 0; g < block.groups; g++) pairRowsJs(layout, block.c + 4 * g, block.target);
  }
};

/** One group's rows below its diagonal block, in pairs: target[r] updated, lane sums to the results. */
function pairRowsJs({ mem: a, n, vAt, resultsAt }: SymvLayout, c: number, target: number): void {
  const from = c + 4, pairs = (n - from) >> 1;
  const o0 = c * n + from, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
  const v0 = a[vAt + c], v1 = a[vAt + c + 1], v2 = a[vAt + c + 2], v3 = a[vAt + c + 3];
  let e0 = 0, e1 = 0, e2 = 0, e3 = 0, f0 = 0, f1 = 0, f2 = 0, f3 = 0;
  for (let p = 0, i = 0, r = from; p < pairs; p++, i += 2, r += 2) {
    let x0 = a[o0 + i], x1 = a[o1 + i], x2 = a[o2 + i], x3 = a[o3 + i], vr = a[vAt + r];
    e0 = e0 + x0 * vr; e1 = e1 + x1 * vr; e2 = e2 + x2 * vr; e3 = e3 + x3 * vr;
    a[target + r] = a[target + r] + (((x0 * v0 + x1 * v1) + x2 * v2) + x3 * v3);
    x0 = a[o0 + i + 1]; x1 = a[o1 + i + 1]; x2 = a[o2 + i + 1]; x3 = a[o3 + i + 1]; vr = a[vAt + r + 1];
    f0 = f0 + x0 * vr; f1 = f1 + x1 * vr; f2 = f2 + x2 * vr; f3 = f3 + x3 * vr;
    a[target + r + 1] = a[target + r + 1] + (((x0 * v0 + x1 * v1) + x2 * v2) + x3 * v3);
  }
  const out = resultsAt + 2 * c;
  a[out] = e0; a[out + 1] = f0; a[out + 2] = e1; a[out + 3] = f1;
  a[out + 4] = e2; a[out + 5] = f2; a[out + 6] = e3; a[out + 7] = f3;
}

/** y[s:n] = A[s:n, s:n]·v (y[0:s] is left alone), the groups' rows run by `run`. */
export function symmetricProduct(layout: SymvLayout, s: number, run: BlockRunner): void {
  const { mem: a, n, vAt, yAt, partialsAt, resultsAt } = layout;
  a.fill(0, yAt + s, yAt + n);
  const groups = (n - s) >> 2;
  if (groups > 0) {
    const bounds = blockBounds(groups, n - s);
    const blocks: SymvBlock[] = [];
    for (let b = 0; b + 1 < bounds.length; b++) {
      const c = s + 4 * bounds[b], target = b === 0 ? yAt : partialsAt + (b - 1) * n;
      if (b > 0) a.fill(0, target + c + 4, target + n);
      blocks.push({ c, groups: bounds[b + 1] - bounds[b], target });
    }
    run(layout, blocks);
    for (const { c, target } of blocks.slice(1)) {
      for (let r = c + 4; r < n; r++) a[yAt + r] += a[target + r];
    }
    for (let c = s; c + 3 < n; c += 4) diagonalBlock(a, n, vAt, yAt, resultsAt + 2 * c, c);
  }
  for (let c = s + 4 * groups; c < n; c++) {
    const c0 = c * n, vc = a[vAt + c];
    let sc = a[c0 + c] * vc;
    for (let r = c + 1; r < n; r++) {
      sc += a[c0 + r] * a[vAt + r];
      a[yAt + r] += a[c0 + r] * vc;
    }
    a[yAt + c] += sc;
  }
}

/** Group c's 4×4 diagonal block, its lane sums (at `lanes`) and odd last row, added into y. */
function diagonalBlock(a: Float64Array, n: number, vAt: number, yAt: number, lanes: number, c: number): void {
  const c0 = c * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
  const v0 = a[vAt + c], v1 = a[vAt + c + 1], v2 = a[vAt + c + 2], v3 = a[vAt + c + 3];
  const a10 = a[c0 + c + 1], a20 = a[c0 + c + 2], a30 = a[c0 + c + 3];
  const a21 = a[c1 + c + 2], a31 = a[c1 + c + 3], a32 = a[c2 + c + 3];
  let s0 = a[c0 + c] * v0 + a10 * v1 + a20 * v2 + a30 * v3;
  let s1 = a10 * v0 + a[c1 + c + 1] * v1 + a21 * v2 + a31 * v3;
  let s2 = a20 * v0 + a21 * v1 + a[c2 + c + 2] * v2 + a32 * v3;
  let s3 = a30 * v0 + a31 * v1 + a32 * v2 + a[c3 + c + 3] * v3;
  s0 += a[lanes] + a[lanes + 1];
  s1 += a[lanes + 2] + a[lanes + 3];
  s2 += a[lanes + 4] + a[lanes + 5];
  s3 += a[lanes + 6] + a[lanes + 7];
  if (((n - c - 4) & 1) === 1) {
    const r = n - 1, x0 = a[c0 + r], x1 = a[c1 + r], x2 = a[c2 + r], x3 = a[c3 + r], vr = a[vAt + r];
    s0 += x0 * vr; s1 += x1 * vr; s2 += x2 * vr; s3 += x3 * vr;
    a[yAt + r] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
  }
  a[yAt + c] += s0; a[yAt + c + 1] += s1; a[yAt + c + 2] += s2; a[yAt + c + 3] += s3;
}
