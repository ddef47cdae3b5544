/** Shared helpers of the FRoD tests: golden cases, module trees built from state dicts, comparisons. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { Conv1D, Linear } from '../../src/nn/layers/linear';
import { loadSafetensors } from '../../src/nn/io';
import { Module } from '../../src/nn/module';
import { noGrad } from '../../src/autograd';
import { type DType, Generator, type Tensor, tensor } from '../../src/tensor';
import { GOLDEN_DIR, goldenCaseNames } from '../util/golden';
import { type Mat, mat } from '../../src/linalg/kernels/mat';

/** The golden cases (FROD_GOLDEN_DIR points the tests at another set made by make_golden.py). */
export const GOLDEN = GOLDEN_DIR;

export interface GoldenCase {
  name: string;
  dir: string;
  base: Record<string, Tensor>;
  expected: Record<string, Tensor>;
  info: {
    targets: string[];
    categories: Record<string, { modules: string[]; path: 'svd' | 'qr-eig'; in: number; nnz: number }>;
    fan_in_fan_out: boolean;
  };
}

/** Every golden case folder. */
export function goldenCases(): GoldenCase[] {
  return goldenCaseNames(GOLDEN).map((name) => {
    const dir = join(GOLDEN, name);
    return {
      name,
      dir,
      base: loadSafetensors(join(dir, 'base.safetensors')).tensors,
      expected: loadSafetensors(join(dir, 'expected.safetensors')).tensors,
      info: JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')),
    };
  });
}

/** A plain container module. */
export class Container extends Module {}

/**
 * A module tree with a Linear (or Conv1D when `conv1d`) at every `<path>.weight` of a state dict, holding
 * those values in `dtype`.
 */
export function moduleFromStateDict(stateDict: Record<string, Tensor>, dtype: DType, conv1d = false): Module {
  const root = new Container();
  for (const key of Object.keys(stateDict).filter((k) => k.endsWith('.weight')).sort()) {
    const path = key.slice(0, -'.weight'.length);
    const weight = stateDict[key];
    const bias = stateDict[`${path}.bias`] ?? null;
    const [rows, cols] = weight.shape;
    const layer = conv1d ? new Conv1D(cols, rows, { dtype }) : new Linear(cols, rows, { bias: bias !== null, dtype });
    noGrad(() => {
      layer.weight.copy_(weight.to(dtype));
      if (layer.bias) layer.bias.copy_(bias ? bias.to(dtype) : tensor(0, { dtype }));
    });
    const parts = path.split('.');
    let parent: Module = root;
    for (const part of parts.slice(0, -1)) {
      const existing = parent.namedChildren().find(([n]) => n === part)?.[1];
      const next = existing ?? new Container();
      if (!existing) parent.registerModule(part, next);
      parent = next;
    }
    parent.registerModule(parts[parts.length - 1], layer);
  }
  return root;
}

/** max |a − b| / max(max |b|, tiny). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-300);
}

/** Asserts a and b agree to `tol` relative to the largest |b|. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  const err = relativeError(a, b);
  if (!(err <= tol)) assert.unreachable(`${what}: relative error ${err.toExponential(3)} > ${tol}`);
}

/**
 * Asserts the first `columns` columns of two row-major (n, n) matrices agree up to the sign of each column.
 */
export function assertColumnsSignFree(a: ArrayLike<number>, b: ArrayLike<number>, n: number, columns: number, tol: number, what: string): void {
  for (let j = 0; j < columns; j++) {
    let same = 0, flipped = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i * n + j], y = b[i * n + j];
      same = Math.max(same, Math.abs(x - y));
      flipped = Math.max(flipped, Math.abs(x + y));
      scale = Math.max(scale, Math.abs(y));
    }
    const err = Math.min(same, flipped) / Math.max(scale, 1e-300);
    if (!(err <= tol)) assert.unreachable(`${what}: column ${j} differs by ${err.toExponential(3)} (> ${tol}) even up to sign`);
  }
}

/** A decoder-like toy: per block q/v projections (d→d) and an MLP (d→2d→d), then a classifier head. */
export class TinyModel extends Module {
  readonly blocks: Container[] = [];

  constructor(readonly d: number, readonly layers: number, dtype: DType, seed: number) {
    super();
    const generator = new Generator(`tiny/${seed}`);
    const list = new Container();
    for (let i = 0; i < layers; i++) {
      const block = new Container();
      const attn = new Container();
      attn.registerModule('q_proj', new Linear(d, d, { dtype, generator }));
      attn.registerModule('v_proj', new Linear(d, d, { dtype, generator, bias: false }));
      const mlp = new Container();
      mlp.registerModule('up_proj', new Linear(d, 2 * d, { dtype, generator }));
      mlp.registerModule('down_proj', new Linear(2 * d, d, { dtype, generator }));
      block.registerModule('self_attn', attn);
      block.registerModule('mlp', mlp);
      list.registerModule(String(i), block);
      this.blocks.push(block);
    }
    const model = new Container();
    model.registerModule('layers', list);
    this.registerModule('model', model);
    this.registerModule('classifier', new Linear(d, 3, { dtype, generator }));
  }

  /** h ← h + v(q(h)); h ← h + down(tanh(up(h))) per block; then the classifier. */
  override forward(x: Tensor): Tensor {
    const call = (path: string, h: Tensor) => (this.getSubmodule(path).forward as (t: Tensor) => Tensor).call(this.getSubmodule(path), h);
    let h = x;
    for (let i = 0; i < this.layers; i++) {
      const p = `model.layers.${i}`;
      h = h.add(call(`${p}.self_attn.v_proj`, call(`${p}.self_attn.q_proj`, h)));
      h = h.add(call(`${p}.mlp.down_proj`, call(`${p}.mlp.up_proj`, h).tanh()));
    }
    return call('classifier', h);
  }
}

/** Bitwise equality of two tensors' values. */
export function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.data(), y = b.data();
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

/** A (rows, cols) matrix with entries in [−1, 1) from a seed (a Lehmer stream: cheap, and the same everywhere). */
export function randomMat(rows: number, cols: number, seed: number): Mat {
  let state = (seed % 2147483646) + 1;
  const m = mat(rows, cols);
  for (let i = 0; i < m.data.length; i++) {
    state = (state * 48271) % 2147483647;
    m.data[i] = (2 * state) / 2147483647 - 1;
  }
  return m;
}
