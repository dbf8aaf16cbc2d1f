// The CLI's commands as commander builds them, with the promises a script relies on: a usage
// error (unknown flag, missing argument, a value not in its choices) is thrown, never exits
// the process itself, so the program can exit 2 (and print it as JSON under -o json); and a
// `[bool]` flag parses as kubectl's and kubefedctl's do: alone it means true, it never takes
// the next word, and a value must be given as --flag=true or --flag=false.
import { Command, CommanderError, InvalidArgumentError, type Option } from 'commander';

/** The suffix that makes a flag a boolean one: `.option('--dry-run [bool]', ...)`. */
const BOOL = ' [bool]';

export const isBool = (option: Option) => option.flags.endsWith(BOOL);

function strictBool(value: string): string {
  if (value === 'true' || value === 'false') return value;
  throw new InvalidArgumentError('Give true or false, as --flag=false (the flag alone means true).');
}

/** A usage error, with the command whose flags or arguments were wrong. */
export class UsageError extends CommanderError {
  constructor(
    error: CommanderError,
    readonly command: Command,
  ) {
    super(error.exitCode, error.code, error.message);
  }
}

export class KubefedCommand extends Command {
  constructor(name?: string) {
    super(name);
    // Errors are printed by the program once, as text or as JSON; help and --version still print.
    this.exitOverride().configureOutput({ outputError: () => undefined });
  }

  override createCommand(name?: string): Command {
    return new KubefedCommand(name);
  }

  override createOption(flags: string, description?: string): Option {
    const option = super.createOption(flags, description);
    return flags.endsWith(BOOL) ? option.argParser(strictBool) : option;
  }

  /** `--dry-run` alone becomes `--dry-run=true`, so that commander does not take the next word. */
  override parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    const bools = new Set(this.options.filter(isBool).flatMap((o) => (o.long ? [o.long] : [])));
    const takesValue = (arg: string) => this.options.some((o) => o.required && (o.long === arg || o.short === arg));
    const rewritten: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === '--') {
        rewritten.push(...args.slice(i));
        break;
      }
      rewritten.push(bools.has(arg) ? `${arg}=true` : arg);
      if (takesValue(arg) && i + 1 < args.length) rewritten.push(args[++i]);
    }
    return super.parseOptions(rewritten);
  }

  override error(message: string, options?: { code?: string; exitCode?: number }): never {
    try {
      super.error(message, options);
    } catch (err) {
      if (err instanceof CommanderError && !(err instanceof UsageError)) throw new UsageError(err, this);
      throw err;
    }
    throw new Error('unreachable: commander exits or throws on an error');
  }
}

/** `kubefed join`, say: how to name the command in a hint. */
export const commandPath = (command: Command): string =>
  command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
