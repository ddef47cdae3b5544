/**
 * `frod`: the command-line tool (Node). `bin/frod.js` runs this file (or its build, dist/cli.js).
 *
 *   frod init    --base model.safetensors --config adapter_config.json --out DIR
 *   frod merge   --base model.safetensors --adapter DIR --out merged.safetensors [--safe]
 *   frod inspect DIR|FILE [--json]
 *
 * See docs/cli.md. The work is done in src/cli/program.ts (parsing, errors) and src/cli/commands/*.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processIO, type CliIO } from './io';
import { runCli, type CommandLoader } from './program';

/**
 * The subcommands, in the order `frod --help` lists them. Adding a command is a one-line change here:
 * write src/cli/commands/<name>.ts whose default export is a CliCommand (see src/cli/program.ts), then add
 * `() => import('./commands/<name>'),` to this list.
 */
export const COMMANDS: readonly CommandLoader[] = [
  () => import('./commands/init'),
  () => import('./commands/merge'),
  () => import('./commands/inspect'),
  () => import('./commands/demo'),
  () => import('./commands/pretrain'),
  () => import('./commands/conformance'),
];

/** Runs `frod` with `argv` (arguments after the program name) and returns its exit status. */
export function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  return runCli(argv, COMMANDS, io);
}

/** True when this module is the program being run (directly, through bin/frod.js, or as dist/cli.js). */
function isEntryPoint(): boolean {
  const invoked = process.argv[1];
  if (invoked === undefined) return false;
  try {
    const real = realpathSync(invoked);
    return /[\\/]bin[\\/]frod(\.js)?$/.test(real) || real === fileURLToPath(import.meta.url);
  } catch {
    return false; // e.g. import.meta.url is unavailable when a test runner loads this file as CommonJS
  }
}

if (isEntryPoint()) {
  // `frod inspect … | head` closes our stdout early: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  void main(process.argv.slice(2)).then((status) => { process.exitCode = status; });
}
