/**
 * Segment files that a query finds missing or damaged (deleted by hand, cut
 * short by a full disk, corrupted). The catalog is the truth and the files can
 * be made again from the heap, so the damage is recorded in the catalog, which
 * asks the launcher for a re-copy (catalog.reportDamagedSegment), and the
 * client gets the error PostgreSQL gives for its own relation files: 58P01
 * for a missing file, XX001 for one it cannot read, naming the table, never
 * the file's path.
 *
 * A failure is called damage only when it names a file of the query's tables
 * and says nothing of a passing condition (descriptors or memory exhausted, an
 * interrupted call, permissions): those get 58030 and no re-copy, which would
 * not help. A missing file counts once a fresh catalog read still names it, so
 * a file compaction replaced and removed under a query is not mistaken for it.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { VisibleTable } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { errorMessage, PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import { removalsInFlight } from '../storage/removals-in-flight.js';
import { absoluteSegmentPath } from '../storage/segment-paths.js';
import { scrubPaths, translateDuckDbError } from './duckdb-errors.js';
import type { RowStream } from './engine-types.js';
import { pgQuoteIdentifier } from './sql/set-statement.js';

/** One file a table's view reads, by catalog (relative) path. */
export interface SegmentFile {
  table: VisibleTable;
  path: string;
}

export interface SegmentDamageOptions {
  dataDir: string;
  log: Logger;
}

/** Where damage is recorded: the catalog of the database the query ran in. */
export interface DamageScope {
  pool: pg.Pool;
  tables: readonly VisibleTable[];
}

type Kind = 'missing' | 'damaged' | 'unreadable';

// errno texts of conditions that pass, or that a new copy would not cure.
const passing =
  /Too many open files|Resource temporarily unavailable|Cannot allocate memory|Interrupted system call|No buffer space|Permission denied|Input\/output error|Stale file handle|No space left/i;
// The errors this file makes: translated already.
const told: ReadonlySet<string> = new Set([SqlState.undefinedFile, SqlState.dataCorrupted, SqlState.ioError]);
// DuckDB's classes of errors about reading a file's bytes (not about the statement).
const readFailure = /^(IO|Invalid Input|Invalid|Serialization|Internal) Error: /;

export class SegmentDamage {
  readonly #options: SegmentDamageOptions;

  constructor(options: SegmentDamageOptions) {
    this.#options = options;
  }

  /** The files of these tables that are gone (or being removed). */
  async missingFiles(tables: readonly VisibleTable[]): Promise<SegmentFile[]> {
    const files = tables.flatMap(filesOf);
    const present = await Promise.all(
      files.map(({ path: relative }) =>
        access(absoluteSegmentPath(this.#options.dataDir, relative)).then(
          () => !removalsInFlight.has(relative),
          () => false,
        ),
      ),
    );
    return files.filter((_, i) => !present[i]);
  }

  /** A file a fresh catalog read still names is missing: recorded, and the client's error. */
  async missing(file: SegmentFile, scope: DamageScope): Promise<PgError> {
    return await this.#report('missing', file, undefined, scope);
  }

  /**
   * The error to send for what DuckDB threw while reading these tables: the damage error (and
   * the re-copy asked for) when it names one of their files, else the usual translation.
   */
  async translate(error: unknown, scope: DamageScope): Promise<PgError> {
    if (error instanceof PgError && told.has(error.code)) return error;
    const raw = rawMessage(error);
    const file = readFailure.test(raw) ? this.#namedFile(raw, scope.tables) : undefined;
    if (!file) return withSchemaBehind(translateDuckDbError(error), scope.tables);
    const reason = scrubPaths((raw.split('\n')[0] ?? raw).replace(readFailure, ''));
    if (passing.test(raw)) return this.#error('unreadable', file, reason, error);
    const exists = await access(absoluteSegmentPath(this.#options.dataDir, file.path)).then(
      () => true,
      () => false,
    );
    return await this.#report(exists ? 'damaged' : 'missing', file, reason, scope, error);
  }

  #namedFile(raw: string, tables: readonly VisibleTable[]): SegmentFile | undefined {
    return tables.flatMap(filesOf).find((f) => {
      const named = absoluteSegmentPath(this.#options.dataDir, f.path);
      // The whole name, as DuckDB quotes it: not the start of another file's.
      return [`"${named}"`, `'${named}'`].some((quoted) => raw.includes(quoted));
    });
  }

  async #report(
    kind: Kind,
    file: SegmentFile,
    reason: string | undefined,
    scope: DamageScope,
    cause?: unknown,
  ): Promise<PgError> {
    const { table } = file;
    const subject = `segment file ${segmentId(file)} of ${qualifiedName(table)}`;
    const recorded = `${subject} is ${kind}${reason ? ` (${reason})` : ''}; pg_analytica is re-copying the table`;
    try {
      const asked = await catalog.reportDamagedSegment(scope.pool, table.relid, table.generation, recorded);
      if (asked)
        this.#options.log.error('segment file missing or damaged; copying the table again', {
          table: qualifiedName(table),
          path: file.path,
          error: reason ?? kind,
        });
    } catch (error) {
      // The client's error says what happened either way; the next query that finds it asks again.
      this.#options.log.error('could not record a damaged segment in the catalog', {
        table: qualifiedName(table),
        path: file.path,
        error: errorMessage(error),
      });
    }
    return this.#error(kind, file, reason, cause);
  }

  #error(kind: Kind, file: SegmentFile, reason: string | undefined, cause: unknown): PgError {
    const name = qualifiedName(file.table);
    const subject = `segment file ${segmentId(file)} of ${name}`;
    const wait = `wait for the new copy with SELECT analytica.wait_for_sync('${name.replaceAll("'", "''")}')`;
    const recopy = 'pg_analytica is copying the table again from PostgreSQL';
    switch (kind) {
      case 'missing':
        return new PgError(SqlState.undefinedFile, `${subject} is missing`, {
          cause,
          detail: recopy,
          hint: wait,
        });
      case 'damaged':
        return new PgError(SqlState.dataCorrupted, `${subject} is damaged`, {
          cause,
          detail: `${reason}; ${recopy}`,
          hint: wait,
        });
      case 'unreadable':
        return new PgError(SqlState.ioError, `could not read ${subject}: ${reason}`, {
          cause,
          hint: `try again; if it persists, check the disk of pg_analytica's data directory, then SELECT analytica.resync('${name.replaceAll("'", "''")}')`,
        });
    }
  }
}

