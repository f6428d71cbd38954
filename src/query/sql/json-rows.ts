/**
 * A whole row of a FROM item (`row_to_json(t)`, `to_json(t)`, `json_agg(t)`) as composite_to_json
 * writes it: `{"a":1,"b":"x"}`, the columns in their order, "," and ":" without blanks, NULL
 * columns as null.
 *
 * Only the row of the single FROM item of the current SELECT is taken: there it is never NULL.
 * Of an outer join's nullable side the whole row is NULL where no row matched, which a row built
 * from its columns would not show; a row of an outer query level or of a FROM item whose columns
 * are not known is refused (0A000).
 */
import type { Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { type EmitContext, stringValue } from './emit-context.js';
import { jsonValueSql, orNull } from './json-values.js';
import { allowAnyDims } from './multidim-arrays.js';
import { quoteLiteral } from './sql-text.js';
import type { TypedColumn } from './typing/type-scope.js';
import { nodeLocation } from './typing/typed-operands.js';

interface RowScope {
  starColumns(alias?: string): TypedColumn[] | undefined;
  columnType(fields: readonly string[]): unknown;
}

/** The FROM item a bare name refers to as a whole row, when it is one and no column has that name. */
export function wholeRowAlias(ctx: EmitContext, node: Node): string | undefined {
  if (!('ColumnRef' in node)) return undefined;
  const fields = node.ColumnRef.fields ?? [];
  // `t` (when no column is named t) or `t.*`.
  const star = fields.length === 2 && fields[1] !== undefined && 'A_Star' in fields[1];
  const alias = fields.length === 1 || star ? stringValue(fields[0]) : undefined;
  if (alias === undefined || ctx.types === undefined || !('starColumns' in ctx.types)) return undefined;
  const scope = ctx.types as unknown as RowScope;
  if (!star && scope.columnType([alias]) !== undefined) return undefined;
  // No FROM item of that name gives []; one whose columns are not known, undefined (refused later).
  const own = scope.starColumns(alias);
  return own === undefined || own.length > 0 ? alias : undefined;
}

/** The JSON text of the whole row of `alias` (composite_to_json). */
export function wholeRowJson(ctx: EmitContext, alias: string, node: Node): string {
  const scope = ctx.types as unknown as RowScope;
  const own = scope.starColumns(alias);
  const all = scope.starColumns();
  const location = nodeLocation(node);
  if (own === undefined || all === undefined || own.length === 0 || own.length !== all.length) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `the whole row of "${alias}" in JSON is supported by pg_analytica only for the one FROM item of a SELECT`,
      location,
      `name the columns instead: json_build_object('column', ${alias}.column, …)`,
    );
  }
  const fields = own.map((column) => {
    const ref: Node = {
      ColumnRef: { fields: [{ String: { sval: alias } }, { String: { sval: column.name } }], location },
    };
    if ((column.type?.ndims ?? 1) > 1) allowAnyDims(ref);
    const value = jsonValueSql(ctx, column.type, ctx.expr(ref), { location });
    return `${quoteLiteral(`${JSON.stringify(column.name)}:`)} || ${orNull(value)}`;
  });
  return `('{' || ${fields.join(" || ',' || ")} || '}')`;
}
