/** Recognisable adapter files for the writer tests (not a test file): each names its label and sub-directory. */
import { serializeSafetensors } from '../../src/nn/io/format';
import type { AdapterFileContents } from '../../src/peft/adapterCommit';

/** The files of adapter `subdir` ('' = the directory itself) in version `label`: a valid config and safetensors file. */
export function adapterContents(label: string, subdir: string, weightBytes = 4096): AdapterFileContents {
  const bytes = new Uint8Array(weightBytes).fill(label.charCodeAt(0));
  bytes.set(new TextEncoder().encode(`${label}/${subdir}`).subarray(0, weightBytes));
  const safetensors = serializeSafetensors({ label: { dtype: 'U8', shape: [weightBytes], bytes } });
  return { configJson: JSON.stringify({ label, subdir }), safetensors };
}

/** The label an adapter's files carry, or a description of what is wrong with them. */
export function labelOf(configJson: string | null, safetensors: Uint8Array | null, subdir: string): string {
  if (configJson === null) return safetensors === null ? 'absent' : 'no-config';
  const { label } = JSON.parse(configJson) as { label: string };
  if (safetensors === null) return `${label}-without-weights`;
  const expected = adapterContents(label, subdir).safetensors;
  return expected.length === safetensors.length && expected.every((b, i) => b === safetensors[i]) ? label : `${label}-with-other-weights`;
}
