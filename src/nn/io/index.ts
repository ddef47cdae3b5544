/** safetensors reading and writing: the raw format, dtype conversions and the Tensor-level API. */
export {
  MAX_HEADER_BYTES, SAFE_DTYPES, SAFE_DTYPE_SIZES, SafetensorsError, parseSafetensors, serializeSafetensors,
  type ParsedSafetensors, type RawEntry, type SafeDType,
} from './format';
export { decodeEntry, defaultSafeDType, encodeEntry, encodeValues, type DecodedArray } from './convert';
export { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16 } from './half';
export {
  decodeSafetensors, loadSafetensors, readSafetensorsRaw, safetensorsBytes, saveSafetensors, writeSafetensorsRaw,
  type LoadedSafetensors, type SafetensorsValue,
} from './safetensors';
