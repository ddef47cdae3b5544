/**
 * Small helpers for the safetensors JSON header: the error type, dtype table, name ordering and a scanner
 * that lists the top-level keys of a (valid) JSON object in file order.
 */
import { escapeControl } from '../../util/escape';

/** Element types of the safetensors format that frod-ts reads and writes. */
export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each supported dtype. */
export const SAFE_DTYPE_SIZES: Readonly<Record<SafeDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** The supported dtype names, in the order the format lists them (widest first). */
export const SAFE_DTYPES: readonly SafeDType[] = Object.keys(SAFE_DTYPE_SIZES) as SafeDType[];

export function isSafeDType(value: unknown): value is SafeDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SAFE_DTYPE_SIZES, value);
}

/**
 * A safetensors problem; `source` names the file (or '<bytes>') it was found in. The message is one line with
 * control characters escaped (it quotes tensor names and metadata, which a file may fill with terminal escapes).
 */
export class SafetensorsError extends Error {
  readonly source: string;

  constructor(source: string, problem: string) {
    super(escapeControl(`safetensors: ${source}: ${problem}`));
    this.name = 'SafetensorsError';
    this.source = source;
  }
}

/** Maps a UTF-16 code unit so that comparing mapped units orders strings by Unicode code point. */
function codePointOrderUnit(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Orders strings by Unicode code point (= UTF-8 byte order), as Python's `sorted` and Rust's `String`
 * ordering do; plain JS `<` compares UTF-16 code units, which differs above U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ua = a.charCodeAt(i);
    const ub = b.charCodeAt(i);
    if (ua !== ub) return codePointOrderUnit(ua) - codePointOrderUnit(ub);
  }
  return a.length - b.length;
}

function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  return pos;
}

/** Returns the index just past the JSON string literal starting at `pos` (text[pos] === '"'). */
function skipString(text: string, pos: number): number {
  let i = pos + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Returns the index just past the JSON value starting at `pos`. */
function skipValue(text: string, pos: number): number {
  const first = text[pos];
  if (first === '"') return skipString(text, pos);
  if (first !== '{' && first !== '[') {
    while (pos < text.length && !',}] \t\n\r'.includes(text[pos])) pos++;
    return pos;
  }
  let depth = 0;
  let i = pos;
  do {
    const c = text[i];
    if (c === '"') { i = skipString(text, i); continue; }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  } while (depth > 0);
  return i;
}

/**
 * The top-level keys of a JSON object text in the order they are written, duplicates included.
 * (`JSON.parse` would hide duplicates and move integer-like keys such as "0" to the front.)
 * The text must already be known to be a valid JSON object.
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let pos = skipWhitespace(text, 0) + 1; // past '{'
  for (;;) {
    pos = skipWhitespace(text, pos);
    if (text[pos] === '}') return keys;
    if (text[pos] === ',') { pos++; continue; }
    const end = skipString(text, pos);
    keys.push(JSON.parse(text.slice(pos, end)) as string);
    pos = skipWhitespace(text, end) + 1; // past ':'
    pos = skipValue(text, skipWhitespace(text, pos));
  }
}

// ---- limits checked before a header is parsed (shared by every reader, whole-file or positional) -----------

/** Header lengths above this are refused as corrupt (the reference implementation's limit, 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The deepest JSON nesting a header may have. A valid header is 3 deep (object → tensor object → shape list);
 * the margin lets a wrong-but-shallow value get its specific error, while a header nested thousands deep is
 * refused before any recursive code (JSON.stringify in a message, say) could overflow the stack.
 */
export const MAX_HEADER_DEPTH = 64;

/**
 * The header length N from the file's first 8 bytes (unsigned 64-bit little-endian), checked against the
 * documented limit and the file size: what a reader calls before reading anything else, so that a huge or
 * endless input (/dev/zero) costs 8 bytes. Throws a {@link SafetensorsError} naming `source`.
 */
export function headerLengthOf(prefix: Uint8Array, fileBytes: number, source: string): number {
  if (prefix.length < 8 || fileBytes < 8) {
    throw new SafetensorsError(source, `file is ${Math.min(prefix.length, fileBytes)} bytes, too short for the 8-byte header length`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, `header length ${length} is absurd (limit ${MAX_HEADER_BYTES} bytes)`);
  }
  const headerLength = Number(length);
  if (8 + headerLength > fileBytes) {
    throw new SafetensorsError(source, `header length ${headerLength} runs past the end of the file (${fileBytes} bytes)`);
  }
  return headerLength;
}

/**
 * How deeply JSON `text` nests objects and arrays, counted without parsing (brackets inside strings are
 * skipped), stopping early once `limit` is passed. Linear in the text, no recursion.
 */
export function jsonNestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // '"': skip the string, honouring backslash escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) { // '{' '['
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}
