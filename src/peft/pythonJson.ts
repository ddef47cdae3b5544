/** Writing JSON exactly as Python's `json.dumps(indent=2, sort_keys=True)` does, for PEFT's adapter_config.json. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.padEnd(exp + 1, '0').slice(0, exp + 1);
  return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`;
}

/** A JSON string with every character outside printable ASCII escaped, as Python's `ensure_ascii`. */
function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `json.dumps(value, indent=2, sort_keys=True)`, as PEFT writes adapter_config.json. Numbers under a top-level
 * key in `floatKeys` (and any non-safe integer) are written as Python floats (`0.0`, `1e-05`).
 */
export function pythonJsonDumps(value: JsonValue, floatKeys: ReadonlySet<string>): string {
  return dumps(value, '', null, floatKeys);
}

function dumps(value: JsonValue, indent: string, key: string | null, floatKeys: ReadonlySet<string>): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number') {
    const asFloat = (key !== null && floatKeys.has(key)) || !Number.isSafeInteger(value);
    return asFloat ? pythonFloatRepr(value) : String(value);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + dumps(v, inner, key, floatKeys)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return '{}';
  const items = keys.map((k) => `${inner}${pythonJsonString(k)}: ${dumps(value[k], inner, indent === '' ? k : null, floatKeys)}`);
  return `{\n${items.join(',\n')}\n${indent}}`;
}
