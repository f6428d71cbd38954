/**
 * Turns a classified SELECT into DuckDB SQL over the columnar copies. Every
 * table reference that is not a CTE in scope goes through the resolver (which
 * applies search_path, existence and privileges); the rewritten FROM item
 * keeps the query's name for the table as its alias, so `events.id` and
 * `public.events.id` still resolve. The output is built only from quoted
 * identifiers, re-quoted literals and allow-listed functions and types.
 */
import type { CommonTableExpr, Node, RangeVar, SelectStmt, WithClause } from 'libpg-query';
import { PgError, SqlState, type SqlStateCode } from '../../errors.js';
import type { ParsedStatement } from '../engine-types.js';
import type { ColumnReads } from './column-reads.js';
import { commandName, lockingCommandName } from './command-names.js';
import type { SelectContext } from './emit-context.js';
import { emitExpr } from './expr-emitter.js';
import { refuseMultiDim } from './multidim-arrays.js';
import { emitSelectBody } from './select-body.js';
import { charPosition, quoteIdent } from './sql-text.js';
import type { CaseFolding } from './typing/case-folding.js';
import { type TypedColumn, TypeScopes } from './typing/type-scope.js';

/** A table named by the query, as PostgreSQL's parser saw it. */
export interface TableReference {
  /** The explicit schema, absent for names resolved through search_path. */
  readonly schema?: string;
  readonly name: string;
  /** 1-based character position in the statement text, for PgError.position. */
  readonly location?: number;
}

export interface TableResolver {
  /**
   * The DuckDB relation to read for a table, as SQL text (e.g.
   * `"__pga"."t_16384_v3"`), with its columns' PostgreSQL types when known; throws PgError
   * 42P01 / 42501 when the table does not exist or the role may not read it. `range` is the
   * parse node, which keys the reference's segment filters (see segment-filters.ts).
   */
  resolveTable(reference: TableReference, range: RangeVar): string | ResolvedRelation;
  /**
   * True when resolveTable gives every table's column types: expressions are then typed and
   * emitted by type (typing/). Without it (listing the tables) nothing is typed.
   */
  readonly typed?: boolean;
  /** The database's default collation does not order text by its bytes (typing/collation.ts). */
  readonly defaultCollationSortsByLocale?: boolean;
  /** The source's lc_numeric and lc_monetary are C's; undefined when no table was resolved. */
  readonly numberLocaleIsC?: boolean;
  /** The session's TimeZone. */
  readonly timeZone?: string;
  /** The session's extra_float_digits (1 when not given). */
  readonly extraFloatDigits?: number;
  /** How the database's default ctype maps case (typing/case-folding.ts). */
  readonly caseFolding?: CaseFolding;
  /** The source's float width_bucket() divides before it multiplies (source-behaviour.ts). */
  readonly widthBucketDividesFirst?: boolean;
  /** Only listing the tables: the SQL is not run, so a type it cannot know yet is not refused. */
  readonly listing?: boolean;
  /** Told every column the statement reads, for the column privilege check (column-reads.ts). */
  readonly reads?: ColumnReads;
}

/** A resolved table: the relation to read and its columns with their PostgreSQL types. */
export interface ResolvedRelation {
  readonly sql: string;
  readonly columns: readonly TypedColumn[];
}

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

/** DuckDB SQL for a SELECT, with every table resolved and every PostgreSQL-ism checked. */
export function rewriteSelect(statement: SelectStatement, resolver: TableResolver): string {
  return new SelectRewriter(statement.sql, resolver).select(statement.ast as SelectStmt);
}

/**
 * rewriteSelect() with what the type stage knows of the result: by position, the PostgreSQL
 * type of each output column the DuckDB result carries as text (numeric held as text, exact
 * numeric results) or computes as numeric, so that it is described as PostgreSQL describes it.
 */
export function rewriteTypedSelect(
  statement: SelectStatement,
  resolver: TableResolver,
): { sql: string; outputs: ({ typeOid: number; typeModifier: number } | undefined)[] | undefined } {
  const ast = statement.ast as SelectStmt;
  const rewriter = new SelectRewriter(statement.sql, resolver);
  const sql = rewriter.select(ast);
  const outputs = rewriter.types?.selectOutput(ast);
  return {
    sql,
    // numeric is described with the type stage's typmod, not DuckDB's DECIMAL(p,s): a column's
    // own, a cast's numeric(p,s), -1 for anything computed (and numeric held as text is numeric).
    outputs: outputs?.map((c) =>
      // json/jsonb results are DuckDB VARCHARs holding PostgreSQL's text of the value; a text
      // result (jb::text, jb ->> 'k') is text even where a source column of its name is not. An
      // array of several dimensions (nested LISTs) is carried as its array type, whatever its name.
      c.type !== undefined &&
      (c.type.heldAsText === true ||
        (c.type.ndims ?? 1) > 1 ||
        ['numeric', 'json', 'jsonb', 'text', 'json[]', 'jsonb[]', 'record'].includes(c.type.name))
        ? { typeOid: c.type.oid, typeModifier: c.type.typmod }
        : undefined,
    ),
  };
}

