/**
 * A tiny progress reporter that core code can use without importing Node modules.
 *
 *   const bar = createProgress({ enabled: config.progressbar }).start('FRoD projection', categories.length);
 *   bar.update(0, 'self_query: 12 layers, 768×768');  …  bar.update(1);  …  bar.stop();
 *
 * The default reporter writes one self-overwriting line to `globalThis.process.stderr`, and only when that
 * stream is a TTY (so logs, pipes and test output stay clean). Progress is off when `enabled` is false or
 * the environment variable `FROD_PROGRESS` is `0`. A front end can install its own reporter (e.g. the
 * CLI's cli-progress bars) with {@link setProgressFactory}; the same on/off rules apply to it.
 */

/** One running task: a count of finished steps out of `total`, and a label saying what runs now. */
export interface ProgressTask {
  /** Sets the number of finished steps (and optionally the label of the step now running). */
  update(done: number, label?: string): void;
  /** Ends the task (clears or finishes the line). Safe to call twice. */
  stop(): void;
}

/** Starts progress tasks. */
export interface ProgressReporter {
  start(title: string, total: number): ProgressTask;
}

/** Builds the reporter used when progress is enabled. */
export type ProgressFactory = () => ProgressReporter;

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** false turns progress off (e.g. `progressbar: false` in a FRoD config). Default true. */
  enabled?: boolean;
}

interface StderrLike {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

interface ProcessLike {
  stderr?: StderrLike;
  env?: Record<string, string | undefined>;
}

const silentTask: ProgressTask = { update: () => undefined, stop: () => undefined };
/** A reporter that shows nothing. */
export const silentProgress: ProgressReporter = { start: () => silentTask };

let installedFactory: ProgressFactory | null = null;

/** Installs the reporter factory used from now on (null restores the built-in TTY line). */
export function setProgressFactory(factory: ProgressFactory | null): void {
  installedFactory = factory;
}

function processLike(): ProcessLike | undefined {
  return (globalThis as { process?: ProcessLike }).process;
}

/** True unless the environment says `FROD_PROGRESS=0`. */
export function progressAllowedByEnv(): boolean {
  const value = processLike()?.env?.FROD_PROGRESS;
  return value === undefined || (value !== '0' && value.toLowerCase() !== 'false');
}

/** The built-in reporter: `\r<title> [####----] 3/12 label` on stderr, only when stderr is a TTY. */
function ttyReporter(): ProgressReporter {
  const stderr = processLike()?.stderr;
  if (!stderr || stderr.isTTY !== true) return silentProgress;
  return {
    start(title, total) {
      let stopped = false;
      let label = '';
      let lastWidth = 0;
      const draw = (done: number) => {
        const width = 20;
        const filled = total > 0 ? Math.min(width, Math.round((width * done) / total)) : width;
        let line = `${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${label ? ` ${label}` : ''}`;
        const columns = stderr.columns ?? 120;
        if (line.length > columns - 1) line = line.slice(0, Math.max(0, columns - 1));
        stderr.write(`\r${line}${' '.repeat(Math.max(0, lastWidth - line.length))}`);
        lastWidth = line.length;
      };
      draw(0);
      return {
        update(done, nextLabel) {
          if (stopped) return;
          if (nextLabel !== undefined) label = nextLabel;
          draw(done);
        },
        stop() {
          if (stopped) return;
          stopped = true;
          stderr.write(`\r${' '.repeat(lastWidth)}\r`);
        },
      };
    },
  };
}

/**
 * The reporter to use now: silent when `options.enabled` is false or `FROD_PROGRESS=0`, else the installed
 * factory's reporter, else the built-in TTY line.
 */
export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  if (options.enabled === false || !progressAllowedByEnv()) return silentProgress;
  return installedFactory ? installedFactory() : ttyReporter();
}
