/** Recognisable adapter files for the writer tests (not a test file): each names its label and sub-directory. */
import type { AdapterFileContents } from '../../src/peft/adapterCommit';

/** The files of adapter `subdir` ('' = the directory itself) in version `label`. */
export function adapterContents(label: string, subdir: string, weightBytes = 4096): AdapterFileContents {
  const safetensors = new Uint8Array(weightBytes).fill(label.charCodeAt(0));
  safetensors.set(new TextEncoder().encode(`${label}/${subdir}`).subarray(0, weightBytes));
  return { configJson: JSON.stringify({ label, subdir }), safetensors };
}

/** The label an adapter's files carry, or a description of what is wrong with them. */
export function labelOf(configJson: string | null, safetensors: Uint8Array | null, subdir: string): string {
  if (configJson === null) return safetensors === null ? 'absent' : 'no-config';
  const { label } = JSON.parse(configJson) as { label: string };
  if (safetensors === null) return `${label}-without-weights`;
  const expected = adapterContents(label, subdir, safetensors.length).safetensors;
  return expected.every((b, i) => b === safetensors[i]) ? label : `${label}-with-other-weights`;
}