/** The tables a SELECT reads (CTE names excluded), e.g. to check privileges or pin a snapshot first. */
export function listTableReferences(statement: SelectStatement): TableReference[] {
  return listTableNodes(statement).map((table) => table.reference);
}

/** listTableReferences() with each reference's parse node. */
export function listTableNodes(statement: SelectStatement): { reference: TableReference; range: RangeVar }[] {
  const tables: { reference: TableReference; range: RangeVar }[] = [];
  rewriteSelect(statement, {
    listing: true,
    resolveTable(reference, range) {
      tables.push({ reference, range });
      return quoteIdent(reference.name);
    },
  });
  return tables;
}

export class SelectRewriter implements SelectContext {
  /** CTEs visible at the current point (name → output columns, if known), innermost scope last. */
  private readonly cteScopes: Map<string, readonly TypedColumn[] | undefined>[] = [];
  readonly types: TypeScopes | undefined;
  readonly listingOnly: boolean;
  readonly numberLocaleIsC: boolean | undefined;
  readonly timeZone: string | undefined;
  readonly extraFloatDigits: number | undefined;
  readonly caseFolding: CaseFolding | undefined;
  readonly widthBucketDividesFirst: boolean | undefined;
  readonly #reads: ColumnReads | undefined;
  /** Names of CTEs defined later in the WITH lists being emitted (not visible in DuckDB). */
  private readonly forwardCtes: Set<string>[] = [];

  constructor(
    private readonly sql: string,
    private readonly resolver: TableResolver,
  ) {
    this.types =
      resolver.typed === true
        ? new TypeScopes(resolver.defaultCollationSortsByLocale === true, resolver.caseFolding)
        : undefined;
    this.listingOnly = resolver.listing === true;
    this.numberLocaleIsC = resolver.numberLocaleIsC;
    this.timeZone = resolver.timeZone;
    this.extraFloatDigits = resolver.extraFloatDigits;
    this.caseFolding = resolver.caseFolding;
    this.widthBucketDividesFirst = resolver.widthBucketDividesFirst;
    this.#reads = resolver.reads;
  }

  expr(node: Node): string {
    this.#reads?.columnRef(node);
    refuseMultiDim(this, node);
    return emitExpr(this, node);
  }

  error(code: SqlStateCode, message: string, location?: number, hint?: string): PgError {
    const position = location === undefined ? undefined : charPosition(this.sql, location);
    return new PgError(code, message, { position, hint });
  }

  select(stmt: SelectStmt): string {
    if (stmt.intoClause !== undefined)
      throw this.error(SqlState.readOnlySqlTransaction, readOnly('SELECT INTO'));
    const locking = stmt.lockingClause?.[0];
    if (locking !== undefined && 'LockingClause' in locking) {
      throw this.error(
        SqlState.readOnlySqlTransaction,
        readOnly(lockingCommandName(locking.LockingClause.strength)),
      );
    }
    const scope = new Map<string, readonly TypedColumn[] | undefined>();
    this.cteScopes.push(scope);
    this.types?.enterLevel();
    this.#reads?.enterLevel(stmt);
    try {
      const withText = stmt.withClause === undefined ? '' : this.withClause(stmt.withClause, scope);
      return withText + emitSelectBody(this, stmt);
    } finally {
      this.#reads?.leaveLevel(stmt);
      this.types?.leaveLevel();
      this.cteScopes.pop();
    }
  }

  /** The relation a RangeVar reads: a CTE in scope by its own name, otherwise what the resolver says. */
  rangeVar(range: RangeVar): ResolvedRelation | { sql: string; columns: undefined } {
    if (range.catalogname !== undefined) {
      const name = [range.catalogname, range.schemaname, range.relname].join('.');
      throw this.error(
        SqlState.featureNotSupported,
        `cross-database references are not implemented: ${name}`,
        range.location,
      );
    }
    // The JSON omits false fields: a plain reference carries inh: true, FROM ONLY none.
    if (range.inh !== true) {
      throw this.error(
        SqlState.featureNotSupported,
        'SELECT … FROM ONLY is not supported by pg_analytica',
        range.location,
      );
    }
    const name = range.relname ?? '';
    if (
      range.schemaname === undefined &&
      !this.isCte(name) &&
      this.forwardCtes.some((later) => later.has(name))
    ) {
      throw this.error(
        SqlState.featureNotSupported,
        `a WITH query cannot refer to "${name}", which is defined after it, in pg_analytica`,
        range.location,
        'define the WITH queries in the order they use each other',
      );
    }
    if (range.schemaname === undefined && this.isCte(name))
      return { sql: quoteIdent(name), columns: this.cteColumns(name) } as ResolvedRelation;
    const location = range.location === undefined ? undefined : charPosition(this.sql, range.location);
    const reference: TableReference = {
      ...(range.schemaname === undefined ? {} : { schema: range.schemaname }),
      name,
      ...(location === undefined ? {} : { location }),
    };
    const resolved = this.resolver.resolveTable(reference, range);
    return typeof resolved === 'string' ? { sql: resolved, columns: undefined } : resolved;
  }

