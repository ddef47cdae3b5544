/**
 * The module-tree case and the safetensors file frod-ts writes for Python (test/torch/parity.py checks it
 * bit for bit against torch's conversions). Not a test file itself.
 */
import '../../src/tensor';
import { randn, tensor } from '../../src/tensor/create';
import type { DType } from '../../src/tensor/dtype';
import { Generator } from '../../src/tensor/random';
import type { Tensor } from '../../src/tensor/tensor';
import { Conv1D, GELU, LayerNorm, Linear, type Module, ModuleDict, ModuleList, Sequential, parameter } from '../../src/nn';
import type { SafeDType } from '../../src/nn/io';
import type { SafetensorsValue } from '../../src/nn';
import type { ParityCase } from './cases';

export interface ModelSizes { width: number; hidden: number; out: number }

/** The tree parity.py's build_model builds with torch.nn (Conv1D as Hugging Face writes it). */
export function modelTree({ width, hidden, out }: ModelSizes, dtype: DType, generator: Generator): ModuleDict {
  const opts = { dtype, generator };
  return new ModuleDict({
    norm: new LayerNorm(width, { dtype }),
    blocks: new ModuleList([
      new Sequential([new Linear(width, hidden, opts), new GELU(), new Linear(hidden, width, opts)]),
      new Sequential([new Linear(width, hidden, opts), new GELU('tanh'), new Linear(hidden, width, { ...opts, bias: false })]),
    ]),
    head: new Conv1D(out, width, opts),
  });
}

/** norm → each block with a residual → head, as parity.py's model_forward. */
export function modelForward(model: ModuleDict, x: Tensor): Tensor {
  let h = (model.get('norm') as LayerNorm).forward(x);
  for (const block of model.get('blocks') as ModuleList<Sequential>) h = h.add(block.forward(h));
  return (model.get('head') as Conv1D).forward(h);
}

/** Random values for every entry of a module's state dict (LayerNorm's ones and zeros would hide mistakes). */
export function randomStateDict(model: Module, generator: Generator): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, randn([...v.shape], { dtype: v.dtype, generator })]));
}

export const MODEL_SIZES: ModelSizes = { width: 6, hidden: 8, out: 3 };
export const DROP_KEYS = ['norm.weight', 'blocks.0.0.bias'];
export const EXTRA_KEYS = ['blocks.0.3.weight', 'head.scale'];
export const SURGERY = { parent: 'blocks.1', child: '2' };

/**
 * A module case: our state dict goes to Python, which loads it strictly into torch's twin and returns the
 * forward, all gradients and its names; the test compares names, strict-load reports and surgery itself.
 */
export function moduleCase(): ParityCase & { model: ModuleDict; x: Tensor } {
  const g = new Generator(777);
  const model = modelTree(MODEL_SIZES, 'float64', g);
  model.loadStateDict(randomStateDict(model, g));
  const x = randn([2, 3, MODEL_SIZES.width], { dtype: 'float64', generator: g });
  const upstream = randn([2, 3, MODEL_SIZES.out], { dtype: 'float64', generator: g });
  const inputs: Record<string, Tensor> = { x, upstream };
  for (const [k, v] of Object.entries(model.stateDict())) inputs[`sd.${k}`] = v;
  const json = {
    id: 'module0', kind: 'module', ...MODEL_SIZES, drop_keys: DROP_KEYS, extra_keys: EXTRA_KEYS,
    surgery_parent: SURGERY.parent, surgery_child: SURGERY.child,
  };
  const compute = () => {
    model.zeroGrad();
    const input = parameter(x.clone());
    const y = modelForward(model, input);
    y.mul(upstream).sum().backward();
    const out: Record<string, Tensor> = { y: y.detach(), dx: input.grad as Tensor };
    for (const [name, p] of model.namedParameters()) out[`grad.${name}`] = p.grad as Tensor;
    return out;
  };
  return { json, inputs, compute, dtype: 'float64', model, x };
}

/** Every dtype we write, with values that exercise rounding (ties, overflow, subnormals) and integer ranges. */
function sources(): Record<SafeDType, number[]> {
  const g = new Generator(99);
  const normals = (n: number, scale: number) => Array.from({ length: n }, () => g.normal() * scale);
  const f32 = (values: number[]) => values.map(Math.fround); // F16/BF16 sources exact in float32 (see below)
  const ints = (n: number, min: number, max: number) => Array.from({ length: n }, () => min + Math.floor(g.random() * (max - min + 1)));
  return {
    F64: [...normals(6, 1e3), -0, Infinity, -Infinity, 5e-324, NaN],
    F32: [...normals(6, 1), 1e-46, 3.4028235677973366e38, 1e39, -0, 1 + 2 ** -24, 1 + 3 * 2 ** -24, NaN],
    F16: f32([...normals(8, 10), 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1e-8, -0, -Infinity, NaN]),
    BF16: f32([...normals(8, 1e20), 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.3895313892515355e38, 3.4e38, 1e-39, -0, Infinity, NaN]),
    I64: [...ints(6, -(2 ** 40), 2 ** 40), 2 ** 53, -(2 ** 53), 0, -1],
    I32: [...ints(6, -(2 ** 31), 2 ** 31 - 1), 2 ** 31 - 1, -(2 ** 31)],
    I16: [...ints(6, -(2 ** 15), 2 ** 15 - 1), 32767, -32768],
    I8: [...ints(6, -128, 127), 127, -128],
    U8: [...ints(6, 0, 255), 0, 255],
    BOOL: ints(9, 0, 1),
  };
}

/** The tensor frod-ts saves for a file dtype: float32 for F32/F16/BF16 from float32 data, else float64. */
function carrier(dtype: SafeDType, values: number[]): Tensor {
  const t = tensor(Float64Array.from(values), { dtype: 'float64' });
  return dtype === 'F16' || dtype === 'BF16' ? t.to('float32') : t;
}

/**
 * What we write for Python: `<dtype>` saved as that file dtype, and `<dtype>.source` its float64 values; plus a
 * scalar and an empty tensor. Python converts each source with torch and compares the bytes.
 */
export function filesForPython(): Record<string, SafetensorsValue> {
  const out: Record<string, SafetensorsValue> = {};
  for (const [dtype, values] of Object.entries(sources()) as [SafeDType, number[]][]) {
    out[dtype] = { tensor: carrier(dtype, values), dtype };
    out[`${dtype}.source`] = tensor(Float64Array.from(values), { dtype: 'float64' });
  }
  // F32 from float32 data too (the usual way: a float32 model saved as is), in a 3-D shape.
  const float32 = randn([2, 3, 4], { generator: new Generator(5) });
  out.F32_from_float32 = { tensor: float32, dtype: 'F32' };
  out['F32_from_float32.source'] = float32.to('float64');
  out.scalar = { tensor: tensor(2.5, { dtype: 'float64' }), dtype: 'BF16' };
  out['scalar.source'] = tensor(2.5, { dtype: 'float64' });
  out.empty = { tensor: tensor(new Float64Array(0), { shape: [0, 4], dtype: 'float64' }), dtype: 'F16' };
  out['empty.source'] = tensor(new Float64Array(0), { shape: [0, 4], dtype: 'float64' });
  return out;
}

/** How many tensors of filesForPython() Python should check (those without `.source`). */
export function countForPython(): number {
  return Object.keys(filesForPython()).filter((k) => !k.endsWith('.source')).length;
}
