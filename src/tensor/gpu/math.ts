/**
 * The elementwise math of the gpu kernels as kernel source lines, written to give the cpu device's results
 * in float32 on every gpu.js backend: no reliance on GLSL built-ins that are missing or undefined for some
 * inputs (tanh overflow, pow of negatives, log1p/expm1 near 0); erf uses the same fit as the cpu device.
 * Each builder reads the value(s) named by its arguments and ends with `return …;`.
 */
import type { BinaryOp, UnaryOp } from '../backend';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Lines setting `${out}` = erf(`${x}`) (Numerical Recipes' erfc fit, |error| < 1.2e-7). */
function erfLines(x: string, out: string): string[] {
  return [
    `const ${out}z = Math.abs(${x});`,
    `const ${out}t = 1.0 / (1.0 + 0.5 * ${out}z);`,
    `const ${out}r = ${out}t * Math.exp(-${out}z * ${out}z - 1.26551223 + ${out}t * (1.00002368 + ${out}t * (0.37409196 + ${out}t * (0.09678418 + ` +
      `${out}t * (-0.18628806 + ${out}t * (0.27886807 + ${out}t * (-1.13520398 + ${out}t * (1.48851587 + ` +
      `${out}t * (-0.82215223 + ${out}t * 0.17087277)))))))));`,
    `let ${out} = 1.0 - ${out}r;`,
    `if (${x} < 0.0) { ${out} = ${out}r - 1.0; }`,
  ];
}

/** Lines setting `${out}` = tanh(`${x}`) without overflowing for large |x|. */
function tanhLines(x: string, out: string): string[] {
  return [
    `const ${out}e = Math.exp(-2.0 * Math.abs(${x}));`,
    `let ${out} = (1.0 - ${out}e) / (1.0 + ${out}e);`,
    `if (${x} < 0.0) { ${out} = -${out}; }`,
  ];
}

/** Kernel lines computing unary `op` of the value `v` and returning it. */
export function unaryLines(op: UnaryOp, v: string): string[] {
  switch (op) {
    case 'neg': return [`return -${v};`];
    case 'abs': return [`return Math.abs(${v});`];
    case 'sign': return [`if (${v} > 0.0) { return 1.0; }`, `if (${v} < 0.0) { return -1.0; }`, `return ${v};`];
    case 'exp': return [`return Math.exp(${v});`];
    case 'log': return [`return Math.log(${v});`];
    case 'sqrt': return [`return Math.sqrt(${v});`];
    case 'rsqrt': return [`return 1.0 / Math.sqrt(${v});`];
    case 'sin': return [`return Math.sin(${v});`];
    case 'cos': return [`return Math.cos(${v});`];
    case 'tanh': return [...tanhLines(v, 'th'), 'return th;'];
    case 'sigmoid': // stable on both sides: exp of a non-positive number only
      return [`const se = Math.exp(-Math.abs(${v}));`, `if (${v} >= 0.0) { return 1.0 / (1.0 + se); }`, 'return se / (1.0 + se);'];
    case 'relu': return [`if (${v} <= 0.0) { return 0.0; }`, `return ${v};`]; // NaN stays NaN, as on the cpu
    case 'step': return [`if (${v} > 0.0) { return 1.0; }`, 'return 0.0;'];
    case 'erf': return [...erfLines(v, 'ef'), 'return ef;'];
    case 'gelu': return [...erfLines(`(${v} * ${Math.SQRT1_2})`, 'ef'), `return 0.5 * ${v} * (1.0 + ef);`];
    case 'geluGrad': // Φ(x) + x·φ(x)
      return [...erfLines(`(${v} * ${Math.SQRT1_2})`, 'ef'), `return 0.5 * (1.0 + ef) + ${v} * Math.exp(-0.5 * ${v} * ${v}) * ${INV_SQRT_2PI};`];
    case 'geluTanh':
      return [...tanhLines(`(${SQRT_2_OVER_PI} * (${v} + 0.044715 * ${v} * ${v} * ${v}))`, 'th'), `return 0.5 * ${v} * (1.0 + th);`];
    case 'geluTanhGrad':
      return [
        ...tanhLines(`(${SQRT_2_OVER_PI} * (${v} + 0.044715 * ${v} * ${v} * ${v}))`, 'th'),
        `return 0.5 * (1.0 + th) + 0.5 * ${v} * (1.0 - th * th) * ${SQRT_2_OVER_PI} * (1.0 + ${3 * 0.044715} * ${v} * ${v});`,
      ];
    case 'reciprocal': return [`return 1.0 / ${v};`];
    case 'square': return [`return ${v} * ${v};`];
    case 'floor': return [`return Math.floor(${v});`];
    case 'ceil': return [`return Math.ceil(${v});`];
    case 'round': // half to even, exactly: the fraction of a float32 is exact
      return [
        `const rf = Math.floor(${v});`,
        `const rd = ${v} - rf;`,
        'if (rd > 0.5) { return rf + 1.0; }',
        'if (rd < 0.5) { return rf; }',
        'if (rf - 2.0 * Math.floor(rf * 0.5) > 0.5) { return rf + 1.0; }',
        'return rf;',
      ];
    case 'log1p': // Kahan: log(u)·x/(u−1) with u = 1+x corrects u's rounding
      return [
        `const lu = 1.0 + ${v};`,
        `if (lu === 1.0) { return ${v}; }`,
        `if (Math.abs(${v}) > 0.5) { return Math.log(lu); }`,
        `return Math.log(lu) * ${v} / (lu - 1.0);`,
      ];
    case 'expm1': // Kahan: (u−1)·x/log(u) with u = e^x
      return [
        `const eu = Math.exp(${v});`,
        `if (eu === 1.0) { return ${v}; }`,
        'const em = eu - 1.0;',
        'if (em === -1.0) { return -1.0; }',
        `if (Math.abs(${v}) > 0.5) { return em; }`,
        `return em * ${v} / Math.log(eu);`,
      ];
  }
}

/** Kernel lines computing binary `op` of values `x`, `y` and returning it (comparisons give 0/1). */
export function binaryLines(op: BinaryOp, x: string, y: string): string[] {
  switch (op) {
    case 'add': return [`return ${x} + ${y};`];
    case 'sub': return [`return ${x} - ${y};`];
    case 'mul': return [`return ${x} * ${y};`];
    case 'div': return [`return ${x} / ${y};`];
    case 'pow': return powLines(x, y);
    case 'maximum': // NaN wins, as in torch.maximum; x + y carries the NaN
      return [`if (${x} !== ${x} || ${y} !== ${y}) { return ${x} + ${y}; }`, `if (${x} > ${y}) { return ${x}; }`, `return ${y};`];
    case 'minimum':
      return [`if (${x} !== ${x} || ${y} !== ${y}) { return ${x} + ${y}; }`, `if (${x} < ${y}) { return ${x}; }`, `return ${y};`];
    case 'eq': return [`if (${x} === ${y}) { return 1.0; }`, 'return 0.0;'];
    case 'ne': return [`if (${x} !== ${y}) { return 1.0; }`, 'return 0.0;'];
    case 'lt': return [`if (${x} < ${y}) { return 1.0; }`, 'return 0.0;'];
    case 'le': return [`if (${x} <= ${y}) { return 1.0; }`, 'return 0.0;'];
    case 'gt': return [`if (${x} > ${y}) { return 1.0; }`, 'return 0.0;'];
    case 'ge': return [`if (${x} >= ${y}) { return 1.0; }`, 'return 0.0;'];
  }
}

/**
 * x^y with JavaScript's rules for x ≤ 0 (GLSL's pow is undefined there): odd integer powers keep the sign.
 * `wrap` post-processes every returned value (int32 results truncate).
 */
export function powLines(x: string, y: string, wrap: (value: string) => string = (value) => value): string[] {
  return [
    `if (${y} === 0.0) { return 1.0; }`,
    `const pa = Math.abs(${x});`,
    'let pm = 0.0;',
    `if (pa === 0.0) { if (${y} < 0.0) { pm = 1.0 / pa; } } else { pm = Math.pow(pa, ${y}); }`,
    `if (${x} > 0.0 || (${x} === 0.0 && 1.0 / ${x} > 0.0)) { return ${wrap('pm')}; }`,
    `const py = Math.floor(${y});`,
    `if (py !== ${y}) { if (pa === 0.0) { return ${wrap('pm')}; } return Math.sqrt(-1.0 - pa); }`, // NaN
    `if (py - 2.0 * Math.floor(py * 0.5) > 0.5) { return ${wrap('-pm')}; }`,
    `return ${wrap('pm')};`,
  ];
}
