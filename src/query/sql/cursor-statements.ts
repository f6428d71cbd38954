/**
 * Statements that wrap or drive a SELECT: DECLARE … CURSOR FOR, FETCH/MOVE,
 * CLOSE, EXPLAIN, and the prepared-statement housekeeping DEALLOCATE and
 * DISCARD ALL. postgres_fdw reads every foreign scan through a cursor
 * (`DECLARE c1 CURSOR FOR\n<select>`, then `FETCH 100 FROM c1`) and plans
 * with `EXPLAIN <select>`.
 * https://www.postgresql.org/docs/current/sql-declare.html
 * https://www.postgresql.org/docs/current/sql-fetch.html
 */
import type { ClosePortalStmt, DeclareCursorStmt, ExplainStmt, FetchStmt, Node } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import type { ParsedStatement } from '../engine-types.js';

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;
/** Classifies a SELECT given as its own text (locations are then offsets into it). */
export type SelectFromText = (text: string) => SelectStatement;

/** PostgreSQL's CURSOR_OPT_* bits (parsenodes.h). */
const cursorOption = { binary: 0x1, scroll: 0x2, hold: 0x20 } as const;
/** FETCH_ALL is LONG_MAX in the server; the parser gives 2^31-1 for ALL. */
const fetchAll = 2147483647;

/**
 * Where the query of a DECLARE starts: after `DECLARE name [options] CURSOR
 * [WITH[OUT] HOLD] FOR`. The name may be a quoted identifier holding anything.
 */
const declarePrefix =
  /^\s*DECLARE\s+(?:"(?:[^"]|"")*"|[^\s"]+)\s+(?:(?:BINARY|INSENSITIVE|ASENSITIVE|NO|SCROLL)\s+)*CURSOR\s+(?:(?:WITH|WITHOUT)\s+HOLD\s+)?FOR\s/i;
/** Where the query of an EXPLAIN starts: after `EXPLAIN [( options )] [ANALYZE] [VERBOSE]`. */
const explainPrefix =
  /^\s*EXPLAIN\s+(?:\((?:[^()'"]|'(?:[^']|'')*'|"(?:[^"]|"")*")*\)\s*)?(?:(?:ANALYZE|ANALYSE|VERBOSE)\s+)*/i;

export function classifyDeclare(
  text: string,
  stmt: DeclareCursorStmt,
  selectFromText: SelectFromText,
): ParsedStatement {
  const options = stmt.options ?? 0;
  if (options & cursorOption.binary) {
    throw new PgError(SqlState.featureNotSupported, 'BINARY cursors are not supported by pg_analytica', {
      hint: 'declare the cursor without BINARY and ask for binary results in the Bind message instead',
    });
  }
  if (stmt.query === undefined || !('SelectStmt' in stmt.query)) {
    throw new PgError(SqlState.featureNotSupported, 'a cursor must be declared for a SELECT');
  }
  return {
    kind: 'declare',
    name: stmt.portalname ?? '',
    select: selectFromText(queryText(text, declarePrefix, 'DECLARE')),
    hold: (options & cursorOption.hold) !== 0,
  };
}

export function classifyFetch(stmt: FetchStmt): ParsedStatement {
  const name = stmt.portalname ?? '';
  const move = stmt.ismove === true;
  const howMany = Number(stmt.howMany ?? 0);
  const count = howMany >= fetchAll ? Number.POSITIVE_INFINITY : howMany;
  switch (stmt.direction) {
    case 'FETCH_FORWARD':
      if (count < 0) return backwardOnly(move);
      return { kind: 'fetch', name, move, direction: 'forward', count };
    case 'FETCH_BACKWARD':
      // Only the rewind postgres_fdw uses for a rescan (MOVE BACKWARD ALL): results are streamed forward.
      if (count !== Number.POSITIVE_INFINITY || !move) return backwardOnly(move);
      return { kind: 'fetch', name, move, direction: 'backward', count };
    case 'FETCH_ABSOLUTE':
      if (howMany < 0) return backwardOnly(move);
      return { kind: 'fetch', name, move, direction: 'absolute', count: howMany };
    case 'FETCH_RELATIVE':
      if (howMany < 0) return backwardOnly(move);
      return { kind: 'fetch', name, move, direction: 'relative', count: howMany };
    default:
      throw new PgError(SqlState.syntaxError, 'unknown FETCH direction');
  }
}

function backwardOnly(move: boolean): never {
  throw new PgError(
    SqlState.featureNotSupported,
    `${move ? 'MOVE' : 'FETCH'} backward is not supported by pg_analytica: cursors scan forward`,
    { hint: 'MOVE BACKWARD ALL (or FETCH ABSOLUTE 0) rewinds a cursor to its start' },
  );
}

export function classifyClose(stmt: ClosePortalStmt): ParsedStatement {
  return { kind: 'close', name: stmt.portalname };
}

export function classifyExplain(
  text: string,
  stmt: ExplainStmt,
  selectFromText: SelectFromText,
): ParsedStatement {
  let costs = true;
  for (const option of stmt.options ?? []) {
    const def = 'DefElem' in option ? option.DefElem : undefined;
    const name = def?.defname ?? '';
    const value = optionValue(def?.arg);
    if (name === 'analyze' && value !== 'false') {
      throw new PgError(SqlState.featureNotSupported, 'EXPLAIN ANALYZE is not supported by pg_analytica', {
        hint: 'EXPLAIN shows the columnar engine’s plan and estimates without running the query',
      });
    }
    if (name === 'format' && value !== 'text') {
      throw new PgError(
        SqlState.featureNotSupported,
        `EXPLAIN (FORMAT ${value}) is not supported by pg_analytica`,
      );
    }
    if (name === 'costs') costs = value !== 'false';
  }
  if (stmt.query === undefined || !('SelectStmt' in stmt.query)) {
    throw new PgError(SqlState.featureNotSupported, 'pg_analytica explains only SELECT statements');
  }
  return { kind: 'explain', select: selectFromText(queryText(text, explainPrefix, 'EXPLAIN')), costs };
}

/** An EXPLAIN option's value, normalized as PostgreSQL's defGetBoolean reads it. */
function optionValue(arg: Node | undefined): string {
  if (arg === undefined) return 'true';
  const raw =
    'String' in arg
      ? (arg.String.sval ?? '')
      : 'Integer' in arg
        ? String(arg.Integer.ival ?? 0)
        : 'Boolean' in arg
          ? String(arg.Boolean.boolval ?? false)
          : '';
  const lower = raw.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(lower)) return 'true';
  if (['off', 'false', '0', 'no'].includes(lower)) return 'false';
  return lower;
}

function queryText(text: string, prefix: RegExp, command: string): string {
  const match = prefix.exec(text);
  if (match === null) {
    throw new PgError(
      SqlState.featureNotSupported,
      `this form of ${command} is not supported by pg_analytica`,
      {
        hint: 'write it without comments between the keywords before the query',
      },
    );
  }
  return text.slice(match[0].length);
}
