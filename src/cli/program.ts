/**
 * The commander program behind `frod`: builds it for one run from a list of commands, parses the
 * arguments, and turns every failure into exactly one line on stderr and an exit status — no stack trace
 * unless FROD_DEBUG=1, never `process.exit` (so tests run it in-process).
 *
 * Exit status: 0 success (and --help, --version), 1 a failure on the inputs or while working,
 * 2 a command line that does not parse (unknown option, missing required option, unknown command).
 */
import { Command } from 'commander';
import packageJson from '../../package.json';
import { setWarningHandler } from '../peft/warnings';
import { EXIT_FAILURE, EXIT_USAGE, firstLine, processIO, type CliIO } from './io';

/** What a command gets when it is built. */
export interface CliContext {
  readonly io: CliIO;
  /** True unless `--no-progress` was given or there is no terminal to draw on. */
  progressEnabled(): boolean;
}

/** One `frod` subcommand: builds its commander Command (name, options, help, action). */
export interface CliCommand {
  create(context: CliContext): Command;
}

/** Loads one command module; each module's default export is a {@link CliCommand}. */
export type CommandLoader = () => Promise<{ default: CliCommand }>;

/** The package version (`frod --version`). */
export const VERSION: string = (packageJson as { version: string }).version;

/** Joins a multi-line message (commander adds "(Did you mean …?)" on a second line) into one line. */
function oneLine(text: string): string {
  return text.replace(/^error: /, '').split('\n').map((part) => part.trim()).filter(Boolean).join(' ');
}

/**
 * Sends a command's output to `io`, and its parse errors to stderr as `frod <name>: <problem>`
 * (`note` may add to a message, e.g. why a command is unknown).
 */
function configure(command: Command, io: CliIO, label: string, note: (message: string) => string = (m) => m): Command {
  command.exitOverride();
  command.configureOutput({
    writeOut: (text) => io.stdout(text),
    writeErr: (text) => io.stderr(text),
    outputError: (text) => io.stderr(`${label}: ${note(oneLine(text))}\n`),
    getOutHelpWidth: () => 100,
    getErrHelpWidth: () => 100,
  });
  return command;
}

/** Writes the one-line report of an error thrown by a command's action. */
function reportFailure(err: unknown, command: string, io: CliIO): number {
  const label = command === '' ? 'frod' : `frod ${command}`;
  io.stderr(`${label}: ${firstLine(err)}\n`);
  if (io.env.FROD_DEBUG === '1' && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  // Duck-typed rather than `instanceof CliError`: command modules are loaded with import(), which a
  // CommonJS test runner may resolve to a second copy of ./io.
  const status = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof status === 'number' && Number.isInteger(status) && status > 0 ? status : EXIT_FAILURE;
}

/** A commander parse error or help/version exit (duck-typed, see {@link reportFailure}). */
interface CommanderExit {
  code: string;
  exitCode: number;
}

function isCommanderExit(err: unknown): err is CommanderExit {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('commander.');
}

/** The exit status for an error that commander raised (its message is already on stderr). */
function commanderStatus(err: CommanderExit): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
  if (err.code === 'commander.help') return err.exitCode; // bare `frod`: help on stderr, status 1
  return EXIT_USAGE;
}

/**
 * Runs `frod` with `argv` (the arguments after the program name) and returns the exit status.
 * Output goes to `io`; the commands are loaded from `commands`.
 */
export async function runCli(argv: readonly string[], commands: readonly CommandLoader[], io: CliIO = processIO()): Promise<number> {
  const loadFailures: string[] = [];
  const explainUnknown = (message: string) => (loadFailures.length > 0 && message.startsWith('unknown command')
    ? `${message} (a command module failed to load: ${loadFailures[0]})` : message);
  const program = configure(new Command('frod'), io, 'frod', explainUnknown);
  program
    .description('FRoD (Full-Rank Efficient Fine-Tuning with Rotational Degrees) from the command line: create, merge and inspect adapters for Hugging Face safetensors models.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--no-progress', 'never show progress bars')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', '\nRun `frod <command> --help` for the options of a command. Set FROD_DEBUG=1 for stack traces.');
  const context: CliContext = {
    io,
    progressEnabled: () => program.opts().progress !== false && io.progressStream !== null,
  };
  // A command whose module fails to load is left out, so the others keep working; asking for it then
  // says why it is unknown (and FROD_DEBUG=1 prints the stack).
  for (const load of commands) {
    try {
      const command = (await load()).default.create(context);
      program.addCommand(configure(command, io, `frod ${command.name()}`));
    } catch (err) {
      loadFailures.push(firstLine(err));
      if (io.env.FROD_DEBUG === '1' && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    }
  }
  let running = '';
  program.hook('preAction', (_root, action) => { running = action.name(); });
  // The library's warnings (PEFT's warnings.warn) become lines `frod <command>: warning: …` on stderr.
  const previousHandler = setWarningHandler((message) => io.stderr(`${running === '' ? 'frod' : `frod ${running}`}: warning: ${message}\n`));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (isCommanderExit(err)) return commanderStatus(err);
    return reportFailure(err, running, io);
  } finally {
    setWarningHandler(previousHandler);
  }
}
