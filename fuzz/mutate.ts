/**
 * Seeded mutations of valid inputs: safetensors bytes (bit flips, truncation, length fields, header JSON edits,
 * tensor values and names), adapter tensors, and adapter_config.json (field edits, odd regexes, control
 * characters, deep nesting, broken text). Every choice comes from the case's seeded generator, so a case is
 * reproduced by its seed alone. Each mutation returns a short label for the report.
 */
import seedrandom from 'seedrandom';
import { serializeSafetensors, type RawEntry } from '../src/nn/io/format';
import { jsonNestingDepth } from '../src/nn/io/header';

/** A seeded source of choices. */
export class Rng {
  private readonly next: () => number;

  constructor(seed: string) {
    this.next = seedrandom(seed);
  }

  float(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Numbers that break float formats, ranges and rounding. */
export const EXTREME_NUMBERS = [0, -0, 1, -1, 0.5, 65504, 65520, 1e5, 3.3895e38, 3.4e38, -3.4e38, 3.5e38, 2e38, 1e19, 1e-45, 1e-40,
  Infinity, -Infinity, NaN, 2 ** 53, -(2 ** 53) - 2, 1e300];
/** Strings that break names, paths, terminals and parsers. */
export const ODD_STRINGS = ['', '\u0000', '\u001b[2J\u001b]0;x\u0007', '\u009b31m', '\u202e', 'a'.repeat(3000), '__metadata__', '..', '../x',
  '/abs', '\\', '.', 'é', '\ud800', '💥', 'base_model.model.x.weight', 'query', 'q', 'a.b.c', ' ', '\n'];
/** JSON values of every kind for fields that expect one. */
export const ODD_VALUES: unknown[] = [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '1', '', 'x', null, true, false, [], [1], ['a'], {}, { a: 1 },
  [[[[1]]]], 'NaN', '\u001b[2J', 'a'.repeat(5000)];
/** target_modules / layers_pattern regexes: slow for backtracking engines, invalid, or odd. */
export const ODD_REGEXES = ['(a+)+$', '(.*.*)*X', '.*', '.*\\.query', '(?=a)(a+)+$', '(?P<x>.*)(?P=x)', '[', '(?x)a', 'a{1001}', '(?i)QUERY',
  '\\A.*\\Z', '^(?!.*dense).*', '.{0,50}'.repeat(20), `${'a|'.repeat(500)}b`, '((((((((((x))))))))))*', '(?<=encoder).*', '(?<=(a))b',
  '.*\\.(query|value)$', '\\d+', '(?s).*', '\u0000', 'a{,3}', '*', '(?P<a>'];

const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'f32', '', 'Q4'];

/** The header JSON text and data section of safetensors bytes, or null when the bytes are not well-formed. */
function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } | null {
  if (bytes.length < 8) return null;
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + length > bytes.length) return null;
  try {
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    if (jsonNestingDepth(text, 100) > 100) return null; // an earlier step nested it: too deep to edit and re-encode
    const header = JSON.parse(text) as unknown;
    return header !== null && typeof header === 'object' && !Array.isArray(header) ? { header: header as Record<string, unknown>, data: bytes.subarray(8 + length) } : null;
  } catch {
    return null;
  }
}

/** Safetensors bytes from header text and a data section (length field set to the text's byte length). */
export function join(headerText: string, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** Edits one tensor entry of a parsed header in place. */
function editHeaderEntry(rng: Rng, header: Record<string, unknown>): string {
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length === 0) return 'no tensor to edit';
  const name = rng.pick(names);
  if (header[name] === null || typeof header[name] !== 'object') header[name] = {}; // an earlier edit replaced it
  const info = header[name] as Record<string, unknown>;
  const list = (value: unknown) => (Array.isArray(value) ? value : []);
  switch (rng.int(7)) {
    case 0: info.dtype = rng.pick(DTYPES); return `dtype of ${name}`;
    case 1: info.shape = rng.chance(0.5) ? [rng.pick([0, 1, 2 ** 31, 2 ** 53, 1e20, 100_000, -1, 0.5]), ...list(info.shape).slice(1)] : rng.pick(ODD_VALUES); return `shape of ${name}`;
    case 2: info.data_offsets = rng.chance(0.5) ? list(info.data_offsets).map((o) => (typeof o === 'number' ? o + rng.pick([-1, 1, 8, -8, 2 ** 40]) : o)) : rng.pick(ODD_VALUES); return `offsets of ${name}`;
    case 3: header[`${name}${rng.pick(ODD_STRINGS)}`] = info; delete header[name]; return `renamed ${name}`;
    case 4: delete header[name]; return `removed ${name}`;
    case 5: header[name] = rng.pick(ODD_VALUES); return `replaced ${name}`;
    default: Object.assign(info, { extra: rng.pick(ODD_VALUES) }); return `extra key in ${name}`;
  }
}

