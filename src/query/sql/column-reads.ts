/**
 * Which columns of each table reference a statement reads, as PostgreSQL's
 * parser marks them for the SELECT privilege check (a range table entry's
 * selectedCols, checked by ExecCheckPermissions): every column a name resolves
 * to, wherever it stands (select list, WHERE, GROUP BY, ORDER BY, JOIN ON,
 * USING and NATURAL join columns, subqueries, CTEs, window clauses); every
 * column for `*`, `t.*` and a whole-row reference `t`. A reference that reads
 * no column (`SELECT count(*) FROM t`) needs SELECT on any one column.
 *
 * The select rewriter reports to it as it emits the statement, so the names
 * resolve against the FROM items visible at that point, innermost SELECT
 * level first, as PostgreSQL looks them up (parse_relation.c colNameToVar,
 * then a relation name for a whole-row reference).
 */
import type { ColumnRef, JoinExpr, Node, SelectStmt } from 'libpg-query';
import { figureColname } from './column-names.js';
import { stringValue } from './emit-context.js';
import type { TypedColumn } from './typing/type-scope.js';

/** A FROM item of a SELECT level: its columns as the query names them, and the table ones they read. */
interface Range {
  readonly alias: string;
  /** The table reference (by resolution order) it reads, if it is a table. */
  readonly table: number | undefined;
  /** Visible name → table column name; undefined when the item's columns are not known. */
  readonly columns: ReadonlyMap<string, string> | undefined;
}

export class ColumnReads {
  readonly #tables = new WeakMap<readonly TypedColumn[], number>();
  readonly #columns = new Map<number, readonly string[]>();
  readonly #reads = new Map<number, Set<string>>();
  readonly #levels: Range[][] = [];
  /** ORDER BY / DISTINCT ON keys that name an output column: they read what that column reads. */
  readonly #outputKeys = new WeakSet<Node>();

  /** Declares that a FROM item with exactly these `columns` is table reference `index`. */
  table(index: number, columns: readonly TypedColumn[]): void {
    this.#tables.set(columns, index);
    this.#columns.set(
      index,
      columns.map((c) => c.name),
    );
    if (!this.#reads.has(index)) this.#reads.set(index, new Set());
  }

  /** The columns table reference `index` reads (empty: it reads none, as count(*) does). */
  columnsRead(index: number): ReadonlySet<string> {
    return this.#reads.get(index) ?? new Set();
  }

  enterLevel(stmt: SelectStmt): void {
    this.#levels.push([]);
    this.#noteOutputKeys(stmt);
  }

  /** The join columns of the level's FROM clause are read too, then the level ends. */
  leaveLevel(stmt: SelectStmt): void {
    for (const item of stmt.fromClause ?? []) this.#joinColumns(item);
    this.#levels.pop();
  }

  addRange(alias: string, columns: readonly TypedColumn[] | undefined, renamed?: readonly string[]): void {
    const table = columns === undefined ? undefined : this.#tables.get(columns);
    const visible =
      columns === undefined
        ? undefined
        : new Map(columns.map((c, i) => [renamed?.[i] ?? c.name, c.name] as const));
    this.#levels.at(-1)?.push({ alias, table, columns: visible });
  }

  /** A column reference being emitted. */
  columnRef(node: Node): void {
    if (!('ColumnRef' in node) || this.#outputKeys.has(node)) return;
    const fields = (node as { ColumnRef: ColumnRef }).ColumnRef.fields ?? [];
    const star = fields.some((f) => 'A_Star' in f);
    const names = fields.map((f) => stringValue(f) ?? '');
    if (star && fields.length === 1) {
      for (const range of this.#levels.at(-1) ?? []) this.#readAll(range);
    } else if (star) {
      this.#readAll(this.#range(names.at(-2) ?? ''));
    } else if (names.length === 1) {
      this.#unqualified(names[0]!);
    } else {
      const range = this.#range(names.at(-2) ?? '');
      const column = range?.columns?.get(names.at(-1) ?? '');
      if (range !== undefined && column !== undefined) this.#read(range, column);
    }
  }

  /** `name`: a column of the innermost level that has one so named, else a whole-row reference. */
  #unqualified(name: string): void {
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      const ranges = this.#levels[level]!;
      const found = ranges.filter((r) => r.columns?.has(name));
      for (const range of found) this.#read(range, range.columns!.get(name)!);
      if (found.length > 0) return;
      // A FROM item whose columns are unknown may have it; an outer one of the name is read
      // too (more than PostgreSQL would, never less).
    }
    this.#readAll(this.#range(name));
  }

