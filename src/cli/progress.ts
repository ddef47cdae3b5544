/**
 * cli-progress bars for the core's progress reporter (src/util/progress.ts): while a command runs, the
 * CLI installs this factory so the projection shows a proper bar on an interactive terminal.
 */
import cliProgress from 'cli-progress';
import { setProgressFactory, type ProgressFactory, type ProgressReporter, type ProgressTask } from '../util/progress';

/** A reporter drawing one cli-progress bar per task on `stream`, cleared when the task stops. */
export function cliProgressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return {
    start(title: string, total: number): ProgressTask {
      const bar = new cliProgress.SingleBar({
        stream,
        format: `${title.replace(/[{}]/g, '')} [{bar}] {value}/{total} {label}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        fps: 10,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { label: '' });
      let stopped = false;
      return {
        update(done: number, label?: string) {
          if (!stopped) bar.update(done, label === undefined ? undefined : { label });
        },
        stop() {
          if (stopped) return;
          stopped = true;
          bar.stop();
        },
      };
    },
  };
}

/**
 * Installs cli-progress bars drawing on `stream` (a terminal) for the duration of `fn`, then restores the
 * core's built-in reporter. With `stream` null nothing is installed (the core stays silent off a terminal).
 * Call it from the module that calls the core, so both see the same instance of src/util/progress.
 */
export function withProgressBars<T>(stream: NodeJS.WriteStream | null, fn: () => T): T {
  if (stream === null) return fn();
  const factory: ProgressFactory = () => cliProgressReporter(stream);
  setProgressFactory(factory);
  try {
    return fn();
  } finally {
    setProgressFactory(null);
  }
}
