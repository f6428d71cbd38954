/**
 * JSON-lines logger with levels and child loggers. On a terminal the lines are
 * shortened to a human-friendly form; otherwise every line is one JSON object.
 */
export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevelName = keyof typeof LogLevel;

export interface LoggerOptions {
  level?: LogLevelName;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  write?: (line: string) => void;
  pretty?: boolean;
}

export class Logger {
  readonly #fields: Record<string, unknown>;
  readonly #level: number;
  readonly #write: (line: string) => void;
  readonly #pretty: boolean;

  constructor(options: LoggerOptions = {}, fields: Record<string, unknown> = {}) {
    this.#level = LogLevel[options.level ?? 'info'];
    this.#write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.#pretty = options.pretty ?? false;
    this.#fields = fields;
  }

  child(fields: Record<string, unknown>): Logger {
    return new Logger(
      {
        level: levelName(this.#level),
        write: this.#write,
        pretty: this.#pretty,
      },
      { ...this.#fields, ...fields },
    );
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.#log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.#log('error', msg, fields);
  }

  #log(level: LogLevelName, msg: string, fields?: Record<string, unknown>): void {
    if (LogLevel[level] < this.#level) return;
    const record = { time: new Date().toISOString(), level, msg, ...this.#fields, ...fields };
    if (this.#pretty) {
      const extra = Object.entries({ ...this.#fields, ...fields })
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, bigintSafe)}`)
        .join(' ');
      this.#write(`${record.time.slice(11, 19)} ${level.padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}`);
    } else {
      this.#write(JSON.stringify(record, bigintSafe));
    }
  }
}

function levelName(value: number): LogLevelName {
  const found = Object.entries(LogLevel).find(([, v]) => v === value);
  return (found?.[0] as LogLevelName | undefined) ?? 'info';
}

function bigintSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { message: value.message, stack: value.stack };
  return value;
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger = new Logger({ level: 'silent' });
