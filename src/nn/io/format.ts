/**
 * The safetensors container format, on raw bytes (no tensor library involved):
 *
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   UTF-8 JSON object: {"__metadata__": {str: str}?, "<name>": {"dtype", "shape", "data_offsets"}, …}
 *   rest      the data section; each tensor's row-major little-endian bytes lie at
 *             [data_offsets[0], data_offsets[1]) relative to the start of this section.
 *
 * Reading is strict in the same way as the reference (Rust) implementation: the byte ranges, sorted, must
 * tile the data section exactly — no overlaps, no gaps, no trailing bytes — so every byte belongs to
 * exactly one tensor. Writing produces what the reference writers produce: tensors in name order laid out
 * back to back, `__metadata__` first, header padded with spaces to a multiple of 8 bytes.
 */
import {
  MAX_HEADER_BYTES, MAX_HEADER_DEPTH, SAFE_DTYPES, SAFE_DTYPE_SIZES, SafetensorsError, compareCodePoints, headerLengthOf,
  isSafeDType, jsonNestingDepth, topLevelKeys, type SafeDType,
} from './header';

export {
  MAX_HEADER_BYTES, MAX_HEADER_DEPTH, SAFE_DTYPES, SAFE_DTYPE_SIZES, SafetensorsError, compareCodePoints, headerLengthOf,
  isSafeDType, type SafeDType,
};

/** One tensor as stored: its dtype, shape and raw little-endian bytes (row-major). */
export interface RawEntry {
  dtype: SafeDType;
  shape: number[];
  bytes: Uint8Array;
}

/** A parsed file. Entries are in header order; their `bytes` are views into the input (not copies). */
export interface ParsedSafetensors {
  entries: Map<string, RawEntry>;
  metadata: Record<string, string> | null;
  /** Tensor names in the order the header lists them. */
  headerOrder: string[];
}

const METADATA_KEY = '__metadata__';

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeNumel(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Reads and bounds-checks the 8-byte header length. `fileLength` is the size of the whole file (`bytes` may
 * hold only its first bytes when the file is read piece by piece).
 */
function readHeaderLength(bytes: Uint8Array, source: string, fileLength = bytes.length): number {
  return headerLengthOf(bytes.subarray(0, 8), fileLength, source);
}

/** Decodes and parses the header JSON; returns the object and its keys in file order. */
function readHeaderJson(bytes: Uint8Array, headerLength: number, source: string) {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError(source, 'header is not valid UTF-8');
  }
  const depth = jsonNestingDepth(text, MAX_HEADER_DEPTH);
  if (depth > MAX_HEADER_DEPTH) {
    throw new SafetensorsError(source, `header JSON nests deeper than ${MAX_HEADER_DEPTH} levels (a valid header nests 3)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(source, `header is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(source, `header is not a JSON object (got ${describe(header)})`);
  }
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new SafetensorsError(source, `header names '${key}' twice`);
    seen.add(key);
  }
  return { header: header as Record<string, unknown>, keys };
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(source, `__metadata__ must be an object of strings, got ${describe(value)}`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new SafetensorsError(source, `__metadata__ value of '${key}' must be a string, got ${describe(item)}`);
    }
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>; // own keys, even '__proto__'

}

