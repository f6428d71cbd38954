/**
 * Which functions a client may call. This is an allow-list, not a deny-list:
 * DuckDB has hundreds of functions that read files (read_csv, read_parquet,
 * glob), expose settings and internals (duckdb_settings, current_setting,
 * getenv) or run SQL text (query, query_table). Only PostgreSQL built-ins
 * that DuckDB runs with the same meaning are let through; every other name
 * fails the way PostgreSQL fails for an unknown function (42883).
 */

/** PostgreSQL name → DuckDB name, for functions DuckDB spells differently. */
const RENAMED: Readonly<Record<string, string>> = {
  btrim: 'trim',
  every: 'bool_and',
  character_length: 'length',
  char_length: 'length',
  ceiling: 'ceil',
  pow: 'power',
  stddev: 'stddev_samp',
  variance: 'var_samp',
};

/**
 * Scalar, aggregate and window functions allowed anywhere in an expression.
 * Deliberately absent although PostgreSQL has them, because DuckDB's function
 * of the same name means something else: current_setting and version (report
 * DuckDB's own settings), current_user/current_schema (DuckDB's catalog),
 * format (different format strings), generate_series outside FROM
 * (returns one list instead of a set of rows).
 *
 * Date/time functions are emitted by sql/datetime/ on their argument types
 * before this list is consulted: EXTRACT and date_part (every unit), date_trunc,
 * age, justify_days/hours/interval, make_interval, and to_char of dates,
 * timestamps, numbers and intervals (sql/to-char/, PostgreSQL's template patterns), as
 * PostgreSQL computes them.
 */
const SCALAR_FUNCTIONS = words(
  'count sum avg min max stddev stddev_samp stddev_pop variance var_samp var_pop bool_and ' +
    'bool_or every string_agg array_agg percentile_cont percentile_disc corr covar_pop ' +
    'covar_samp bit_and bit_or regr_slope regr_intercept regr_count regr_r2 row_number rank ' +
    'dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value lower ' +
    'upper length char_length character_length octet_length bit_length substring substr btrim ltrim rtrim replace left ' +
    'right lpad rpad concat concat_ws strpos reverse repeat split_part starts_with md5 ascii ' +
    'chr regexp_replace abs round floor ceil ceiling trunc sqrt cbrt exp ln log ' +
    'log10 power pow sign mod pi sin cos tan asin acos atan atan2 degrees radians random gcd initcap string_to_array ' +
    'lcm to_hex num_nulls num_nonnulls now date_trunc date_part make_date to_timestamp isfinite unnest ' +
    'regexp_like regexp_match regexp_matches regexp_count regexp_instr regexp_substr regexp_split_to_array regexp_split_to_table',
);

/** Functions allowed as a FROM item (RangeFunction): both return rows with PostgreSQL's semantics. */
const TABLE_FUNCTIONS = new Set(['generate_series', 'unnest', 'regexp_matches', 'regexp_split_to_table']);

/** A set from space-separated words, so long lists stay compact. */
function words(text: string): ReadonlySet<string> {
  return new Set(text.split(' '));
}

export type FunctionUse = 'scalar' | 'table';

/**
 * Functions run only with these numbers of arguments: PostgreSQL's other forms are other
 * functions (to_timestamp(text, template) parses text) that the engine does not run.
 */
const ARGUMENT_COUNTS: Readonly<Record<string, readonly number[]>> = {
  to_timestamp: [1],
};

/** The DuckDB name for an allowed PostgreSQL function with this many arguments, or undefined if it is not allowed. */
export function allowedFunction(name: string, use: FunctionUse, argumentCount: number): string | undefined {
  const allowed = use === 'table' ? TABLE_FUNCTIONS : SCALAR_FUNCTIONS;
  if (!allowed.has(name)) return undefined;
  if (ARGUMENT_COUNTS[name]?.includes(argumentCount) === false) return undefined;
  return RENAMED[name] ?? name;
}
