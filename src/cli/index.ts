#!/usr/bin/env node
/** The pg-analytica command line: one file per command, one argument parser (args.ts) for all. */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { Logger } from '../log.js';
import { type CommandSpec, closest, commandUsage, parseCommandArgs } from './args.js';
import { bench } from './bench.js';
import { demo } from './demo.js';
import { describeFailure, printFailure } from './failure.js';
import type { Command } from './flags.js';
import { install } from './install.js';
import { register } from './register.js';
import { start } from './start.js';
import { status } from './status.js';
import { compact, resync, unregister } from './table-command.js';
import { uninstall } from './uninstall.js';
import { wait } from './wait.js';

const commands: readonly Command[] = [
  start,
  install,
  status,
  register,
  wait,
  resync,
  compact,
  unregister,
  demo,
  bench,
  uninstall,
];

function version(): string {
  // dist/src/cli/index.js → the package's root.
  const file = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function usage(): string {
  const summary = (spec: CommandSpec) => spec.summary.split('\n')[0]!;
  return [
    'usage: pg-analytica <command> [arguments] [flags]',
    '',
    'commands:',
    ...commands.map(({ spec }) => `  ${spec.name.padEnd(11)}${summary(spec)}`),
    '',
    'pg-analytica <command> --help shows the arguments and flags of a command; pg-analytica --version its version.',
    'The source database comes from DATABASE_URL or the PG* variables; without them an embedded',
    'PostgreSQL is started under .analytica/postgres.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`pg-analytica ${version()}`);
    return 0;
  }
  const command = commands.find((c) => c.spec.name === name);
  if (!command) {
    const guess = closest(
      name,
      commands.map((c) => c.spec.name),
    );
    printFailure({
      what: `unknown command ${JSON.stringify(name)}${guess ? `; did you mean ${guess}?` : ''}`,
      todo: `the commands are ${commands.map((c) => c.spec.name).join(', ')} (pg-analytica --help)`,
      exitCode: 2,
    });
    return 2;
  }
  let debug = false;
  try {
    const args = parseCommandArgs(command.spec, rest);
    if (args.help) {
      console.log(commandUsage(command.spec));
      return 0;
    }
    // Every setting flag and variable is checked before the command acts.
    const level = loadConfig(process.env, rest).logLevel;
    debug = level === 'debug';
    const log = new Logger({
      level: name === 'demo' || name === 'bench' ? 'warn' : level,
      pretty: process.stderr.isTTY === true,
    });
    await command.run(args, log);
    return 0;
  } catch (error) {
    const failure = describeFailure(error, name);
    printFailure(failure);
    if (debug && error instanceof Error) console.error(error.stack);
    return failure.exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
