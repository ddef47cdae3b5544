/**
 * Warnings, as Python's `warnings.warn` gives them in PEFT: a one-line message that does not stop the work.
 * They go to `console.warn` unless a handler is installed (the `frod` command prints them on stderr as
 * `frod <command>: warning: …`; tests collect them with {@link catchWarnings}).
 */

/** Receives each warning message. */
export type WarningHandler = (message: string) => void;

const toConsole: WarningHandler = (message) => console.warn(`Warning: ${message}`);
let handler: WarningHandler = toConsole;

/** Emits a warning through the installed handler. */
export function warn(message: string): void {
  handler(message);
}

/** Installs `next` (null: back to console.warn) and returns the handler it replaces. */
export function setWarningHandler(next: WarningHandler | null): WarningHandler {
  const previous = handler;
  handler = next ?? toConsole;
  return previous;
}

/**
 * Runs `fn` and returns its result with the warnings it emitted (Python's `warnings.catch_warnings(record=True)`);
 * they are not printed. The previous handler comes back afterwards, also when `fn` throws.
 */
export function catchWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const previous = setWarningHandler((message) => warnings.push(message));
  try {
    return { result: fn(), warnings };
  } finally {
    setWarningHandler(previous);
  }
}
