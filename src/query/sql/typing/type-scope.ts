/**
 * Which column a name means, and its type: the FROM items of each SELECT level
 * (tables with their catalog types, subqueries and CTEs with the types of
 * their outputs), innermost level first, as PostgreSQL's parser looks names up
 * (an unqualified name in the innermost level that has it; a qualified one by
 * the range's alias). Where the answer is not certain — an ambiguous name, a
 * FROM item whose columns are not known — the type is undefined.
 */
import type { SelectStmt } from 'libpg-query';
import type { ColumnSpec } from '../../../source/column-types.js';
import type { CaseFolding } from './case-folding.js';
import type { TypeEnvironment } from './expr-types.js';
import { columnType, type PgType } from './pg-types.js';

/** A column of a FROM item or of a SELECT's output. */
export interface TypedColumn {
  readonly name: string;
  readonly type: PgType | undefined;
}

/**
 * The columns of a table of the copy, typed from the catalog; `localeColumns` name those whose
 * collation orders text by locale rather than by bytes.
 */
export function typedColumns(
  columns: readonly ColumnSpec[],
  localeColumns: readonly string[] = [],
  caseLocaleColumns: readonly string[] = [],
): TypedColumn[] {
  return columns.map((c) => {
    const type = columnType(c);
    if (type === undefined) return { name: c.name, type };
    const flags = {
      ...(localeColumns.includes(c.name) ? { sortsByLocale: true } : {}),
      ...(caseLocaleColumns.includes(c.name) ? { foldsCaseByLocale: true } : {}),
    };
    return { name: c.name, type: Object.keys(flags).length > 0 ? { ...type, ...flags } : type };
  });
}

interface RangeEntry {
  readonly alias: string;
  /** undefined: a FROM item whose columns are not known (e.g. a function). */
  readonly columns: readonly TypedColumn[] | undefined;
}

export class TypeScopes implements TypeEnvironment {
  readonly #levels: RangeEntry[][] = [];
  readonly #outputs = new WeakMap<SelectStmt, readonly TypedColumn[]>();
  readonly #enums = new Map<number, PgType>();
  #sortsTextByLocale: boolean;
  #caseFolding: CaseFolding | undefined;
  #readsMultiDimArrays = false;

  /**
   * `defaultSortsByLocale`: the database's default collation is not byte-wise; `caseFolding`:
   * how its default ctype maps case, undefined when not known.
   */
  constructor(defaultSortsByLocale = false, caseFolding?: CaseFolding) {
    this.#sortsTextByLocale = defaultSortsByLocale;
    this.#caseFolding = caseFolding;
  }

  enterLevel(): void {
    this.#levels.push([]);
  }

  leaveLevel(): void {
    this.#levels.pop();
  }

  /** A FROM item of the current level; its columns renamed by an alias column list. */
  addRange(alias: string, columns: readonly TypedColumn[] | undefined, renamed?: readonly string[]): void {
    const named =
      columns === undefined || renamed === undefined || renamed.length === 0
        ? columns
        : columns.map((c, i) => ({ name: renamed[i] ?? c.name, type: c.type }));
    this.#levels.at(-1)?.push({ alias, columns: named });
    for (const column of named ?? []) {
      if (column.type?.category === 'E') this.#enums.set(column.type.oid, column.type);
      if (column.type?.sortsByLocale === true) this.#sortsTextByLocale = true;
      if (column.type?.foldsCaseByLocale === true) this.#caseFolding = 'locale';
      if ((column.type?.ndims ?? 1) > 1) this.#readsMultiDimArrays = true;
    }
  }

  /** How the text of the statement has its case mapped: 'locale' once it reads a column whose collation maps by another ctype. */
  caseFolding(): CaseFolding | undefined {
    return this.#caseFolding;
  }

  readsMultiDimArrays(): boolean {
    return this.#readsMultiDimArrays;
  }

  /**
   * True once the statement reads a column whose collation is not byte-wise: then any text it
   * orders may be ordered by that collation (an expression takes its operands' collation), so
   * ordering text needs an explicit COLLATE "C".
   */
  sortsTextByLocale(): boolean {
    return this.#sortsTextByLocale;
  }

  /** How many FROM items the current level has so far (a join's sides are counted around them). */
  rangeCount(): number {
    return this.#levels.at(-1)?.length ?? 0;
  }

  /**
   * The columns of the current level's FROM items `from` … `to` (exclusive); undefined when one
   * of them has columns of unknown types.
   */
  rangeColumns(from: number, to: number): TypedColumn[] | undefined {
    const entries = (this.#levels.at(-1) ?? []).slice(from, to);
    if (entries.some((e) => e.columns === undefined)) return undefined;
    return entries.flatMap((e) => e.columns ?? []);
  }

  /** The columns every FROM item of the current level contributes to `*`, if all are known. */
  starColumns(alias?: string): TypedColumn[] | undefined {
    const entries = (this.#levels.at(-1) ?? []).filter((e) => alias === undefined || e.alias === alias);
    if (entries.some((e) => e.columns === undefined)) return undefined;
    return entries.flatMap((e) => e.columns ?? []);
  }

  recordOutput(stmt: SelectStmt, columns: readonly TypedColumn[]): void {
    this.#outputs.set(stmt, columns);
  }

  selectOutput(stmt: SelectStmt): readonly TypedColumn[] | undefined {
    return this.#outputs.get(stmt);
  }

  enumTypes(): readonly PgType[] {
    return [...this.#enums.values()];
  }

  columnType(fields: readonly string[]): PgType | undefined {
    const parts = fields.length === 3 ? fields.slice(1) : fields;
    const name = parts.at(-1) ?? '';
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      const entries = this.#levels[level]!;
      const candidates = parts.length === 2 ? entries.filter((e) => e.alias === parts[0]) : entries;
      if (candidates.some((e) => e.columns === undefined)) return undefined;
      const found = candidates.flatMap((e) => (e.columns ?? []).filter((c) => c.name === name));
      if (found.length === 1) return found[0]!.type;
      // Several: ambiguous (PostgreSQL's 42702) or a USING column of several tables.
      if (found.length > 1) return undefined;
      if (parts.length === 2 && candidates.length > 0) return undefined;
    }
    return undefined;
  }
}
