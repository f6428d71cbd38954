/**
 * The one argument parser of every command: each command declares its flags
 * and positional arguments (a CommandSpec), and parseCommandArgs refuses
 * anything else before the command acts — unknown flags (naming the closest
 * valid one), missing values, values outside a flag's choices, missing or extra
 * positional arguments. `--help`/`-h` is accepted everywhere and makes the
 * command print its usage and do nothing else.
 */
import { type FlagOption, parseFlags } from '../config.js';

export interface OptionSpec extends FlagOption {
  /** What the flag does, for --help. */
  readonly description: string;
  /** The value's placeholder in --help (`--port <port>`). */
  readonly value?: string;
  readonly choices?: readonly string[];
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for `pg-analytica --help`. */
  readonly summary: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Paragraphs after the flags in --help. */
  readonly details?: string;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly flags: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
  /** The arguments as given, for loadConfig (which reads the setting flags among them). */
  readonly argv: readonly string[];
}

/** A command line that cannot be run as written: exit code 2, as for getopt's tools. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const helpOption: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'show this help and do nothing',
};

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options = { ...spec.options, help: helpOption };
  const parsed = parseFlags(argv, options);
  const result = {
    help: parsed.flags.has('help'),
    flags: parsed.flags,
    positionals: parsed.positional,
    argv,
  };
  if (result.help) return result;
  const command = `pg-analytica ${spec.name}`;
  const [unknown] = parsed.unknown;
  if (unknown !== undefined) {
    const names = Object.keys(options).map((name) => `--${name}`);
    const guess = closest(unknown, names);
    throw new UsageError(
      `unknown flag ${unknown} for ${command}${guess ? `; did you mean ${guess}?` : ''}\n` +
        `valid flags: ${names.join(', ')} (${command} --help explains them)`,
    );
  }
  const [missing] = parsed.missingValue;
  if (missing !== undefined)
    throw new UsageError(`${missing} needs a value, as in ${usageOf(missing.slice(2), options)}`);
  const [extra] = parsed.unexpectedValue;
  if (extra !== undefined) throw new UsageError(`${extra} takes no value; write just ${extra}`);
  for (const [name, option] of Object.entries(spec.options)) {
    const value = parsed.flags.get(name);
    if (value !== undefined && option.choices && !option.choices.includes(value))
      throw new UsageError(
        `invalid value for --${name}: ${JSON.stringify(value)}; expected one of ${option.choices.join(', ')}`,
      );
  }
  checkPositionals(spec, parsed.positional);
  return result;
}

function checkPositionals(spec: CommandSpec, given: readonly string[]): void {
  const wanted = spec.positionals ?? [];
  const synopsis = `pg-analytica ${spec.name} ${wanted.map((p) => `<${p.name}>`).join(' ')}`.trim();
  if (given.length < wanted.length)
    throw new UsageError(`missing <${wanted[given.length]!.name}>: usage is ${synopsis}`);
  if (given.length > wanted.length)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(given[wanted.length])}: usage is ${synopsis} [flags]`,
    );
}

function usageOf(name: string, options: Readonly<Record<string, OptionSpec>>): string {
  const option = options[name];
  return option?.type === 'string' ? `--${name} <${option.value ?? 'value'}>` : `--${name}`;
}

/** The usage text of one command, for `pg-analytica <command> --help`. */
export function commandUsage(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? []).map((p) => ` <${p.name}>`).join('');
  const lines = [`usage: pg-analytica ${spec.name}${positionals} [flags]`, '', spec.summary];
  if (spec.positionals?.length) {
    lines.push('');
    for (const p of spec.positionals) lines.push(`  <${p.name}>`.padEnd(30) + p.description);
  }
  lines.push('', 'flags:');
  const options = { ...spec.options, help: helpOption };
  for (const [name, option] of Object.entries(options)) {
    const short = option.short ? `-${option.short}, ` : '';
    const left = `  ${short}${usageOf(name, options)}`;
    const choices = option.choices ? ` (${option.choices.join(' | ')})` : '';
    lines.push(
      `${left.padEnd(30)}${left.length >= 30 ? `\n${' '.repeat(30)}` : ''}${option.description}${choices}`,
    );
  }
  if (spec.details) lines.push('', spec.details);
  return lines.join('\n');
}

/** The valid name nearest to a mistyped one (edit distance ≤ 2, or a prefix), if any. */
export function closest(given: string, names: readonly string[]): string | undefined {
  const plain = given.split('=')[0]!;
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = name.startsWith(plain) && plain.length > 3 ? 1 : editDistance(plain, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
