/**
 * SET / RESET / SHOW / SET TRANSACTION, turned into the session-level
 * ParsedStatement the server applies itself. None of these ever reaches
 * DuckDB: `SET enable_external_access = true` only changes a session variable.
 */
import type { Node, VariableSetStmt } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import type { ParsedStatement } from '../engine-types.js';

/** Settings PostgreSQL marks GUC_LIST_QUOTE: their elements are stored as quoted identifiers. */
const LIST_QUOTE_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'shared_preload_libraries',
  'local_preload_libraries',
]);

/** Reserved and column-name keywords, which quote_identifier() always quotes. */
const QUOTED_KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean ' +
    'both case cast char character check coalesce collate collation column concurrently constraint create ' +
    'cross current_catalog current_date current_role current_schema current_time current_timestamp ' +
    'current_user dec decimal default deferrable desc distinct do else end except exists extract false ' +
    'fetch float for foreign freeze from full grant greatest group grouping having ilike in initially inner ' +
    'inout int integer intersect interval into is isnull join lateral leading least left like limit ' +
    'localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric offset ' +
    'on only or order out outer overlaps overlay placing position precision primary real references ' +
    'returning right row select session_user setof similar smallint some substring symmetric system_user ' +
    'table tablesample then time timestamp to trailing treat trim true union unique user using values ' +
    'varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists ' +
    'xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** PostgreSQL's quote_identifier(): quotes only when the name would not read back unchanged. */
export function pgQuoteIdentifier(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !QUOTED_KEYWORDS.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

export function classifySet(stmt: VariableSetStmt): ParsedStatement {
  const name = (stmt.name ?? '').toLowerCase();
  const isLocal = stmt.is_local === true;
  switch (stmt.kind) {
    case 'VAR_RESET_ALL':
      return { kind: 'reset_all' };
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      return { kind: 'set', name, value: undefined, isLocal };
    case 'VAR_SET_MULTI':
      return classifySetMulti(stmt);
    case 'VAR_SET_VALUE':
      rejectIdentityChange(name);
      return { kind: 'set', name, value: renderSetValue(name, stmt.args ?? []), isLocal };
    default:
      throw new PgError(SqlState.featureNotSupported, 'SET … FROM CURRENT is not supported by pg_analytica');
  }
}

/**
 * The session's role is the authenticated one and decides which tables a
 * client may read; switching it would need PostgreSQL's membership checks.
 */
function rejectIdentityChange(name: string): void {
  if (name === 'session_authorization' || name === 'role') {
    const what = name === 'role' ? 'SET ROLE' : 'SET SESSION AUTHORIZATION';
    throw new PgError(SqlState.featureNotSupported, `${what} is not supported by pg_analytica`, {
      hint: 'Connect as the role whose privileges the query should use.',
    });
  }
}

/** SET values as PostgreSQL stores them (flatten_set_variable_args): elements joined with ", ". */
function renderSetValue(name: string, args: readonly Node[]): string {
  return args.map((arg) => renderSetArg(name, arg)).join(', ');
}

function renderSetArg(name: string, arg: Node): string {
  if (!('A_Const' in arg)) {
    throw new PgError(
      SqlState.featureNotSupported,
      `this form of SET ${name} is not supported by pg_analytica`,
    );
  }
  const value = arg.A_Const;
  if (value.ival !== undefined) return String(value.ival.ival ?? 0);
  if (value.fval !== undefined) return value.fval.fval ?? '0';
  if (value.sval !== undefined) {
    const text = value.sval.sval ?? '';
    return LIST_QUOTE_SETTINGS.has(name) ? pgQuoteIdentifier(text) : text;
  }
  throw new PgError(SqlState.invalidParameterValue, `invalid value for parameter "${name}"`);
}

/**
 * SET TRANSACTION … and SET SESSION CHARACTERISTICS AS TRANSACTION … carry
 * their options as DefElems; the first option becomes the setting (the
 * transaction_isolation / transaction_read_only GUCs PostgreSQL maps them to).
 */
function classifySetMulti(stmt: VariableSetStmt): ParsedStatement {
  const scope = stmt.name ?? '';
  if (scope !== 'TRANSACTION' && scope !== 'SESSION CHARACTERISTICS') {
    throw new PgError(SqlState.featureNotSupported, `SET ${scope} is not supported by pg_analytica`);
  }
  const option = stmt.args?.[0];
  if (option === undefined || !('DefElem' in option) || option.DefElem.defname === undefined) {
    throw new PgError(SqlState.syntaxError, `syntax error in SET ${scope}`);
  }
  const setting = option.DefElem.defname;
  const arg = option.DefElem.arg;
  let value = 'on';
  if (arg !== undefined && 'A_Const' in arg) {
    value = arg.A_Const.sval?.sval ?? (arg.A_Const.ival?.ival === 1 ? 'on' : 'off');
  }
  const isLocal = scope === 'TRANSACTION';
  return { kind: 'set', name: isLocal ? setting : `default_${setting}`, value, isLocal };
}
