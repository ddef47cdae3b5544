/**
 * Text from files (tensor names, metadata, config values, paths) made safe to print: control characters that
 * a terminal would act on — ESC sequences that clear the screen, retitle the window or move the cursor, C1
 * controls, line breaks that would split a one-line message — and the invisible bidirectional overrides that
 * make text display differently from what it is, are shown as escapes (`\x1b`, `\u202e`). Everything else,
 * including non-ASCII letters, is kept. JSON output needs none of this: it is exact and escapes by itself.
 */

/** C0 controls, DEL, C1 controls, line/paragraph separators and bidirectional formatting characters. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every unsafe character written as a visible escape (idempotent on its own output). */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