  /** The FROM item of that alias, innermost level first. */
  #range(alias: string): Range | undefined {
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      const range = this.#levels[level]!.find((r) => r.alias === alias);
      if (range !== undefined) return range;
    }
    return undefined;
  }

  #read(range: Range, column: string): void {
    if (range.table !== undefined) this.#reads.get(range.table)?.add(column);
  }

  #readAll(range: Range | undefined): void {
    if (range?.table === undefined) return;
    for (const column of this.#columns.get(range.table) ?? []) this.#reads.get(range.table)?.add(column);
  }

  /**
   * ORDER BY (and DISTINCT ON) `name` means the output column of that name when there is one
   * (SQL92 rules, findTargetlistEntrySQL92); a set operation's ORDER BY names only outputs.
   */
  #noteOutputKeys(stmt: SelectStmt): void {
    const setOperation = (stmt.op ?? 'SETOP_NONE') !== 'SETOP_NONE';
    const outputs = new Set(
      (stmt.targetList ?? []).flatMap((t) =>
        'ResTarget' in t && t.ResTarget.val !== undefined
          ? [t.ResTarget.name ?? figureColname(t.ResTarget.val)]
          : [],
      ),
    );
    const keys = [
      ...(stmt.sortClause ?? []).map((s) => ('SortBy' in s ? s.SortBy.node : undefined)),
      ...(stmt.distinctClause ?? []),
    ];
    for (const key of keys) {
      if (key === undefined || !('ColumnRef' in key) || key.ColumnRef.fields?.length !== 1) continue;
      const name = stringValue(key.ColumnRef.fields[0]);
      if (setOperation || (name !== undefined && outputs.has(name))) this.#outputKeys.add(key);
    }
  }

  /** JOIN … USING (c) and NATURAL JOIN read the joined columns on both sides. */
  #joinColumns(item: Node): void {
    if (!('JoinExpr' in item)) return;
    const join: JoinExpr = item.JoinExpr;
    if (join.larg !== undefined) this.#joinColumns(join.larg);
    if (join.rarg !== undefined) this.#joinColumns(join.rarg);
    if (join.larg === undefined || join.rarg === undefined) return;
    const left = this.#leaves(join.larg);
    const right = this.#leaves(join.rarg);
    const names =
      join.isNatural === true
        ? [...visibleNames(left)].filter((n) => visibleNames(right).has(n))
        : (join.usingClause ?? []).map((n) => stringValue(n) ?? '');
    for (const name of names)
      for (const range of [...left, ...right]) {
        const column = range.columns?.get(name);
        if (column !== undefined) this.#read(range, column);
      }
  }

  /** The FROM items of the current level under a join operand. */
  #leaves(node: Node): Range[] {
    if ('JoinExpr' in node)
      return [node.JoinExpr.larg, node.JoinExpr.rarg].flatMap((n) =>
        n === undefined ? [] : this.#leaves(n),
      );
    const level = this.#levels.at(-1) ?? [];
    const alias = itemAlias(node);
    return alias === undefined ? [] : level.filter((r) => r.alias === alias);
  }
}

function visibleNames(ranges: readonly Range[]): Set<string> {
  return new Set(ranges.flatMap((r) => [...(r.columns?.keys() ?? [])]));
}

/** The alias a FROM item is known by (the table name when it has none). */
function itemAlias(node: Node): string | undefined {
  if ('RangeVar' in node) return node.RangeVar.alias?.aliasname ?? node.RangeVar.relname;
  if ('RangeSubselect' in node) return node.RangeSubselect.alias?.aliasname;
  if ('RangeTableSample' in node && node.RangeTableSample.relation !== undefined)
    return itemAlias(node.RangeTableSample.relation);
  if ('RangeFunction' in node) return node.RangeFunction.alias?.aliasname;
  return undefined;
}
