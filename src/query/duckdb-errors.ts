/**
 * DuckDB errors become PgErrors with the SQLSTATE PostgreSQL would use for the
 * same kind of failure. DuckDB prefixes messages with its error class
 * ("Binder Error: …"), which is what we map on.
 *
 * What reaches the client is scrubbed: DuckDB quotes the statement it ran
 * ("LINE 1: … read_parquet(['/data/…'])"), which is pg_analytica's rewritten
 * SQL, not the client's, and names files by absolute path. Neither says
 * anything a client can act on, and both tell it how the server is laid out.
 */
import path from 'node:path';
import { PgError, SqlState, type SqlStateCode } from '../errors.js';
import { unsupportedMarker } from './sql/sql-text.js';

const RE2_PATTERN_ERROR =
  /^Invalid Input Error: ((missing|unexpected) [)\]]|invalid (escape sequence|character class|character class range|repetition size|nested repetition operator|perl operator|named capture group)|(missing|no) argument (to|for) repetition operator|bad repetition operator): |^Invalid Input Error: trailing \\$/;

const UNNEST_POSITION = /^Binder Error: (UNNEST not supported here|Nested UNNEST calls are not supported)/;
const SRF_POSITION =
  'a set-returning function (unnest, generate_series, regexp_matches, regexp_split_to_table) in GROUP BY or inside another is not supported by pg_analytica';

const UNMIXED_TYPES =
  /^Binder Error: (Cannot (compare|mix) values of type|Separator argument to StringAgg must be a constant)/;
const NO_FORM = /^Binder Error: No function matches the given name and argument types '(.*)'\./;

