import { CliUsageError } from './command.js';

/** What a command accepts: boolean flags, options with a value (some repeatable). */
export interface ArgSpec {
  readonly flags?: readonly string[];
  readonly values?: readonly string[];
  /** value options that may be given more than once (the others: at most once) */
  readonly repeatable?: readonly string[];
}

export interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  /** every value of each value option, in order */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

/**
 * A strict parser: unknown options, missing values and repeated single options are usage
 * errors (exit 2), so a typo never silently changes what runs. `-` alone is a positional
 * (standard input). `--name=value` is accepted too.
 */
export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const known = (list: readonly string[] | undefined, name: string): boolean => list?.includes(name) ?? false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (known(spec.flags, name) && name === arg) {
      flags.add(name);
    } else if (known(spec.values, name)) {
      let value: string | undefined;
      if (name !== arg) value = arg.slice(eq + 1);
      else value = args[++i];
      if (value === undefined) throw new CliUsageError(`${name} needs a value`);
      const list = values.get(name) ?? [];
      if (list.length > 0 && !known(spec.repeatable, name)) throw new CliUsageError(`${name} may be given only once`);
      list.push(value);
      values.set(name, list);
    } else {
      throw new CliUsageError(`unknown option '${arg}'`);
    }
  }
  return { flags, values, positionals };
}

/** The single value of an option, or undefined. */
export function single(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.values.get(name)?.[0];
}
