/**
 * A SELECT bound to the copy: the parts of the query engine that turn a statement whose tables
 * are resolved into DuckDB SQL over their pinned views (typing, column privileges), and that
 * tell how its result columns are described (the source's column types, the type stage's).
 */
import type { VisibleTable } from '../catalog/catalog.js';
import { checkColumnPrivileges, grantedRelation } from './column-privileges.js';
import type { ParsedStatement, SessionContext } from './engine-types.js';
import type { SourcePgType } from './pg-type-oids.js';
import type { DamageScope } from './segment-damage.js';
import type { PruningPlan, SegmentPruner } from './segment-pruner.js';
import { ColumnReads } from './sql/column-reads.js';
import { type listTableNodes, rewriteTypedSelect } from './sql/select-rewriter.js';
import type { CaseFolding } from './sql/typing/case-folding.js';
import { typedColumns } from './sql/typing/type-scope.js';
import type { ResolvedTable, TableReference } from './table-resolver.js';

export type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

/** A statement rewritten to read pinned views, until release(). */
export interface BoundSelect {
  readonly sql: string;
  readonly sources: ReadonlyMap<string, SourcePgType>;
  /** By position: the PostgreSQL type the type stage gave an output column carried as text. */
  readonly outputs?: readonly (SourcePgType | undefined)[];
  readonly release: () => Promise<void>;
  /** The DuckDB views (or subqueries) it reads, pinned until release(). */
  readonly views: readonly string[];
  /** The tables it reads, to tell a missing or damaged segment file in DuckDB's errors. */
  readonly scope: DamageScope;
}

/** The source type describing result column i: the type stage's, else a source column's of that name. */
export function columnSource(bound: BoundSelect, i: number, name: string): SourcePgType | undefined {
  return bound.outputs?.[i] ?? bound.sources.get(name);
}

/**
 * The statement typed and written as DuckDB SQL over the pinned views, after the column
 * privileges of what it reads are checked.
 */
export function emitTyped(
  typed: SelectStatement,
  bound: {
    defaultCollationSortsByLocale: boolean;
    numberLocaleIsC: boolean | undefined;
    caseFolding: CaseFolding;
    widthBucketDividesFirst: boolean;
    context: SessionContext;
    tables: readonly ResolvedTable[];
    views: readonly string[];
    privileges: readonly ResolvedTable[];
  },
): ReturnType<typeof rewriteTypedSelect> {
  const { tables, views, privileges } = bound;
  let next = 0;
  const reads = new ColumnReads();
  // Each reference reads its view, with its columns' PostgreSQL types for the type stage.
  const rewritten = rewriteTypedSelect(typed, {
    typed: true,
    defaultCollationSortsByLocale: bound.defaultCollationSortsByLocale,
    numberLocaleIsC: bound.numberLocaleIsC,
    timeZone: bound.context.timeZone,
    ...(bound.context.extraFloatDigits === undefined
      ? {}
      : { extraFloatDigits: bound.context.extraFloatDigits }),
    caseFolding: bound.caseFolding,
    widthBucketDividesFirst: bound.widthBucketDividesFirst,
    reads,
    resolveTable: () => {
      const i = next++;
      const columns = typedColumns(
        tables[i]!.columns,
        tables[i]!.localeColumns,
        tables[i]!.caseLocaleColumns,
      );
      reads.table(i, columns);
      return { sql: grantedRelation(views[i]!, tables[i]!, privileges[i]?.selectableColumns), columns };
    },
  });
  checkColumnPrivileges(privileges, reads);
  return rewritten;
}

/** The statement's table references, in the order rewriteSelect visits them. */
export function collectReferences(
  listed: ReturnType<typeof listTableNodes>,
  plan: PruningPlan,
  pruner: SegmentPruner,
): TableReference[] {
  return listed.map(({ reference: ref }, i) => ({
    schema: ref.schema,
    name: ref.name,
    position: ref.location,
    statsColumns: pruner.statsColumns(plan, i),
  }));
}

/**
 * PostgreSQL types of the source columns by name, so that a result column read
 * straight from a table (json, jsonb, varchar(n), char(n), numeric kept as
 * text) is described as in PostgreSQL. A name two tables disagree on is left
 * out. resultColumn() uses it only where the printed text is the same.
 */
export function sourceTypes(tables: readonly VisibleTable[]): Map<string, SourcePgType> {
  const types = new Map<string, SourcePgType>();
  const conflicting = new Set<string>();
  for (const table of tables) {
    for (const column of table.columns) {
      const existing = types.get(column.name);
      if (
        existing &&
        (existing.typeOid !== column.pgTypeOid || existing.typeModifier !== column.pgTypeModifier)
      ) {
        conflicting.add(column.name);
      }
      types.set(column.name, { typeOid: column.pgTypeOid, typeModifier: column.pgTypeModifier });
    }
  }
  for (const name of conflicting) types.delete(name);
  return types;
}

/** What the source is asked to describe: the prepared text when there is one. */
export function describedText(statement: SelectStatement, version: string) {
  const prepared = statement.prepared;
  return {
    sql: prepared?.sql ?? statement.sql,
    parameterTypes: prepared?.parameterTypes ?? [],
    version,
  };
}

/** The tables' OIDs and column types: a Describe's answer stays valid while these do. */
export function tablesVersion(tables: readonly VisibleTable[]): string {
  return JSON.stringify(
    tables.map((t) => [t.relid, t.columns.map((c) => [c.name, c.pgTypeOid, c.pgTypeModifier])]),
  );
}

/** The PostgreSQL type the type stage says each result column carries (for VARCHAR-held types). */
export function carriedTypes(bound: BoundSelect, names: readonly string[]) {
  return { carried: (i: number) => columnSource(bound, i, names[i] ?? '')?.typeOid };
}
