/**
 * The functions a catalog query may call on the source PostgreSQL.
 *
 * Catalog queries (catalog-query-classifier.ts) run on the source as the
 * client's role, inside BEGIN READ ONLY … ROLLBACK. A read-only transaction
 * still lets a function act outside it: pg_terminate_backend and
 * pg_cancel_backend signal other backends, pg_reload_conf and
 * pg_rotate_logfile signal the postmaster, pg_read_file reads the server's
 * files, pg_notify and pg_logical_emit_message send messages, lo_import
 * reads a file, pg_sleep holds a source connection, dblink opens new ones.
 * The daemon serves a read-only copy; it is not a gateway to the source's
 * functions. So a catalog query may call only the functions listed here:
 * ones that read the catalogs or the session, or compute a value, and change
 * nothing, wait for nothing and touch no file. Anything else is refused with
 * 0A000 before the statement reaches the source, whoever the client is.
 *
 * The list covers what psql 15 (\d, \d+, \dt+, \dn, \l, \df, \dv, \di, \du
 * and the other describe commands), pgJDBC's DatabaseMetaData and type cache,
 * psycopg's type info, postgres.js and postgres_fdw (IMPORT FOREIGN SCHEMA,
 * ANALYZE) send, and the built-in string, number, date, array, JSON and
 * aggregate functions catalog queries commonly use. A name matches with or
 * without the pg_catalog prefix, case-insensitively; information_schema's own
 * helper functions match with that prefix or none. Whether a name resolves to
 * PostgreSQL's function and not a user's is checked on the source (see
 * CatalogGuard in catalog-query-runner.ts).
 *
 * Operators and casts need no list: those a catalog query may name resolve
 * into pg_catalog (the same check), and PostgreSQL's own operator and cast
 * functions compute values. Default arguments of built-in functions are
 * constants. SQL syntax that the parser turns into function calls (EXTRACT,
 * TRIM, SUBSTRING, AT TIME ZONE, SIMILAR TO, LIKE … ESCAPE, OVERLAPS,
 * COLLATION FOR, IS NORMALIZED, TREAT) names the functions listed under
 * "syntax".
 */

/** Space-separated names, grouped by what they are for. */
const allowedGroups = {
  /** Catalog lookups and deparsing: psql, pgJDBC, postgres_fdw. */
  catalog: `
    format_type obj_description col_description shobj_description
    pg_get_userbyid pg_get_expr pg_get_indexdef pg_get_constraintdef pg_get_viewdef pg_get_ruledef
    pg_get_triggerdef pg_get_functiondef pg_get_function_arguments pg_get_function_identity_arguments
    pg_get_function_result pg_get_function_arg_default pg_get_function_sqlbody pg_get_keywords
    pg_get_serial_sequence pg_get_partkeydef pg_get_partition_constraintdef pg_get_statisticsobjdef
    pg_get_statisticsobjdef_columns pg_get_statisticsobjdef_expressions pg_get_publication_tables
    pg_get_catalog_foreign_keys pg_get_replica_identity_index pg_get_object_address
    pg_describe_object pg_identify_object pg_identify_object_as_address
    pg_relation_is_publishable pg_relation_is_updatable pg_column_is_updatable
    pg_partition_ancestors pg_partition_root pg_partition_tree pg_options_to_table
    pg_index_column_has_property pg_index_has_property pg_indexam_has_property
    pg_sequence_parameters pg_sequence_last_value pg_tablespace_location pg_settings_get_flags
    pg_my_temp_schema pg_is_other_temp_schema pg_collation_actual_version
    pg_encoding_to_char pg_char_to_encoding pg_encoding_max_length pg_client_encoding getdatabaseencoding
    aclexplode acldefault aclcontains makeaclitem pg_has_role
  `,
  /** Sizes: psql's \dt+, \l+, \db+ and postgres_fdw's ANALYZE (PostgreSQL 15). */
  sizes: `
    pg_size_pretty pg_size_bytes pg_relation_size pg_table_size pg_total_relation_size pg_indexes_size
    pg_database_size pg_tablespace_size pg_column_size pg_column_compression
  `,
  /** The session and the server, as the client's role sees them. set_config is narrowed further below. */
  session: `
    current_database current_catalog current_schema current_schemas current_user current_role
    session_user user system_user current_setting set_config version pg_is_in_recovery pg_jit_available
    txid_current_if_assigned pg_current_xact_id_if_assigned pg_typeof pg_collation_for
    pg_input_is_valid pg_input_error_info num_nulls num_nonnulls
  `,
  /** information_schema's SQL helpers; pgJDBC calls _pg_expandarray for keys and indexes. */
  informationSchema: `
    _pg_expandarray _pg_index_position _pg_truetypid _pg_truetypmod _pg_char_max_length
    _pg_char_octet_length _pg_numeric_precision _pg_numeric_precision_radix _pg_numeric_scale
    _pg_datetime_precision _pg_interval_type _pg_keysequal
  `,
  /** Functions the parser calls for SQL syntax. */
  syntax: `
    extract overlay position substring btrim ltrim rtrim timezone similar_to_escape like_escape
    overlaps pg_collation_for is_normalized normalize xmlexists
  `,
  /** Function-style casts, int4(x) or regclass('t'), to built-in types. */
  casts: `
    bool int2 int4 int8 float4 float8 numeric text varchar bpchar char name oid bytea date time timetz
    timestamp timestamptz interval json jsonb uuid xml inet cidr bit varbit money
    regclass regtype regproc regprocedure regoper regoperator regnamespace regrole regconfig
    regdictionary regcollation
  `,
  strings: `
    ascii bit_length char_length character_length chr concat concat_ws convert convert_from convert_to
    decode encode format initcap left length lower lpad md5 octet_length quote_ident quote_literal
    quote_nullable regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace
    regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right rpad
    split_part starts_with string_to_array string_to_table strpos substr to_ascii to_hex translate
    unistr upper casefold sha224 sha256 sha384 sha512 to_char to_number to_date to_timestamp
    xpath xpath_exists xml_is_well_formed xml_is_well_formed_content xml_is_well_formed_document
    xmlcomment xmltext
  `,
  numbers: `
    abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi power
    radians round scale sign sqrt trim_scale trunc width_bucket random random_normal
    acos asin atan atan2 cos cot sin tan
  `,
  dates: `
    age clock_timestamp date_add date_bin date_part date_subtract date_trunc isfinite justify_days
    justify_hours justify_interval make_date make_interval make_time make_timestamp make_timestamptz now
    statement_timestamp timeofday transaction_timestamp
  `,
  arrays: `
    array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position
    array_positions array_prepend array_remove array_replace array_to_string array_upper cardinality
    trim_array array_to_json unnest generate_series generate_subscripts
  `,
  json: `
    to_json to_jsonb row_to_json json_build_array json_build_object jsonb_build_array jsonb_build_object
    json_object jsonb_object json_array_elements json_array_elements_text jsonb_array_elements
    jsonb_array_elements_text json_array_length jsonb_array_length json_each json_each_text jsonb_each
    jsonb_each_text json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text
    json_object_keys jsonb_object_keys json_typeof jsonb_typeof jsonb_pretty json_strip_nulls
    jsonb_strip_nulls jsonb_set jsonb_insert jsonb_path_exists jsonb_path_match jsonb_path_query
    jsonb_path_query_array jsonb_path_query_first json_to_record jsonb_to_record json_to_recordset
    jsonb_to_recordset json_populate_record jsonb_populate_record
  `,
  aggregates: `
    count sum avg min max any_value array_agg string_agg bool_and bool_or every bit_and bit_or bit_xor
    json_agg jsonb_agg json_object_agg jsonb_object_agg xmlagg range_agg stddev stddev_pop stddev_samp
    variance var_pop var_samp corr covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept
    regr_r2 regr_slope regr_sxx regr_sxy regr_syy mode percentile_cont percentile_disc
  `,
  windows: `
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  `,
  /** TABLESAMPLE methods, which PostgreSQL looks up as functions. */
  tablesample: 'bernoulli system',
} as const;

