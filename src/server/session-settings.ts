/**
 * A session's configuration parameters, emulating PostgreSQL's GUC rules:
 * session values and SET LOCAL overrides, RESET to the value the session
 * started with (defaults overlaid with startup-packet parameters), custom
 * dotted names, and snapshots so transactions and savepoints can roll SETs back.
 */
import { PgError, SqlState } from '../errors.js';
import { isCustomSettingName, type SettingDefinition, settingDefinitions } from './setting-definitions.js';
import { dateStyleValue, parseDurationMs } from './setting-values.js';

export interface SettingsSnapshot {
  readonly session: ReadonlyMap<string, string>;
  readonly local: ReadonlyMap<string, string>;
}

export class SessionSettings {
  readonly #role: string;
  readonly #reset = new Map<string, string>();
  #session = new Map<string, string>();
  #local = new Map<string, string>();

  /**
   * Throws PgError for a startup parameter PostgreSQL would reject too. `defaults` are the
   * daemon's own (analytica.statement_timeout), which startup parameters override, as they
   * override ALTER ROLE/DATABASE … SET in PostgreSQL.
   */
  constructor(
    role: string,
    startupParameters: ReadonlyMap<string, string> = new Map(),
    defaults: ReadonlyMap<string, string> = new Map(),
  ) {
    this.#role = role;
    for (const [key, definition] of settingDefinitions) this.#reset.set(key, definition.defaultValue);
    this.#reset.set('session_authorization', role);
    this.#session = new Map(this.#reset);
    for (const [name, value] of defaults) this.set(name, value, false);
    for (const [name, value] of startupParameters) this.set(name, value, false);
    for (const [key, value] of this.#session) this.#reset.set(key, value);
  }

  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.#local.get(key) ?? this.#session.get(key);
  }

  /** SET name = value (undefined: RESET / SET … TO DEFAULT); SET LOCAL lasts until the transaction ends. */
  set(name: string, value: string | undefined, isLocal: boolean): void {
    const key = name.toLowerCase();
    const definition = this.#definition(key);
    if (definition?.readOnly) {
      throw new PgError(SqlState.cantChangeRuntimeParam, `parameter "${definition.name}" cannot be changed`);
    }
    const normalized =
      value === undefined ? (this.#reset.get(key) ?? '') : this.#normalize(key, definition, value);
    if (isLocal) {
      this.#local.set(key, normalized);
    } else {
      this.#session.set(key, normalized);
      this.#local.delete(key);
    }
  }

  /** RESET ALL: every changeable parameter back to its session start value. */
  resetAll(): void {
    for (const [key, value] of this.#reset) {
      if (!settingDefinitions.get(key)?.readOnly) this.#session.set(key, value);
    }
    for (const key of this.#session.keys()) {
      if (!this.#reset.has(key)) this.#session.set(key, '');
    }
    this.#local.clear();
  }

  /** SHOW: the column name PostgreSQL uses and the value; 42704 for unknown names. */
  show(name: string): { column: string; value: string } {
    const key = name.toLowerCase();
    const value = this.get(key);
    if (value === undefined) throw unrecognized(name);
    return { column: settingDefinitions.get(key)?.name ?? key, value };
  }

  /** SHOW ALL rows: name, setting, description. */
  showAll(): string[][] {
    const keys = [...new Set([...this.#session.keys(), ...this.#local.keys()])].sort();
    return keys.map((key) => [settingDefinitions.get(key)?.name ?? key, this.get(key) ?? '', '']);
  }

  snapshot(): SettingsSnapshot {
    return { session: new Map(this.#session), local: new Map(this.#local) };
  }

  restore(snapshot: SettingsSnapshot): void {
    this.#session = new Map(snapshot.session);
    this.#local = new Map(snapshot.local);
  }

  /** At transaction end SET LOCAL values lapse. */
  clearLocal(): void {
    this.#local.clear();
  }

  /** Current values of the parameters PostgreSQL reports with ParameterStatus. */
  reportedValues(): [string, string][] {
    const values: [string, string][] = [];
    for (const [key, definition] of settingDefinitions) {
      if (definition.reported) values.push([definition.name, this.get(key) ?? '']);
    }
    return values;
  }

  /** search_path as schema names: quotes removed, unquoted names lower-cased, "$user" expanded. */
  searchPath(): string[] {
    return splitSearchPath(this.get('search_path') ?? '').map((entry) =>
      entry === '$user' ? this.#role : entry,
    );
  }

  get timeZone(): string {
    return this.get('timezone') ?? 'UTC';
  }

  get extraFloatDigits(): number {
    return Number(this.get('extra_float_digits') ?? '1');
  }

  get statementTimeoutMs(): number {
    return parseDurationMs(this.get('statement_timeout') ?? '0');
  }

  #definition(key: string): SettingDefinition | undefined {
    const definition = settingDefinitions.get(key);
    if (definition !== undefined || isCustomSettingName(key)) return definition;
    if (key === 'role') {
      throw new PgError(
        SqlState.featureNotSupported,
        'SET ROLE is not supported; connect as that role instead',
      );
    }
    throw unrecognized(key);
  }

  #normalize(key: string, definition: SettingDefinition | undefined, value: string): string {
    if (definition === undefined) return value;
    const normalize = definition.normalize ?? dateStyleValue(this.get(key) ?? 'ISO, MDY');
    return normalize(value, definition.name);
  }
}

function unrecognized(name: string): PgError {
  return new PgError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
}

/** Splits a search_path list on commas outside double quotes. */
export function splitSearchPath(value: string): string[] {
  const entries: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy;
  for (let match = pattern.exec(value); match !== null && match[0] !== ''; match = pattern.exec(value)) {
    if (match[1] !== undefined) entries.push(match[1].replaceAll('""', '"'));
    else if (match[2] !== undefined) entries.push(match[2].toLowerCase());
  }
  return entries;
}