/** A structured edit of the header JSON (re-encoded with a consistent length field). */
function editHeader(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const parts = split(bytes);
  if (parts === null) return { bytes, what: 'header unreadable, unchanged' };
  const { header, data } = parts;
  let what: string;
  switch (rng.int(6)) {
    case 0: what = editHeaderEntry(rng, header); break;
    case 1: header.__metadata__ = rng.chance(0.5) ? { [rng.pick(ODD_STRINGS)]: rng.pick(ODD_STRINGS) } : rng.pick(ODD_VALUES); what = 'metadata'; break;
    case 2: {
      const count = rng.pick([100, 2000, 2000, 30_000]);
      for (let i = 0; i < count; i++) header[`extra.${i}`] = { dtype: 'U8', shape: [0], data_offsets: [0, 0] };
      what = `${count} more empty tensors`;
      break;
    }
    case 3: {
      const depth = rng.pick([50, 70, 5000, 200_000]);
      return { bytes: join(JSON.stringify(header).replace(/}$/, `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`), data), what: `nesting ${depth}` };
    }
    case 4: {
      const text = JSON.stringify(header);
      const key = text.match(/"[^"]+":\{/)?.[0] ?? '"x":{';
      return { bytes: join(text.replace(/^\{/, `{${key}"dtype":"U8","shape":[0],"data_offsets":[0,0]},`), data), what: 'duplicate key' };
    }
    default: for (let i = rng.int(3) + 1; i > 0; i--) editHeaderEntry(rng, header); what = 'several entry edits';
  }
  return { bytes: join(JSON.stringify(header), data), what };
}

/** One raw byte-level mutation. */
function editBytes(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const headerEnd = out.length >= 8 ? Math.min(out.length, 8 + Number(new DataView(out.buffer).getBigUint64(0, true) & 0xffffffn)) : out.length;
  switch (rng.int(5)) {
    case 0: {
      const flips = rng.int(8) + 1;
      for (let i = 0; i < flips && out.length > 0; i++) {
        const at = rng.chance(0.7) && headerEnd > 0 ? rng.int(headerEnd) : rng.int(out.length);
        out[at] ^= 1 << rng.int(8);
      }
      return { bytes: out, what: `${flips} bit flips` };
    }
    case 1: {
      const at = rng.int(out.length + 1);
      return { bytes: out.subarray(0, at), what: `truncated at ${at}` };
    }
    case 2: {
      const extra = Uint8Array.from({ length: rng.pick([1, 7, 8, 100]) }, () => rng.int(256));
      const joined = new Uint8Array(out.length + extra.length);
      joined.set(out);
      joined.set(extra, out.length);
      return { bytes: joined, what: `${extra.length} bytes appended` };
    }
    case 3: {
      if (out.length < 8) return { bytes: out, what: 'too short for a length' };
      const value = rng.pick([0n, 1n, 7n, BigInt(out.length), BigInt(out.length - 8), BigInt(out.length - 7), 100_000_001n, 2n ** 63n, 2n ** 64n - 1n, BigInt(headerEnd - 9)]);
      new DataView(out.buffer).setBigUint64(0, value < 0n ? 0n : value, true);
      return { bytes: out, what: `length field ${value}` };
    }
    default: {
      const at = 8 + rng.int(Math.max(1, headerEnd - 8));
      const text = new TextEncoder().encode(rng.pick(['"', '{', '}', '\\', '\u0000', '\u00ff', ',', ']']));
      out.set(text.subarray(0, Math.max(0, out.length - at)), Math.min(at, out.length));
      return { bytes: out, what: 'header character' };
    }
  }
}

/** Mutates safetensors bytes: one to three byte-level or header-level edits. */
export function mutateSafetensors(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string[] } {
  const what: string[] = [];
  let current = bytes;
  for (let i = rng.int(3) + 1; i > 0; i--) {
    const step = rng.chance(0.5) ? editHeader(rng, current) : editBytes(rng, current);
    current = step.bytes;
    what.push(step.what);
  }
  return { bytes: current, what };
}

/** Writes extreme numbers into float tensors (as stored: rounding to F16/BF16 happens in the bytes). */
function extremeValues(rng: Rng, entry: RawEntry): RawEntry {
  const bytes = entry.bytes.slice();
  const view = new DataView(bytes.buffer);
  const size = ({ F64: 8, F32: 4 } as Record<string, number>)[entry.dtype];
  if (size === undefined || bytes.length === 0) return { ...entry, bytes };
  for (let i = rng.int(4) + 1; i > 0; i--) {
    const at = rng.int(bytes.length / size) * size;
    const value = rng.pick(EXTREME_NUMBERS);
    if (size === 8) view.setFloat64(at, value, true);
    else view.setFloat32(at, value, true);
    if (rng.chance(0.3)) for (let j = 0; j + size <= bytes.length; j += size) size === 8 ? view.setFloat64(j, value, true) : view.setFloat32(j, value, true);
  }
  return { ...entry, bytes };
}

/** Bytes per value of the dtypes the fuzzer writes. */
const BYTES_PER_VALUE: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };

