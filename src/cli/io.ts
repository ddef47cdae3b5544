/**
 * What a `frod` command talks to: its output streams, the environment, and the one-line error type.
 * Commands never touch `process` directly, so tests can run them in-process with captured output.
 */

/** The outside world of one CLI run. */
export interface CliIO {
  /** Writes to standard output (text is written as given; callers add newlines). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** The stream progress bars draw on, or null when progress cannot be shown (not a terminal). */
  progressStream: NodeJS.WriteStream | null;
  /** Environment variables (FROD_DEBUG, FROD_PROGRESS, NO_COLOR, …). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams and environment. */
export function processIO(): CliIO {
  return {
    stdout: (text) => { process.stdout.write(text); },
    stderr: (text) => { process.stderr.write(text); },
    progressStream: process.stderr.isTTY ? process.stderr : null,
    env: process.env,
  };
}

/** Exit status of a command that failed on its input or while working (bad file, bad config, …). */
export const EXIT_FAILURE = 1;
/** Exit status of a command line that does not parse (unknown option, missing required option, …). */
export const EXIT_USAGE = 2;

/**
 * A failure to report as `frod <command>: <what>: <problem>` — `what` names the file, option or module,
 * `problem` says what is wrong and, where it helps, what was expected. Both are single lines.
 */
export class CliError extends Error {
  readonly what: string;
  readonly problem: string;
  readonly exitCode: number;

  constructor(what: string, problem: string, exitCode = EXIT_FAILURE) {
    super(what === '' ? problem : `${what}: ${problem}`);
    this.name = 'CliError';
    this.what = what;
    this.problem = problem;
    this.exitCode = exitCode;
  }
}

/** The first line of an error's message, with no trailing period or whitespace. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').map((part) => part.trim()).filter((part) => part !== '').join(' ');
  return line === '' ? (err instanceof Error ? err.name : 'unknown error') : line;
}

/** Re-throws any error from `fn` as a {@link CliError} about `what` (a CliError passes through unchanged). */
export function about<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(what, firstLine(err));
  }
}
