/** Runs `fn` as if outside Node: process.getBuiltinModule gives nothing, as in a browser. */
export function withoutNode(fn: () => void): void {
  const proc = process as { getBuiltinModule?: unknown };
  const original = proc.getBuiltinModule;
  proc.getBuiltinModule = () => undefined;
  try { fn(); } finally { proc.getBuiltinModule = original; }
}