/**
 * Families PostgreSQL defines by pattern, every member a pure lookup:
 * has_table_privilege … has_largeobject_privilege, pg_table_is_visible …
 * pg_ts_config_is_visible, to_regclass … to_regtypemod.
 */
const allowedPatterns: readonly RegExp[] = [
  /^has_[a-z_]+_privilege$/,
  /^pg_[a-z_]+_is_visible$/,
  /^to_reg[a-z]+$/,
];

const allowed: ReadonlySet<string> = new Set(
  Object.values(allowedGroups).flatMap((names) => names.split(/\s+/).filter((name) => name !== '')),
);

/** The schemas an allowed name may be qualified with. */
const informationSchemaHelper = /^_pg_/;

/**
 * Whether a catalog query may call `name` (as written, with its schema if
 * qualified). Names are compared in lower case: the parser already folds
 * unquoted names, and a quoted name in other case names no system function.
 */
export function isAllowedCatalogFunction(schema: string | undefined, name: string): boolean {
  const lower = name.toLowerCase();
  const schemaLower = schema?.toLowerCase();
  if (informationSchemaHelper.test(lower)) {
    return (schemaLower === undefined || schemaLower === 'information_schema') && allowed.has(lower);
  }
  if (schemaLower !== undefined && schemaLower !== 'pg_catalog') return false;
  return allowed.has(lower) || allowedPatterns.some((pattern) => pattern.test(lower));
}

/**
 * Settings set_config() may change in a catalog query. The transaction is
 * rolled back, but until then a setting acts on the statement itself: a
 * superuser client could otherwise set zero_damaged_pages, session_replication_role
 * or the log settings on the source. These only change how values are read
 * and shown (pg_dump sends set_config('search_path', '', false)). Custom
 * placeholders (a dotted name, as myapp.tenant) are accepted as PostgreSQL
 * accepts them from any role.
 */
const allowedSettings: ReadonlySet<string> = new Set([
  'search_path',
  'timezone',
  'datestyle',
  'intervalstyle',
  'extra_float_digits',
  'bytea_output',
  'client_min_messages',
  'application_name',
  'lc_monetary',
  'lc_numeric',
  'lc_time',
  'xmlbinary',
  'xmloption',
]);

/** Whether set_config() may change `setting` in a catalog query; role and session_authorization never. */
export function isAllowedCatalogSetting(setting: string): boolean {
  const lower = setting.toLowerCase();
  return allowedSettings.has(lower) || /^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$.]*$/.test(lower);
}