/** Edits the tensors of a file and writes it back validly (so the checks behind the parser are reached). */
export function mutateEntries(rng: Rng, entries: ReadonlyMap<string, RawEntry>, metadata: Record<string, string> | null): { bytes: Uint8Array; what: string[] } {
  const out = new Map<string, RawEntry>([...entries].map(([k, e]) => [k, { ...e, bytes: e.bytes.slice() }]));
  const what: string[] = [];
  for (let i = rng.int(2) + 1; i > 0; i--) {
    const names = [...out.keys()];
    if (names.length === 0) break;
    const name = rng.pick(names);
    const entry = out.get(name)!;
    switch (rng.int(7)) {
      case 0: out.set(name, extremeValues(rng, entry)); what.push(`extreme values in ${name}`); break;
      case 1: out.delete(name); what.push(`removed ${name}`); break;
      case 2: out.delete(name); out.set(`${name}${rng.pick(ODD_STRINGS)}`, entry); what.push(`renamed ${name}`); break;
      case 3: {
        const shape = rng.pick([[0], [1], [entry.shape[0] ?? 1, 1], [...entry.shape, 1], [0, 100_000], [3, 5]]);
        // From the dtype, not from bytes ÷ values: an empty tensor (an S with no couplings) has neither.
        const bytesPerValue = BYTES_PER_VALUE[entry.dtype] ?? 1;
        const count = shape.reduce((a, b) => a * b, 1);
        out.set(name, { dtype: entry.dtype, shape, bytes: new Uint8Array(count * bytesPerValue).fill(rng.int(256)) });
        what.push(`reshaped ${name} to (${shape.join(',')})`);
        break;
      }
      case 4: {
        const dtype = rng.pick(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL'] as const);
        const size = BYTES_PER_VALUE[dtype];
        const count = entry.shape.reduce((a, b) => a * b, 1);
        out.set(name, { dtype, shape: entry.shape, bytes: Uint8Array.from({ length: count * size }, () => rng.int(256)) });
        what.push(`${name} as ${dtype} with random bytes`);
        break;
      }
      case 5: {
        const plain = name.replace(/\.frod_lambda_l$/, '.weight').replace(/\.frod_lambda_s_values$/, '.base_layer.weight');
        out.set(plain === name ? `${name}.weight` : plain, entry);
        what.push(`plain tensor beside ${name}`);
        break;
      }
      default: out.set(`base_model.model.${rng.pick(['x', 'encoder.layer.0.attention.self.query', 'h.0.attn.c_attn'])}.${rng.pick(['bias', 'weight', 'base_layer.bias', 'frod_lambda_l'])}`, entry);
        what.push(`extra tensor from ${name}`);
    }
  }
  return { bytes: serializeSafetensors(out, metadata), what };
}

/** Edits adapter_config.json: fields, regexes, odd values, deep nesting, or the text itself. */
export function mutateConfig(rng: Rng, json: Record<string, unknown>): { text: string | Uint8Array; what: string[] } {
  const config = structuredClone(json);
  const what: string[] = [];
  const keys = Object.keys(config);
  for (let i = rng.int(3) + 1; i > 0; i--) {
    switch (rng.int(8)) {
      case 0: { const key = rng.pick(keys); delete config[key]; what.push(`no ${key}`); break; }
      case 1: { const key = rng.pick(keys); config[key] = rng.pick(ODD_VALUES); what.push(`odd ${key}`); break; }
      case 2: config.target_modules = rng.chance(0.6) ? rng.pick(ODD_REGEXES) : [rng.pick(ODD_STRINGS), rng.pick(['query', 'value', 'c_attn', 'dense'])]; what.push('target_modules'); break;
      case 3: config.layers_to_transform = rng.pick([0, [0, 1], [], 99, null]); config.layers_pattern = rng.pick([...ODD_REGEXES, 'layer', 'h', null, []]); what.push('layer filter'); break;
      case 4: config[rng.pick(['sparse_rate', 'regularization_alpha', 'projection_prng_key', 'frod_dropout'])] = rng.pick([0, 1, 1e-300, 1e300, -1, 2 ** 53 + 2, 0.999999999]); what.push('numeric field'); break;
      case 5: config.peft_type = rng.pick(['LORA', 'frod', 'FROD ', '', null, 7]); what.push('peft_type'); break;
      case 6: config.modules_to_save = rng.pick([['classifier'], ['query'], [''], ['\u001b[2J'], 'x', null, ['h.0', 'wte']]); config.bias = rng.pick(['all', 'frod_only', 'none', 'lora_only', 1]); what.push('modules_to_save / bias'); break;
      default: config[rng.pick(ODD_STRINGS)] = rng.pick(ODD_VALUES); what.push('unknown key');
    }
  }
  let text = JSON.stringify(config);
  switch (rng.int(8)) {
    case 0: text = text.slice(0, rng.int(text.length)); what.push('truncated text'); break;
    case 1: text = `\uFEFF${text}`; what.push('byte-order mark'); break;
    case 2: { const depth = rng.pick([100, 200_000]); text = text.replace(/}$/, `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`); what.push(`nesting ${depth}`); break; }
    case 3: {
      const bytes = new TextEncoder().encode(text);
      bytes[rng.int(bytes.length)] = rng.pick([0xff, 0xc3, 0x80, 0x00]);
      return { text: bytes, what: [...what, 'invalid UTF-8'] };
    }
    default:
  }
  return { text, what };
}