const byClass: [RegExp, SqlStateCode][] = [
  [/^Parser Error/, SqlState.syntaxError],
  [
    // "referenced that exists in the SELECT clause": DuckDB finds the name only as an output alias.
    /^Binder Error: (Referenced column|Values list|Table .* does not have a column|Column .* referenced that exists in the SELECT clause)/,
    SqlState.undefinedColumn,
  ],
  // "missing FROM-clause entry" in PostgreSQL, e.g. a column qualified by a table not in FROM.
  [/^Binder Error: Referenced table .* not found/, SqlState.undefinedTable],
  [/^Binder Error: Ambiguous reference to column/, SqlState.ambiguousColumn],
  // PostgreSQL's Describe accepted the statement before it reached DuckDB: a form DuckDB lacks
  // (timestamp + time, time * integer) is one pg_analytica does not run (NO_FORM).
  [NO_FORM, SqlState.featureNotSupported],
  // Likewise two types DuckDB cannot compare or combine where PostgreSQL casts one of them
  // (time < interval, COALESCE of an array and a parameter), and a string_agg() separator
  // that is not a constant.
  [UNMIXED_TYPES, SqlState.featureNotSupported],
  // A set-returning function (DuckDB's unnest) where DuckDB cannot run it: in GROUP BY, or
  // nested in another; PostgreSQL answers, pg_analytica refuses (message: SRF_POSITION).
  [UNNEST_POSITION, SqlState.featureNotSupported],
  [/^Binder Error/, SqlState.datatypeMismatch],
  [/^Catalog Error: (Scalar|Aggregate|Table) Function/, SqlState.undefinedFunction],
  [/^Catalog Error/, SqlState.undefinedTable],
  // Casts that overflow the target type: "… is out of range for type integer" in PostgreSQL.
  [/^Conversion Error: .*out of range for the destination type/, SqlState.numericValueOutOfRange],
  [/^Conversion Error: Failed to cast decimal value/, SqlState.numericValueOutOfRange],
  [/^Conversion Error: Could not cast value -?[0-9.]+ to DECIMAL\(/, SqlState.numericValueOutOfRange],
  // A numeric text cast to numeric(p,s) whose value needs more digits: "numeric field overflow".
  [
    /^Conversion Error: Could not convert string "-?([0-9]+(\.[0-9]+)?|Infinity)" to DECIMAL/,
    SqlState.numericValueOutOfRange,
  ],
  // numeric(p,s) holds NaN in PostgreSQL; DuckDB's DECIMAL cannot.
  [/^Conversion Error: Could not convert string "NaN" to DECIMAL/, SqlState.featureNotSupported],
  // A cast PostgreSQL has (interval::time, time::interval) and DuckDB has not.
  [/^Conversion Error: Unimplemented type for cast/, SqlState.featureNotSupported],
  // Text DuckDB cannot read as an interval: PostgreSQL reads more forms (ISO 8601's P1D, a
  // signed time after a day count), so whether it is invalid is not known here.
  [/^Conversion Error: Could not convert string .* to INTERVAL/, SqlState.featureNotSupported],
  [
    /^Conversion Error: Could not convert string '\s*[+-]?\d+(\.\d+)?\s*' to (U?(TINY|SMALL|HUGE)?INT|BIGINT|U?INT\d+)$/,
    SqlState.numericValueOutOfRange,
  ],
  // "date/time field value out of range" and "invalid input syntax for type date" in PostgreSQL.
  [/^Conversion Error: (date|timestamp|time) field value out of range/, SqlState.datetimeFieldOverflow],
  [/^Conversion Error: invalid (date|timestamp|time) field format/, SqlState.invalidDatetimeFormat],
  [/^Conversion Error/, SqlState.invalidTextRepresentation],
  // DuckDB's wording of PostgreSQL's 2201F and 2201E.
  [
    /^Out of Range Error: cannot take square root of a negative number/,
    SqlState.invalidArgumentForPowerFunction,
  ],
  [
    /^Out of Range Error: cannot take logarithm of (zero|a negative number)/,
    SqlState.invalidArgumentForLogarithm,
  ],
  [/^Out of Range Error/, SqlState.numericValueOutOfRange],
  // Raised by the zero-divisor check the SQL front end wraps around / and % (operator-rules.ts).
  [/^Invalid Input Error: division by zero$/, SqlState.divisionByZero],
  // Raised by the string functions of the SQL front end (sql/string-functions.ts), as PostgreSQL words them.
  [/^Invalid Input Error: negative substring length not allowed$/, SqlState.substringError],
  [/^Invalid Input Error: null character not permitted$/, SqlState.programLimitExceeded],
  // Raised by the float checks of the SQL front end (sql/typing/float-arithmetic.ts).
  [/^Invalid Input Error: value out of range: (overflow|underflow)$/, SqlState.numericValueOutOfRange],
  [
    /^Invalid Input Error: (zero raised to a negative power is undefined|a negative number raised to a non-integer power yields a complex result)$/,
    SqlState.invalidArgumentForPowerFunction,
  ],
  // DuckDB's wording of PostgreSQL's "input is out of range" (asin, acos, atanh).
  [/^Invalid Input Error: A(SIN|COS|TAN) is undefined outside/, SqlState.numericValueOutOfRange],
  [new RegExp(`^Invalid Input Error: ${unsupportedMarker}`), SqlState.featureNotSupported],
  // RE2's complaints about a pattern (a regular expression PostgreSQL rejects too, as 2201B).
  [RE2_PATTERN_ERROR, SqlState.invalidRegularExpression],
  // Raised by the date/time operators and functions of the SQL front end (sql/datetime/), as PostgreSQL words them.
  [/^Invalid Input Error: cannot subtract infinite dates$/, SqlState.datetimeFieldOverflow],
  [/^Invalid Input Error/, SqlState.invalidParameterValue],
  [/^Not implemented Error/, SqlState.featureNotSupported],
  [/^Out of Memory Error/, SqlState.outOfMemory],
  [/^INTERRUPT Error|Interrupted/i, SqlState.queryCanceled],
  [/^Permission Error/, SqlState.insufficientPrivilege],
];

/** An error a pga_json_ function raised with PostgreSQL's SQLSTATE (jsonb/duckdb-json-functions.ts). */
const withSqlState = /^Invalid Input Error: SQLSTATE ([0-9A-Z]{5}): (.*)$/;
const knownCodes = new Set<string>(Object.values(SqlState));

export function translateDuckDbError(error: unknown): PgError {
  if (error instanceof PgError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.split('\n')[0] ?? raw;
  const own = withSqlState.exec(message);
  if (own !== null && knownCodes.has(own[1]!))
    return new PgError(own[1] as SqlStateCode, own[2] ?? '', { cause: error });
  const code = byClass.find(([pattern]) => pattern.test(message))?.[1] ?? SqlState.internalError;
  if (code === SqlState.queryCanceled)
    return new PgError(code, 'canceling statement due to user request', { cause: error });
  // Strip DuckDB's class prefix; the SQLSTATE carries the class now.
  const stripped = exactRangeMessage(scrubPaths(message.replace(/^[A-Za-z ]+ Error: /, '')));
  const form = NO_FORM.exec(message)?.[1];
  const text =
    code === SqlState.invalidRegularExpression
      ? `invalid regular expression: ${stripped}`
      : UNNEST_POSITION.test(message)
        ? SRF_POSITION
        : form !== undefined
          ? `${form} is not supported by pg_analytica (the columnar engine has no such function or operator)`
          : stripped;
  const detail = withoutStatementContext(raw.slice(message.length + 1));
  return new PgError(code, text, {
    cause: error,
    detail: detail ? scrubPaths(detail) : undefined,
    hint:
      form === undefined && !UNMIXED_TYPES.test(message)
        ? undefined
        : 'run this query on the source table in PostgreSQL',
  });
}

/**
 * The exact numeric arithmetic (sql/typing/numeric-exact.ts) computes in 128-bit integers:
 * an overflow there is a numeric result past 38 digits, said so rather than in DuckDB's terms.
 */
function exactRangeMessage(text: string): string {
  // Integer arithmetic and casts that overflow: PostgreSQL names the type.
  const integer =
    /^Overflow in (?:multiplication|addition|subtraction) of INT(16|32|64) /.exec(text) ??
    /^Type \w+ with value .* can't be cast because the value is out of range for the destination type INT(16|32|64)\b/.exec(
      text,
    );
  if (integer !== null) return `${INTEGER_NAMES[integer[1]!]} out of range`;
  const interval = /^Could not convert string '(.*)' to INTERVAL/.exec(text);
  if (interval !== null)
    return `reading "${interval[1]}" as an interval is not supported by pg_analytica (PostgreSQL may read it; write it as '1 day 02:00:00')`;
  // A time of the form hh:mm[:ss] out of range (text-input-casts.ts): time_in's wording.
  const time = /^time field value out of range: ("[^"]*"), expected format is/.exec(text);
  if (time !== null) return `date/time field value out of range: ${time[1]}`;
  // Text cast to an integer type (int4in): PostgreSQL quotes the value without its blanks.
  const input = /^Could not convert string '\s*([+-]?\d+)\s*' to INT(16|32|64)\b/.exec(text);
  if (input !== null) return `value "${input[1]}" is out of range for type ${INTEGER_NAMES[input[2]!]}`;
  // abs() of the smallest integer of its type: the value names the type.
  const abs = /^Overflow on abs\((-\d+)\)/.exec(text)?.[1];
  if (abs !== undefined && SMALLEST_INTEGERS[abs] !== undefined)
    return `${SMALLEST_INTEGERS[abs]} out of range`;
  if (/^Could not cast value .* to DECIMAL\(/.test(text)) return 'numeric field overflow';
  if (!/^Overflow in (HUGEINT )?(multiplication|addition|subtraction)( of INT128)?/.test(text)) return text;
  return `numeric value out of range: pg_analytica computes numerics exactly only within 38 digits (${text})`;
}

const INTEGER_NAMES: Readonly<Record<string, string>> = { '16': 'smallint', '32': 'integer', '64': 'bigint' };
const SMALLEST_INTEGERS: Readonly<Record<string, string>> = {
  '-32768': 'smallint',
  '-2147483648': 'integer',
  '-9223372036854775808': 'bigint',
};

/** Directories (the data directory, DuckDB's spill files) whose paths no client is shown. */
const privateRoots = new Set<string>();

/** Paths under `directory` are replaced by <file> in every error a client is sent. */
export function hidePathsUnder(directory: string): void {
  privateRoots.add(path.resolve(directory));
}

const quotedAbsolutePath = /(['"])(?:\/|[A-Za-z]:[\\/])[^'"\n]*\1/g;
// Messages about files: there a quoted absolute path is a file's name, not a value of the client's.
const aboutFiles = /\b(files?|director(y|ies)|pattern|path)\b/i;

/** The message without absolute file paths. */
export function scrubPaths(text: string): string {
  let scrubbed = text;
  for (const root of privateRoots) {
    // A root's path up to the next quote or white space, wherever it appears.
    scrubbed = scrubbed.replace(new RegExp(`${escapeRegExp(root)}(?=[\\/'"\\s]|$)[^'"\\s]*`, 'g'), '<file>');
  }
  return aboutFiles.test(scrubbed) ? scrubbed.replace(quotedAbsolutePath, '$1<file>$1') : scrubbed;
}

/** DuckDB's "LINE 1: …" excerpt and caret quote the rewritten statement: dropped. */
function withoutStatementContext(rest: string): string | undefined {
  const kept = rest
    .split('\n')
    .filter((line, i, lines) => !/^LINE \d+:/.test(line) && !/^LINE \d+:/.test(lines[i - 1] ?? ''))
    .join('\n')
    .trim();
  return kept || undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