  addRange(alias: string, columns: readonly TypedColumn[] | undefined, renamed?: readonly string[]): void {
    this.types?.addRange(alias, columns, renamed);
    this.#reads?.addRange(alias, columns, renamed);
  }

  private isCte(name: string): boolean {
    return this.cteScopes.some((scope) => scope.has(name));
  }

  /** The innermost CTE of that name's output columns, if known. */
  private cteColumns(name: string): readonly TypedColumn[] | undefined {
    for (let i = this.cteScopes.length - 1; i >= 0; i--)
      if (this.cteScopes[i]!.has(name)) return this.cteScopes[i]!.get(name);
    return undefined;
  }

  /** WITH [RECURSIVE]: a CTE sees the ones before it (and, if recursive, all of them). */
  private withClause(clause: WithClause, scope: Map<string, readonly TypedColumn[] | undefined>): string {
    const ctes = (clause.ctes ?? []).map((node) => {
      if (!('CommonTableExpr' in node)) throw this.error(SqlState.syntaxError, 'WITH item expected');
      return node.CommonTableExpr;
    });
    // DuckDB lets a recursive CTE see itself and the ones before it, but not later ones, which
    // PostgreSQL allows. Such a forward reference is refused: DuckDB would read the name as a
    // file path, and resolving it as a table would not be what PostgreSQL does either.
    const parts = ctes.map((cte, i) => {
      // Without RECURSIVE, PostgreSQL itself reads a later CTE's name as a table: resolve it so.
      const later = new Set(clause.recursive === true ? ctes.slice(i + 1).map((c) => c.ctename ?? '') : []);
      // A recursive CTE's own columns are not typed while its body is emitted.
      if (clause.recursive === true) scope.set(cte.ctename ?? '', undefined);
      this.forwardCtes.push(later);
      try {
        return this.commonTableExpr(cte);
      } finally {
        this.forwardCtes.pop();
        scope.set(cte.ctename ?? '', this.cteOutput(cte));
      }
    });
    return `WITH ${clause.recursive === true ? 'RECURSIVE ' : ''}${parts.join(', ')} `;
  }

  /** A CTE's output columns (renamed by its column list), when its body's are known. */
  private cteOutput(cte: CommonTableExpr): readonly TypedColumn[] | undefined {
    const query = cte.ctequery;
    if (query === undefined || !('SelectStmt' in query)) return undefined;
    const output = this.types?.selectOutput(query.SelectStmt);
    const renamed = (cte.aliascolnames ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
    return output?.map((c, i) => ({ name: renamed[i] ?? c.name, type: c.type }));
  }

  private commonTableExpr(cte: CommonTableExpr): string {
    const query = cte.ctequery;
    if (query === undefined) throw this.error(SqlState.syntaxError, 'WITH query expected', cte.location);
    if (!('SelectStmt' in query))
      throw this.error(SqlState.readOnlySqlTransaction, readOnly(commandName(query)), cte.location);
    if (cte.search_clause !== undefined || cte.cycle_clause !== undefined) {
      throw this.error(
        SqlState.featureNotSupported,
        'SEARCH and CYCLE clauses are not supported by pg_analytica',
        cte.location,
      );
    }
    const columns = aliasColumns(cte.aliascolnames);
    const materialized =
      cte.ctematerialized === 'CTEMaterializeAlways'
        ? 'MATERIALIZED '
        : cte.ctematerialized === 'CTEMaterializeNever'
          ? 'NOT MATERIALIZED '
          : '';
    return `${quoteIdent(cte.ctename ?? '')}${columns} AS ${materialized}(${this.select(query.SelectStmt)})`;
  }
}

function readOnly(command: string): string {
  return `cannot execute ${command} in a read-only transaction`;
}

/** `("a", "b")` for alias column lists, or '' when there are none. */
export function aliasColumns(names: readonly Node[] | undefined): string {
  if (names === undefined || names.length === 0) return '';
  return `(${names.map((n) => quoteIdent('String' in n ? (n.String.sval ?? '') : '')).join(', ')})`;
}
