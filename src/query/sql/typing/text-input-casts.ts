/**
 * Casts of text (a text, varchar or char(n) value, or an untyped literal) to types whose input
 * function DuckDB's cast reads otherwise: int2/int4/int8 (int2in and friends take optional blanks,
 * a sign and digits; DuckDB rounds ' 12.50 ' to 13 and reads '1e3' as 1000), boolean (boolin takes
 * any unique prefix of true/false/yes/no, on/off and 1/0, blanks around it; DuckDB refuses ' on '),
 * time (time_in; DuckDB reads '2024-02-29' as midnight) and bytea (byteain's escape and hex
 * formats; DuckDB reads '\x01' per byte and refuses other characters).
 *
 * Integers and booleans are checked per row with PostgreSQL's message and SQLSTATE (a literal while
 * the statement is planned, as PostgreSQL coerces it while parsing); a time in a form other than
 * hh:mm[:ss[.ffffff]] (seconds below 60) fails with 0A000 when it is read (PostgreSQL reads more
 * forms, and rejects some DuckDB reads); bytea goes through a function registered in DuckDB.
 */
import { PgError, SqlState } from '../../../errors.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';

/** C's isspace() in PostgreSQL's input functions: blank, \t, \n, \v, \f, \r. */
const BLANKS = ' \\t\\n\\x0B\\x0C\\r';

const INTEGER_TYPES: Readonly<Record<string, { duck: string; name: string }>> = {
  int2: { duck: 'SMALLINT', name: 'smallint' },
  int4: { duck: 'INTEGER', name: 'integer' },
  int8: { duck: 'BIGINT', name: 'bigint' },
};

/** error(…) with PostgreSQL's SQLSTATE and message, `value` quoted as input functions quote it. */
function invalidInput(typeName: string, value: string): string {
  const message = `'SQLSTATE 22P02: invalid input syntax for type ${typeName}: "' || ${value} || '"'`;
  return `error(${message})`;
}

/** `sql`, a string value, cast to `target` as its input function reads it; undefined: not such a cast. */
export function textInputCast(sql: string, target: string): string | undefined {
  const integer = INTEGER_TYPES[target];
  if (integer !== undefined) {
    const plain = `regexp_full_match(${sql}, '[${BLANKS}]*[+-]?[0-9]+[${BLANKS}]*')`;
    // PostgreSQL 16 reads 0x1F, 0o17, 0b101 and 1_000 too; an older server does not.
    const other = `regexp_full_match(${sql}, '[${BLANKS}]*[+-]?(0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*)[${BLANKS}]*')`;
    const refused = quoteLiteral(`${unsupportedMarker}integer input with a base prefix or underscores`);
    return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${plain} THEN CAST(trim(${sql}, ${quoteLiteral(BLANK_CHARACTERS)}) AS ${integer.duck}) WHEN ${other} THEN error(${refused}) ELSE ${invalidInput(integer.name, sql)} END)`;
  }
  if (target === 'bool') {
    const word = `lower(trim(${sql}, ${quoteLiteral(BLANK_CHARACTERS)}))`;
    return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${word} IN (${TRUE_WORDS}) THEN true WHEN ${word} IN (${FALSE_WORDS}) THEN false ELSE ${invalidInput('boolean', sql)} END)`;
  }
  if (target === 'time') {
    const plain = `regexp_full_match(${sql}, '[${BLANKS}]*[0-9]{1,2}:[0-9]{2}(:[0-5][0-9](\\.[0-9]{1,6})?)?[${BLANKS}]*')`;
    const refused = quoteLiteral(
      `${unsupportedMarker}a time read from text in a form other than hh:mm[:ss[.ffffff]]`,
    );
    return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${plain} THEN CAST(trim(${sql}, ${quoteLiteral(BLANK_CHARACTERS)}) AS TIME) ELSE error(${refused}) END)`;
  }
  if (target === 'bytea') return `pga_bytea_in(${sql})`;
  return undefined;
}

const BLANK_CHARACTERS = ' \t\n\u000B\f\r';

/** The text without the blanks PostgreSQL's input functions skip around a value. */
function trimBlanks(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

/**
 * A literal cast to an integer type or boolean, checked now: the plain CAST where the input
 * function would read it alike (a constant segment pruning can use), PostgreSQL's error where it
 * would reject it; undefined for other targets and forms (textInputCast decides per row).
 */
export function textInputLiteral(text: string, target: string): string | undefined {
  const integer = INTEGER_TYPES[target];
  if (integer !== undefined) {
    // PostgreSQL coerces a literal while it parses: its error comes whether or not a row is read.
    if (/^[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*$/.test(text))
      return `CAST(${quoteLiteral(trimBlanks(text))} AS ${integer.duck})`;
    if (/^[ \t\n\v\f\r]*[+-]?(0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*)[ \t\n\v\f\r]*$/.test(text))
      throw new PgError(
        SqlState.featureNotSupported,
        'integer input with a base prefix or underscores is not supported by pg_analytica',
      );
    throw new PgError(
      SqlState.invalidTextRepresentation,
      `invalid input syntax for type ${integer.name}: "${text}"`,
    );
  }
  if (target === 'bool') {
    const word = trimBlanks(text).toLowerCase();
    if (TRUE_WORD_LIST.includes(word)) return 'true';
    if (FALSE_WORD_LIST.includes(word)) return 'false';
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type boolean: "${text}"`);
  }
  return undefined;
}

/** parse_bool_with_len: the words and their unique prefixes ("o" alone is ambiguous). */
const TRUE_WORD_LIST = ['t', 'tr', 'tru', 'true', 'y', 'ye', 'yes', 'on', '1'];
const FALSE_WORD_LIST = ['f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'of', 'off', '0'];
const TRUE_WORDS = TRUE_WORD_LIST.map(quoteLiteral).join(', ');
const FALSE_WORDS = FALSE_WORD_LIST.map(quoteLiteral).join(', ');

/** The casts this file writes, by target name. */
export function isTextInputTarget(target: string): boolean {
  return INTEGER_TYPES[target] !== undefined || target === 'bool' || target === 'time' || target === 'bytea';
}
