/**
 * The configuration parameters a session knows, with PostgreSQL's display
 * names, defaults and which ones are reported by ParameterStatus (GUC_REPORT).
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC
 */
import {
  anyValue,
  booleanValue,
  clientEncodingValue,
  durationMs,
  integerIn,
  intervalStyleValue,
  type Normalizer,
  oneOf,
  onlyOn,
  timeZoneValue,
} from './setting-values.js';

export const serverVersion = '16.6 (pg_analytica 0.1.0)';
export const serverVersionNum = '160006';

export interface SettingDefinition {
  /** PostgreSQL's spelling, used for ParameterStatus and SHOW column names. */
  readonly name: string;
  readonly defaultValue: string;
  /** undefined for DateStyle, whose normaliser depends on the current value. */
  readonly normalize: Normalizer | undefined;
  readonly reported?: boolean;
  readonly readOnly?: boolean;
}

const isolationLevels = ['read uncommitted', 'read committed', 'repeatable read', 'serializable'];

function def(
  name: string,
  defaultValue: string,
  normalize: Normalizer | undefined,
  flags: { reported?: boolean; readOnly?: boolean } = {},
): SettingDefinition {
  return { name, defaultValue, normalize, ...flags };
}

const reported = { reported: true };
const fixedReported = { reported: true, readOnly: true };
const fixed = { readOnly: true };

const definitionList: SettingDefinition[] = [
  def('application_name', '', anyValue, reported),
  def('client_encoding', 'UTF8', clientEncodingValue, reported),
  def('DateStyle', 'ISO, MDY', undefined, reported),
  def('default_transaction_read_only', 'on', booleanValue, reported),
  def('in_hot_standby', 'off', booleanValue, fixedReported),
  def('integer_datetimes', 'on', booleanValue, fixedReported),
  def('IntervalStyle', 'postgres', intervalStyleValue, reported),
  def('is_superuser', 'off', booleanValue, fixedReported),
  def('server_encoding', 'UTF8', anyValue, fixedReported),
  def('server_version', serverVersion, anyValue, fixedReported),
  def('session_authorization', '', anyValue, fixedReported),
  def('standard_conforming_strings', 'on', onlyOn, reported),
  def('TimeZone', 'UTC', timeZoneValue, reported),
  def('server_version_num', serverVersionNum, anyValue, fixed),
  def('max_identifier_length', '63', anyValue, fixed),
  def('block_size', '8192', anyValue, fixed),
  def('lc_collate', 'C', anyValue, fixed),
  def('lc_ctype', 'C', anyValue, fixed),
  def('search_path', '"$user", public', anyValue),
  def('extra_float_digits', '1', integerIn(-15, 3)),
  def('statement_timeout', '0', durationMs),
  def('lock_timeout', '0', durationMs),
  def('idle_in_transaction_session_timeout', '0', durationMs),
  def('idle_session_timeout', '0', durationMs),
  def('transaction_isolation', 'read committed', oneOf(isolationLevels)),
  def('default_transaction_isolation', 'read committed', oneOf(isolationLevels)),
  def('transaction_read_only', 'on', booleanValue),
  def('transaction_deferrable', 'off', booleanValue),
  def('default_transaction_deferrable', 'off', booleanValue),
  def(
    'client_min_messages',
    'notice',
    oneOf(['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'debug', 'log', 'notice', 'warning', 'error']),
  ),
  def('bytea_output', 'hex', oneOf(['hex'])),
  def('lc_messages', 'C', anyValue),
  def('lc_monetary', 'C', anyValue),
  def('lc_numeric', 'C', anyValue),
  def('lc_time', 'C', anyValue),
  def('timezone_abbreviations', 'Default', anyValue),
  def('xmloption', 'content', oneOf(['content', 'document'])),
  def('row_security', 'on', booleanValue),
  def('synchronous_commit', 'on', anyValue),
  def('work_mem', '4MB', anyValue),
  def('maintenance_work_mem', '64MB', anyValue),
  def('temp_buffers', '8MB', anyValue),
  def('jit', 'off', booleanValue),
  def('geqo', 'on', booleanValue),
  def('join_collapse_limit', '8', integerIn(1, 2147483647)),
  def('from_collapse_limit', '8', integerIn(1, 2147483647)),
  def('max_parallel_workers_per_gather', '2', integerIn(0, 1024)),
  def('plan_cache_mode', 'auto', oneOf(['auto', 'force_generic_plan', 'force_custom_plan'])),
  def('cursor_tuple_fraction', '0.1', anyValue),
  def('random_page_cost', '4', anyValue),
  def('effective_cache_size', '4GB', anyValue),
  def('default_text_search_config', 'pg_catalog.english', anyValue),
  def('array_nulls', 'on', booleanValue),
  def('escape_string_warning', 'on', booleanValue),
  def('quote_all_identifiers', 'off', booleanValue),
  def('check_function_bodies', 'on', booleanValue),
  def('track_io_timing', 'off', booleanValue),
  // pg_analytica's own: off reads every segment of a table, for comparisons and measurements.
  def('analytica.segment_pruning', 'on', booleanValue),
  ...[
    'seqscan',
    'indexscan',
    'indexonlyscan',
    'bitmapscan',
    'hashjoin',
    'mergejoin',
    'nestloop',
    'hashagg',
    'sort',
    'material',
    'partitionwise_join',
    'partitionwise_aggregate',
  ].map((name) => def(`enable_${name}`, name.startsWith('partitionwise') ? 'off' : 'on', booleanValue)),
];

const definitions = new Map(definitionList.map((d) => [d.name.toLowerCase(), d]));

/** Keyed by lower-cased name, as PostgreSQL looks names up case-insensitively. */
export const settingDefinitions: ReadonlyMap<string, SettingDefinition> = definitions;

/**
 * Reports the source server's version (when 15 or newer) instead of the
 * default: catalog queries run on the source, and psql and drivers shape them
 * for the version they are told. Called once at daemon start, before sessions.
 */
export function mirrorSourceServerVersion(sourceVersion: string, sourceVersionNum: number): void {
  if (!Number.isInteger(sourceVersionNum) || sourceVersionNum < 150000) return;
  const number = sourceVersion.split(' ')[0] ?? sourceVersion;
  const suffix = serverVersion.slice(serverVersion.indexOf(' '));
  definitions.set('server_version', def('server_version', `${number}${suffix}`, anyValue, fixedReported));
  definitions.set('server_version_num', def('server_version_num', String(sourceVersionNum), anyValue, fixed));
}

/**
 * Sessions start in the source server's TimeZone, as they would on PostgreSQL itself, so a
 * client that sets none sees timestamptz printed alike. A zone the runtime does not know
 * leaves the default (UTC). Called once at daemon start, before sessions.
 */
export function mirrorSourceTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return;
  }
  definitions.set('timezone', def('TimeZone', zone, timeZoneValue, reported));
}

/** Custom ("placeholder") parameters have a dot in their name, e.g. myapp.tenant. */
export function isCustomSettingName(name: string): boolean {
  return name.includes('.');
}
