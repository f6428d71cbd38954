/**
 * PostgreSQL's FigureColname (src/backend/parser/parse_target.c): the name a
 * result column gets when the query gives none. DuckDB names such columns
 * after the expression text ("count_star()", "(5 // 2)"), so the rewriter
 * spells every name out with AS, and clients see PostgreSQL's names.
 */
import type { Node } from 'libpg-query';

/** [name, strength]: 2 = a real name, 1 = a type name fallback, 0 = none. */
type Figure = readonly [string | undefined, number];

const NONE: Figure = [undefined, 0];

const SQL_VALUE_FUNCTION_NAMES: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

/** The column name PostgreSQL gives an unnamed select-list expression. */
export function figureColname(node: Node): string {
  return figure(node)[0] ?? '?column?';
}

function lastString(nodes: readonly Node[] | undefined): string | undefined {
  const last = nodes?.[nodes.length - 1];
  return last !== undefined && 'String' in last ? last.String.sval : undefined;
}

function figure(node: Node): Figure {
  if ('ColumnRef' in node) return named(lastString(node.ColumnRef.fields));
  if ('FuncCall' in node) return named(lastString(node.FuncCall.funcname));
  if ('A_Expr' in node) return node.A_Expr.kind === 'AEXPR_NULLIF' ? ['nullif', 2] : NONE;
  if ('TypeCast' in node) return figureTypeCast(node);
  if ('CollateClause' in node) return node.CollateClause.arg ? figure(node.CollateClause.arg) : NONE;
  if ('GroupingFunc' in node) return ['grouping', 2];
  // a[1] is named after a (a field selection after the field).
  if ('A_Indirection' in node) {
    const field = lastString(node.A_Indirection.indirection);
    if (field !== undefined) return [field, 2];
    return node.A_Indirection.arg ? figure(node.A_Indirection.arg) : NONE;
  }
  if ('SubLink' in node) return figureSubLink(node);
  if ('CaseExpr' in node) {
    const inner = node.CaseExpr.defresult ? figure(node.CaseExpr.defresult) : NONE;
    return inner[1] <= 1 ? ['case', 1] : inner;
  }
  if ('A_ArrayExpr' in node) return ['array', 2];
  if ('RowExpr' in node) return ['row', 2];
  if ('CoalesceExpr' in node) return ['coalesce', 2];
  if ('MinMaxExpr' in node) return [node.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least', 2];
  if ('SQLValueFunction' in node) return named(SQL_VALUE_FUNCTION_NAMES[node.SQLValueFunction.op ?? '']);
  return NONE;
}

function named(name: string | undefined): Figure {
  return name === undefined ? NONE : [name, 2];
}

function figureTypeCast(node: Extract<Node, { TypeCast: unknown }>): Figure {
  const cast = node.TypeCast;
  const inner = cast.arg ? figure(cast.arg) : NONE;
  if (inner[1] > 1) return inner;
  const typeName = lastString(cast.typeName?.names);
  return typeName === undefined ? inner : [typeName, 1];
}

function figureSubLink(node: Extract<Node, { SubLink: unknown }>): Figure {
  const link = node.SubLink;
  if (link.subLinkType === 'EXISTS_SUBLINK') return ['exists', 2];
  if (link.subLinkType === 'ARRAY_SUBLINK') return ['array', 2];
  if (link.subLinkType !== 'EXPR_SUBLINK') return NONE;
  const sub = link.subselect;
  const first = sub !== undefined && 'SelectStmt' in sub ? sub.SelectStmt.targetList?.[0] : undefined;
  if (first === undefined || !('ResTarget' in first)) return NONE;
  const target = first.ResTarget;
  if (target.name !== undefined) return [target.name, 2];
  return [target.val ? figureColname(target.val) : '?column?', 2];
}