interface Placed {
  name: string;
  dtype: SafeDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates one tensor's header entry against the data section length. */
function readTensorInfo(name: string, info: unknown, dataLength: number, source: string): Placed {
  const where = `tensor '${name}'`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new SafetensorsError(source, `${where}: expected {dtype, shape, data_offsets}, got ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isSafeDType(dtype)) {
    throw new SafetensorsError(
      source, `${where} has unknown dtype ${describe(dtype)} (supported: ${SAFE_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(source, `${where}: shape must be a list of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)
      || offsets[0] > offsets[1]) {
    throw new SafetensorsError(
      source, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const expected = shapeNumel(shape) * SAFE_DTYPE_SIZES[dtype];
  if (end - begin !== expected) {
    throw new SafetensorsError(source, `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes `
      + `but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
  }
  if (end > dataLength) {
    throw new SafetensorsError(source, `${where}: data_offsets [${begin}, ${end}] run past the end of the `
      + `data section (${dataLength} bytes)`);
  }
  return { name, dtype, shape: shape.slice(), begin, end };
}

/** Checks that the byte ranges tile [0, dataLength) exactly: no overlap, no gap, nothing left over. */
function checkTiling(placed: Placed[], dataLength: number, source: string): void {
  const byOffset = placed.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Placed | null = null;
  for (const item of byOffset) {
    if (item.begin < covered && previous) {
      throw new SafetensorsError(source, `tensors '${previous.name}' [${previous.begin}, ${previous.end}] and `
        + `'${item.name}' [${item.begin}, ${item.end}] overlap`);
    }
    if (item.begin > covered) {
      const after = previous ? `after tensor '${previous.name}'` : 'at the start of the data section';
      throw new SafetensorsError(source, `${item.begin - covered} unused bytes ${after} (gaps are not allowed)`);
    }
    covered = item.end;
    if (item.end > item.begin || !previous) previous = item;
  }
  if (covered < dataLength) {
    throw new SafetensorsError(source, `${dataLength - covered} unused bytes after the last tensor`);
  }
}

/** Where one tensor lies in a file: its dtype, shape and byte range [begin, end) from the start of the file. */
export interface PlacedEntry {
  dtype: SafeDType;
  shape: number[];
  begin: number;
  end: number;
}

/** A file's header, validated against the file's length, without its data (see {@link parseSafetensorsHeader}). */
export interface SafetensorsLayout {
  /** Tensors in header order, with absolute byte ranges. */
  entries: Map<string, PlacedEntry>;
  metadata: Record<string, string> | null;
  headerOrder: string[];
  /** Offset of the data section (8 + header length). */
  dataStart: number;
}

/** The header length a file declares in its first 8 bytes (bounds-checked against `fileLength`). */
export function safetensorsHeaderLength(first8: Uint8Array, fileLength: number, source = '<bytes>'): number {
  return readHeaderLength(first8, source, fileLength);
}

/**
 * Parses and validates the header of a safetensors file of `fileLength` bytes from its first bytes `head`
 * (at least 8 + the header length), with every check {@link parseSafetensors} makes: so a file can be read
 * tensor by tensor at the offsets given, without holding it in memory.
 */
export function parseSafetensorsHeader(head: Uint8Array, fileLength: number, source = '<bytes>'): SafetensorsLayout {
  const headerLength = readHeaderLength(head, source, fileLength);
  if (head.length < 8 + headerLength) {
    throw new SafetensorsError(source, `only ${head.length} bytes of the ${8 + headerLength}-byte header were read`);
  }
  const { header, keys } = readHeaderJson(head, headerLength, source);
  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;
  let metadata: Record<string, string> | null = null;
  const placed: Placed[] = [];
  for (const key of keys) {
    if (key === METADATA_KEY) metadata = readMetadata(header[key], source);
    else placed.push(readTensorInfo(key, header[key], dataLength, source));
  }
  checkTiling(placed, dataLength, source);
  const entries = new Map<string, PlacedEntry>();
  for (const { name, dtype, shape, begin, end } of placed) {
    entries.set(name, { dtype, shape, begin: dataStart + begin, end: dataStart + end });
  }
  return { entries, metadata, headerOrder: placed.map((item) => item.name), dataStart };
}

/**
 * Parses a safetensors file held in memory, validating everything (see the module comment).
 * Throws a one-line {@link SafetensorsError} naming `source` and the problem.
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): ParsedSafetensors {
  const layout = parseSafetensorsHeader(bytes, bytes.length, source);
  const entries = new Map<string, RawEntry>();
  for (const [name, { dtype, shape, begin, end }] of layout.entries) {
    entries.set(name, { dtype, shape, bytes: bytes.subarray(begin, end) });
  }
  return { entries, metadata: layout.metadata, headerOrder: layout.headerOrder };
}

/** Validates the name, dtype and shape of a tensor about to be written; returns its byte length. */
function checkSpecForWrite(name: string, entry: TensorSpec): number {
  const source = '<output>';
  if (name === METADATA_KEY) throw new SafetensorsError(source, `'${METADATA_KEY}' cannot be a tensor name`);
  if (!isSafeDType(entry.dtype)) {
    throw new SafetensorsError(
      source, `tensor '${name}' has unknown dtype ${describe(entry.dtype)} (supported: ${SAFE_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(entry.shape) || !entry.shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(
      source, `tensor '${name}': shape must be a list of non-negative integers, got ${describe(entry.shape)}`);
  }
  return shapeNumel(entry.shape) * SAFE_DTYPE_SIZES[entry.dtype];
}

/** Validates an entry about to be written (its spec, and bytes of the right length). */
function checkEntryForWrite(name: string, entry: RawEntry): void {
  const expected = checkSpecForWrite(name, entry);
  if (!(entry.bytes instanceof Uint8Array) || entry.bytes.length !== expected) {
    throw new SafetensorsError('<output>', `tensor '${name}' has ${entry.bytes?.length} bytes but shape `
      + `[${entry.shape.join(', ')}] of ${entry.dtype} needs ${expected}`);
  }
}

function checkMetadataForWrite(metadata: Record<string, string>): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError('<output>', `__metadata__ value of '${key}' must be a string, got ${describe(value)}`);
    }
  }
}

/** What a header says of one tensor to be written: its dtype and shape (the bytes come later). */
export interface TensorSpec {
  dtype: SafeDType;
  shape: number[];
}

/** A header ready to write: its bytes (8-byte length, JSON, padding) and where each tensor goes. */
export interface SerializedHeader {
  /** The first `bytes.length` bytes of the file. */
  bytes: Uint8Array;
  /** Tensor name → absolute byte range [begin, end) in the file, in the order tensors are laid out. */
  offsets: Map<string, { begin: number; end: number }>;
  /** Size of the whole file. */
  fileLength: number;
}

/**
 * The header of a safetensors file holding `specs`, laid out as {@link serializeSafetensors} lays them out
 * (tensors in name order, back to back; `__metadata__` first; spaces to a multiple of 8 bytes). With it a
 * large file can be written tensor by tensor.
 */
export function serializeSafetensorsHeader(
  specs: ReadonlyMap<string, TensorSpec> | Readonly<Record<string, TensorSpec>>,
  metadata?: Record<string, string> | null,
): SerializedHeader {
  const list: Array<[string, TensorSpec]> = specs instanceof Map ? [...specs] : Object.entries(specs);
  list.sort(([a], [b]) => compareCodePoints(a, b));
  const parts: string[] = [];
  if (metadata) {
    checkMetadataForWrite(metadata);
    const sorted = Object.keys(metadata).sort(compareCodePoints);
    parts.push(`"${METADATA_KEY}":{${sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  const ranges: Array<[string, number, number]> = [];
  for (const [name, spec] of list) {
    const length = checkSpecForWrite(name, spec);
    parts.push(`${JSON.stringify(name)}:{"dtype":"${spec.dtype}","shape":[${spec.shape.join(',')}],`
      + `"data_offsets":[${offset},${offset + length}]}`);
    ranges.push([name, offset, offset + length]);
    offset += length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError('<output>', `header would be ${headerLength} bytes (limit ${MAX_HEADER_BYTES})`);
  }
  const bytes = new Uint8Array(8 + headerLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length);
  const start = bytes.length;
  const offsets = new Map(ranges.map(([name, begin, end]) => [name, { begin: start + begin, end: start + end }]));
  return { bytes, offsets, fileLength: start + offset };
}

/**
 * Serialises tensors into safetensors bytes: tensors sorted by name (Unicode code point order) and laid
 * out back to back in that order, `__metadata__` (keys sorted) first when given — an empty object is
 * written as `{}`, `null`/`undefined` omits it — and the header padded with spaces to a multiple of 8.
 * Each entry's bytes are copied unchanged.
 */
export function serializeSafetensors(
  entries: ReadonlyMap<string, RawEntry> | Readonly<Record<string, RawEntry>>,
  metadata?: Record<string, string> | null,
): Uint8Array {
  const list: Array<[string, RawEntry]> = entries instanceof Map ? [...entries] : Object.entries(entries);
  for (const [name, entry] of list) checkEntryForWrite(name, entry);
  const header = serializeSafetensorsHeader(new Map(list), metadata);
  const out = new Uint8Array(header.fileLength);
  out.set(header.bytes, 0);
  for (const [name, entry] of list) out.set(entry.bytes, (header.offsets.get(name) as { begin: number }).begin);
  return out;
}