/** The stream, with read errors told apart as translate() does (DuckDB reads files as rows are fetched). */
export function watchingReads(stream: RowStream, damage: SegmentDamage, scope: DamageScope): RowStream {
  const translated = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw await damage.translate(error, scope);
    }
  };
  return {
    columns: stream.columns,
    read: (maxRows, signal) => translated(() => stream.read(maxRows, signal)),
    rewind: () => translated(() => stream.rewind()),
    close: () => stream.close(),
  };
}

function filesOf(table: VisibleTable): SegmentFile[] {
  return [...table.paths, ...(table.stream?.deletePaths ?? [])].map((p) => ({ table, path: p }));
}

/** The file's name is its segment id (segment-paths.ts), which analytica.segments shows too. */
function segmentId(file: SegmentFile): string {
  return path.posix.basename(file.path, '.parquet');
}

function qualifiedName(table: VisibleTable): string {
  return `${pgQuoteIdentifier(table.schemaName)}.${pgQuoteIdentifier(table.tableName)}`;
}

/** DuckDB's own text, also when it was already wrapped in a PgError. */
function rawMessage(error: unknown): string {
  let current = error;
  while (current instanceof PgError && current.cause !== undefined) current = current.cause;
  return errorMessage(current);
}

/**
 * A statement the source accepts (its Describe came first) fails on the copy for a column it does
 * not have, or returns fewer columns: when a table's copy is still behind a schema change after
 * the resolver waited for the stream to catch up (schema-catchup.ts), say so.
 */
function withSchemaBehind(error: PgError, tables: readonly VisibleTable[]): PgError {
  const missingColumns =
    error.code === SqlState.undefinedColumn ||
    (error.code === SqlState.featureNotSupported && /columns where PostgreSQL describes/.test(error.message));
  const behind = missingColumns ? tables.find((t) => t.columnsBehind === true) : undefined;
  if (behind === undefined) return error;
  const qualified = qualifiedName(behind);
  return new PgError(
    SqlState.objectNotInPrerequisiteState,
    `the columnar copy of ${qualified} does not have the columns a schema change gave the table yet`,
    {
      cause: error,
      detail:
        "A streamed copy follows ALTER TABLE without a write to the table, once its change stream has reached the migration; it did not within the query's wait (the stream is behind, or the table is being copied).",
      hint: `Run the statement again in a moment; if it keeps failing, see analytica.status, or copy the table again with SELECT analytica.resync('${qualified.replaceAll("'", "''")}').`,
    },
  );
}
