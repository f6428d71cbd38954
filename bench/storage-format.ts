/**
 * Storage-format benchmark: the same web-analytics `events` table stored as
 * sorted Parquet segments written with different codecs, row-group sizes,
 * dictionary and format-version settings, and as native DuckDB database files
 * (a possible cache of compacted segments), queried side by side in one run.
 *
 *   npm run build && node dist/bench/storage-format.js [--rows 10000000] [--reps 5] [--segments 10]
 *     [--variants lz4,lz4-rg1M] [--keep]
 *
 * The querying instance is confined like the query engine's
 * (parquet_metadata_cache, allowed_directories = [data dir],
 * enable_external_access = false) before anything is read; native files are
 * ATTACHed after that, as a cache maintained while the daemon runs would be.
 * Rounds are interleaved (every variant once per round) so that load from other
 * processes on the machine spreads over all variants. Reports medians and
 * writes JSON and Markdown under bench/results/; never fails on timing.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseFlags } from '../src/config.js';
import { openDuckDb } from '../src/query/duckdb-instance.js';
import { quoteLiteral } from '../src/source/column-types.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 10_000_000);
const reps = Number(flags.get('reps') ?? 5);
const segments = Number(flags.get('segments') ?? 10);
const keep = flags.has('keep');
/** --variants a,b: only these (plus native and zstd1, which native is built from), to re-run suspicious ones. */
const only = flags.get('variants')?.split(',');
const threads = 2;
const memoryLimit = '12GB';

/** DuckDB's default, which the segment writer uses today. */
const smallRowGroup = 122_880;
/** 512 vectors: a 1M-row segment is then one row group. */
const bigRowGroup = 1_048_576;

const columns = 'id, ts, user_id, session_id, country, device, url, referrer, duration_ms, revenue';

interface Variant {
  name: string;
  note: string;
  /** Parquet COPY options after FORMAT parquet; undefined for a native database file. */
  copyOptions?: string;
  /** One file per segment, or one file for the whole table. */
  split: boolean;
  /** Native files: DuckDB's force_compression while writing (its choice when undefined). */
  forceCompression?: string;
}

const zstd1 = 'COMPRESSION zstd, COMPRESSION_LEVEL 1';
const lz4 = 'COMPRESSION lz4';
const pq = (name: string, note: string, codec: string, rowGroup = smallRowGroup, split = true): Variant => ({
  name,
  note,
  copyOptions: `${codec}, ROW_GROUP_SIZE ${rowGroup}`,
  split,
});

const allVariants: readonly Variant[] = [
  { name: 'native', note: 'DuckDB file built from the zstd1 segments, ATTACHed read-only', split: false },
  { name: 'native-per-segment', note: 'one DuckDB file per segment, UNION ALL', split: true },
  {
    name: 'native-dict',
    note: "as native, written with force_compression = 'dictionary' (strings dictionary-encoded)",
    split: false,
    forceCompression: 'dictionary',
  },
  pq('zstd1', 'ZSTD level 1, row groups 122,880: what the segment writer writes today', zstd1),
  pq('zstd3', 'ZSTD level 3', 'COMPRESSION zstd, COMPRESSION_LEVEL 3'),
  pq('snappy', 'SNAPPY', 'COMPRESSION snappy'),
  pq('lz4', 'LZ4 (DuckDB writes LZ4_RAW)', lz4),
  pq('uncompressed', 'no block compression', 'COMPRESSION uncompressed'),
  pq(
    'zstd1-nodict',
    'ZSTD 1, DICTIONARY_SIZE_LIMIT 0: no dictionary encoding',
    `${zstd1}, DICTIONARY_SIZE_LIMIT 0`,
  ),
  pq('lz4-nodict', 'LZ4, no dictionary encoding', `${lz4}, DICTIONARY_SIZE_LIMIT 0`),
  pq('zstd1-v2', 'ZSTD 1, PARQUET_VERSION V2 (delta encodings)', `${zstd1}, PARQUET_VERSION V2`),
  pq('lz4-v2', 'LZ4, PARQUET_VERSION V2', `${lz4}, PARQUET_VERSION V2`),
  pq('zstd1-rg1M', 'ZSTD 1, row groups 1,048,576', zstd1, bigRowGroup),
  pq('snappy-rg1M', 'SNAPPY, row groups 1,048,576', 'COMPRESSION snappy', bigRowGroup),
  pq('lz4-rg1M', 'LZ4, row groups 1,048,576', lz4, bigRowGroup),
  pq('zstd1-1file', 'ZSTD 1, one file for the whole table', zstd1, smallRowGroup, false),
  pq('lz4-1file', 'LZ4, one file for the whole table', lz4, smallRowGroup, false),
];

const variants = allVariants.filter(
  (v) => !only || only.includes(v.name) || ['native', 'zstd1'].includes(v.name),
);

/** `{t}` is replaced by the variant's view. */
const queries = [
  { id: 'count', sql: 'SELECT count(*) FROM {t}' },
  {
    id: 'by_country',
    sql: 'SELECT country, count(*), sum(duration_ms) FROM {t} GROUP BY country ORDER BY country',
  },
  { id: 'distinct_users', sql: 'SELECT count(DISTINCT user_id) FROM {t}' },
  { id: 'top_urls', sql: 'SELECT url, count(*) AS n FROM {t} GROUP BY url ORDER BY n DESC, url LIMIT 10' },
  {
    id: 'hourly',
    sql: "SELECT date_trunc('hour', ts) AS h, count(*) FROM {t} GROUP BY h ORDER BY h",
  },
  {
    id: 'one_day',
    sql: `SELECT count(*) FROM {t} WHERE ts >= TIMESTAMPTZ '2024-03-10 00:00:00+00'
            AND ts < TIMESTAMPTZ '2024-03-11 00:00:00+00' AND device = 'desktop'`,
  },
  { id: 'url_like', sql: "SELECT count(*) FROM {t} WHERE url LIKE '%item-01%'" },
  { id: 'revenue', sql: 'SELECT sum(revenue) FROM {t} WHERE revenue IS NOT NULL' },
] as const;

/**
 * 30 days of events from 2024-03-01, ts increasing with id (up to 60 s of
 * jitter), every other column a function of hash(id, k): reproducible, unlike
 * random(). u(k) is uniform in [0, 1); powers of it skew the distributions:
 * ~100k users, sessions of 8 consecutive events, 50 countries, 4 devices,
 * 1,000 pages (url), 200 referrers (40% NULL), revenue on 3% of the rows.
 */
function eventsSql(count: number): string {
  const u = (k: number) => `(hash(id, ${k}) % 1000003)::DOUBLE / 1000003`;
  const countries = (
    'US DE GB FR IN BR JP CA NL ES IT PL SE AU MX KR TR ID CH BE AT NO DK FI IE ' +
    'PT CZ RO HU GR IL ZA AR CL CO PE NG EG KE MA SA AE SG MY TH VN PH NZ UA RU'
  ).split(' ');
  const sections = 'product category blog search cart checkout account help'.split(' ');
  const referrers = (
    'google.com bing.com duckduckgo.com facebook.com twitter.com reddit.com youtube.com instagram.com ' +
    'linkedin.com news.ycombinator.com yahoo.com baidu.com yandex.ru pinterest.com tiktok.com github.com ' +
    'medium.com wikipedia.org mail.google.com t.co'
  ).split(' ');
  const list = (values: string[]) => `[${values.map(quoteLiteral).join(', ')}]`;
  const spanMicros = 30 * 86_400 * 1_000_000;
  return `CREATE TABLE events AS
    SELECT id,
      TIMESTAMPTZ '2024-03-01 00:00:00+00'
        + to_microseconds(((id - 1) * ${spanMicros / count})::BIGINT + (hash(id, 1) % 60000000)::BIGINT) AS ts,
      (1 + floor(100000 * pow(${u(2)}, 1.5)))::INT AS user_id,
      (hash(id // 8, 3) % 1000000000000)::BIGINT AS session_id,
      ${list(countries)}[(1 + floor(50 * pow(${u(4)}, 3)))::INT] AS country,
      CASE WHEN ${u(5)} < 0.55 THEN 'mobile' WHEN ${u(5)} < 0.90 THEN 'desktop'
           WHEN ${u(5)} < 0.98 THEN 'tablet' ELSE 'tv' END AS device,
      'https://shop.example.com/' || ${list(sections)}[page % 8 + 1] || '/item-' || lpad(page::VARCHAR, 4, '0') AS url,
      CASE WHEN ${u(8)} < 0.4 THEN NULL
           ELSE 'https://' || ${list(referrers)}[(hash(id, 9) % 20 + 1)::INT] || '/' || (hash(id, 10) % 10)::VARCHAR
      END AS referrer,
      floor(600000 * pow(${u(11)}, 4))::INT AS duration_ms,
      CASE WHEN ${u(12)} < 0.03 THEN ((100 + hash(id, 13) % 50000)::DECIMAL(12, 2) / 100)::DECIMAL(12, 2) END AS revenue
    FROM (SELECT id, floor(1000 * pow(${u(7)}, 2))::INT AS page FROM range(1, ${count + 1}) r(id))`;
}

interface Written {
  variant: Variant;
  paths: string[];
  bytes: number;
  writeMs: number;
  rowGroups: number;
  /** Per column: compressed bytes and encodings from the Parquet footers, or the native compression methods. */
  columnChunks: Record<string, { bytes?: number; encodings: string }>;
}

/** Id ranges (lo, hi] of the segments, in order; segments are 1M-row ingest chunks sorted by ts. */
function segmentRanges(): Array<[number, number]> {
  const size = Math.ceil(rows / segments);
  return Array.from({ length: segments }, (_, i) => [i * size, Math.min(rows, (i + 1) * size)]);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

async function bytesOf(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += (await stat(p)).size;
  return total;
}

async function writeParquet(connection: DuckDBConnection, dir: string, variant: Variant): Promise<Written> {
  await mkdir(dir, { recursive: true });
  const parts = variant.split ? segmentRanges() : [[0, rows] as [number, number]];
  const paths: string[] = [];
  let writeMs = 0;
  for (const [i, [lo, hi]] of parts.entries()) {
    const file = path.join(dir, `segment-${String(i).padStart(3, '0')}.parquet`);
    writeMs += await timed(() =>
      connection.run(
        `COPY (SELECT ${columns} FROM events WHERE id > ${lo} AND id <= ${hi} ORDER BY ts)
         TO ${quoteLiteral(file)} (FORMAT parquet, ${variant.copyOptions})`,
      ),
    );
    paths.push(file);
  }
  const files = `[${paths.map(quoteLiteral).join(', ')}]`;
  const groups = await connection.runAndReadAll(
    `SELECT count(DISTINCT (file_name, row_group_id))::INT FROM parquet_metadata(${files})`,
  );
  const chunks = await connection.runAndReadAll(
    `SELECT path_in_schema, sum(total_compressed_size)::BIGINT::VARCHAR, string_agg(DISTINCT encodings, ' | ')
     FROM parquet_metadata(${files}) GROUP BY ALL ORDER BY 1`,
  );
  const columnChunks: Written['columnChunks'] = {};
  for (const [column, bytes, encodings] of chunks.getRows()) {
    columnChunks[String(column)] = { bytes: Number(bytes), encodings: String(encodings) };
  }
  const rowGroups = Number(groups.getRows()[0]?.[0]);
  return { variant, paths, bytes: await bytesOf(paths), writeMs, rowGroups, columnChunks };
}

/**
 * The native cache as it would be built: from the compacted segments (the
 * zstd1 files), read in order, so the table keeps their ts order and its zone
 * maps prune like Parquet row-group statistics. Write time includes reading
 * the Parquet files and the checkpoint at DETACH.
 */
async function writeNative(
  connection: DuckDBConnection,
  dir: string,
  variant: Variant,
  segmentFiles: readonly string[],
): Promise<Written> {
  await mkdir(dir, { recursive: true });
  const sources = variant.split ? segmentFiles.map((f) => [f]) : [segmentFiles];
  const paths: string[] = [];
  let writeMs = 0;
  for (const [i, files] of sources.entries()) {
    const file = path.join(dir, `cache-${String(i).padStart(3, '0')}.duckdb`);
    writeMs += await timed(async () => {
      await connection.run(`SET force_compression = ${quoteLiteral(variant.forceCompression ?? 'auto')}`);
      await connection.run(`ATTACH ${quoteLiteral(file)} AS cache`);
      await connection.run(
        `CREATE TABLE cache.events AS SELECT ${columns} FROM read_parquet([${files.map(quoteLiteral).join(', ')}])`,
      );
      await connection.run('DETACH cache');
    });
    paths.push(file);
  }
  await connection.run("SET force_compression = 'auto'");
  await connection.run(`ATTACH ${quoteLiteral(paths[0]!)} AS cache (READ_ONLY)`);
  const storage = await connection.runAndReadAll(
    `SELECT column_name, string_agg(DISTINCT compression, ' | '), count(DISTINCT row_group_id)::INT
     FROM pragma_storage_info('cache.events') WHERE segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1`,
  );
  await connection.run('DETACH cache');
  const columnChunks: Written['columnChunks'] = {};
  for (const [column, compression] of storage.getRows())
    columnChunks[String(column)] = { encodings: String(compression) };
  const rowGroups = Number(storage.getRows()[0]?.[2]) * paths.length;
  return { variant, paths, bytes: await bytesOf(paths), writeMs, rowGroups, columnChunks };
}

interface Probe {
  what: string;
  sql: string;
  ok: boolean;
  error?: string;
}

async function probe(connection: DuckDBConnection, what: string, sql: string): Promise<Probe> {
  try {
    await connection.run(sql);
    return { what, sql, ok: true };
  } catch (error) {
    return { what, sql, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** What a native cache needs from a confined instance: ATTACH (and swap) inside the data directory only. */
async function probeConfinement(
  connection: DuckDBConnection,
  insideFile: string,
  outsideFile: string,
): Promise<Probe[]> {
  const attachInside = `ATTACH ${quoteLiteral(insideFile)} AS probe (READ_ONLY)`;
  const steps: Array<[string, string]> = [
    ['ATTACH inside allowed_directories after lock-down', attachInside],
    ['read from it', 'SELECT count(*) FROM probe.events'],
    ['DETACH it', 'DETACH probe'],
    ['ATTACH it again (a new cache generation)', attachInside],
    ['DETACH it again', 'DETACH probe'],
    ['ATTACH outside allowed_directories', `ATTACH ${quoteLiteral(outsideFile)} AS outside (READ_ONLY)`],
    ['turn external access back on', 'SET enable_external_access = true'],
  ];
  const probes: Probe[] = [];
  for (const [what, sql] of steps) probes.push(await probe(connection, what, sql));
  return probes;
}

interface Measured {
  written: Written;
  view: string;
  connection: DuckDBConnection;
  results: Map<string, string>;
  times: Map<string, number[]>;
}

async function createView(admin: DuckDBConnection, written: Written): Promise<string> {
  const view = `v_${written.variant.name.replaceAll('-', '_')}`;
  let source: string;
  if (written.variant.copyOptions !== undefined) {
    source = `SELECT ${columns} FROM read_parquet([${written.paths.map(quoteLiteral).join(', ')}])`;
  } else {
    const selects: string[] = [];
    for (const [i, file] of written.paths.entries()) {
      const alias = `${view}_${i}`;
      await admin.run(`ATTACH ${quoteLiteral(file)} AS ${alias} (READ_ONLY)`);
      selects.push(`SELECT ${columns} FROM ${alias}.events`);
    }
    source = selects.join(' UNION ALL ');
  }
  await admin.run(`CREATE VIEW ${view} AS ${source}`);
  return view;
}

/** Round 0 warms every variant up (and records its results); rounds 1..reps are timed. */
async function measure(all: Measured[]): Promise<void> {
  for (let round = 0; round <= reps; round++) {
    process.stdout.write(round === 0 ? 'warm-up round' : ` ${round}`);
    for (const m of all) {
      for (const q of queries) {
        const sql = q.sql.replaceAll('{t}', m.view);
        const started = performance.now();
        const result = await m.connection.runAndReadAll(sql);
        const ms = performance.now() - started;
        if (round === 0) m.results.set(q.id, JSON.stringify(result.getRowsJson()));
        else m.times.get(q.id)!.push(ms);
      }
    }
  }
  process.stdout.write('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

interface Summary {
  name: string;
  note: string;
  medianMs: Record<string, number>;
  minMs: Record<string, number>;
  runsMs: Record<string, number[]>;
  geomeanVsNative: number;
  geomeanVsNativeWithoutCount: number;
  /** The same from the fastest run of each query: less sensitive to other load on the machine. */
  geomeanOfMinVsNativeWithoutCount: number;
  bytes: number;
  files: number;
  rowGroups: number;
  writeMs: number;
  resultsMatchNative: boolean;
  columnChunks: Written['columnChunks'];
}

function summarize(all: readonly Measured[]): Summary[] {
  const native = all.find((m) => m.written.variant.name === 'native')!;
  const med = (m: Measured, id: string) => median(m.times.get(id)!);
  const min = (m: Measured, id: string) => Math.min(...m.times.get(id)!);
  return all.map((m) => {
    const ratios = queries.map((q) => med(m, q.id) / med(native, q.id));
    const minRatios = queries.map((q) => min(m, q.id) / min(native, q.id));
    const entries = <T>(f: (id: string) => T): Record<string, T> =>
      Object.fromEntries(queries.map((q) => [q.id, f(q.id)]));
    return {
      name: m.written.variant.name,
      note: m.written.variant.note,
      medianMs: entries((id) => med(m, id)),
      minMs: entries((id) => min(m, id)),
      runsMs: entries((id) => m.times.get(id)!),
      geomeanVsNative: geomean(ratios),
      geomeanVsNativeWithoutCount: geomean(ratios.slice(1)),
      geomeanOfMinVsNativeWithoutCount: geomean(minRatios.slice(1)),
      bytes: m.written.bytes,
      files: m.written.paths.length,
      rowGroups: m.written.rowGroups,
      writeMs: m.written.writeMs,
      resultsMatchNative: queries.every((q) => m.results.get(q.id) === native.results.get(q.id)),
      columnChunks: m.written.columnChunks,
    };
  });
}

function markdown(summaries: readonly Summary[]): string {
  const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
  const header = [
    'variant',
    ...queries.map((q) => q.id),
    'geomean ×native',
    'geomean ×native w/o count',
    'same, of min',
    'MB',
    'write s',
    'row groups',
    'same results',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const s of summaries) {
    const cells = [
      s.name,
      ...queries.map((q) => ms(s.medianMs[q.id]!)),
      s.geomeanVsNative.toFixed(2),
      s.geomeanVsNativeWithoutCount.toFixed(2),
      s.geomeanOfMinVsNativeWithoutCount.toFixed(2),
      (s.bytes / 1e6).toFixed(1),
      (s.writeMs / 1000).toFixed(2),
      String(s.rowGroups),
      s.resultsMatchNative ? 'yes' : '**no**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Generates the table in a DuckDB instance of its own (not confined) and writes every variant. */
async function writeFiles(root: string): Promise<{ written: Written[]; generateMs: number }> {
  const { instance, connection } = await openDuckDb({ threads, memoryLimit });
  try {
    console.log(`generating events with ${rows.toLocaleString('en-US')} rows…`);
    const generateMs = await timed(() => connection.run(eventsSql(rows)));
    // A database file outside the data directory, for the confinement probe.
    await connection.run(`ATTACH ${quoteLiteral(path.join(root, 'outside.duckdb'))} AS outside`);
    await connection.run('CREATE TABLE outside.events AS SELECT 1 AS x');
    await connection.run('DETACH outside');
    const written = new Map<Variant, Written>();
    const parquet = variants.filter((v) => v.copyOptions !== undefined);
    const native = variants.filter((v) => v.copyOptions === undefined);
    const segmentsOf = (name: string) => [...written.values()].find((w) => w.variant.name === name)!.paths;
    for (const variant of [...parquet, ...native]) {
      const dir = path.join(root, 'data', variant.name);
      const w =
        variant.copyOptions === undefined
          ? await writeNative(connection, dir, variant, segmentsOf('zstd1'))
          : await writeParquet(connection, dir, variant);
      console.log(
        `  ${variant.name}: ${(w.bytes / 1e6).toFixed(1)} MB in ${(w.writeMs / 1000).toFixed(2)} s`,
      );
      written.set(variant, w);
    }
    return { written: variants.map((v) => written.get(v)!), generateMs };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Confines a fresh instance like the query engine's, probes ATTACH, then measures every variant. */
async function queryVariants(
  root: string,
  written: readonly Written[],
): Promise<{ probes: Probe[]; summaries: Summary[]; duckdb: string }> {
  const { instance, connection: admin } = await openDuckDb({ threads, memoryLimit });
  const measured: Measured[] = [];
  try {
    // The query engine's settings, in its order (src/query/duckdb-engine.ts).
    await admin.run('SET parquet_metadata_cache = true');
    await admin.run(`SET allowed_directories = [${quoteLiteral(path.join(root, 'data') + path.sep)}]`);
    await admin.run('SET enable_external_access = false');
    const nativeFile = written.find((w) => w.variant.name === 'native')!.paths[0]!;
    const probes = await probeConfinement(admin, nativeFile, path.join(root, 'outside.duckdb'));
    for (const p of probes)
      console.log(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.what}${p.error ? `: ${p.error}` : ''}`);
    for (const w of written) {
      const view = await createView(admin, w);
      const connection = await instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      const times = new Map(queries.map((q) => [q.id as string, [] as number[]]));
      measured.push({ written: w, view, connection, results: new Map(), times });
    }
    await measure(measured);
    const version = await admin.runAndReadAll('SELECT version()');
    return { probes, summaries: summarize(measured), duckdb: String(version.getRows()[0]?.[0]) };
  } finally {
    for (const m of measured) m.connection.closeSync();
    admin.closeSync();
    instance.closeSync();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'pga-storage-format-'));
  const startedAt = new Date();
  const loadBefore = loadavg();
  try {
    const { written, generateMs } = await writeFiles(root);
    const { probes, summaries, duckdb } = await queryVariants(root, written);
    const loadAfter = loadavg();
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    const heading =
      `rows ${rows.toLocaleString('en-US')}, ${segments} segments, median ms of ${reps} interleaved rounds ` +
      `after one warm-up, DuckDB ${duckdb} threads ${threads}; load average before ${load(loadBefore)}, after ${load(loadAfter)}`;
    const table = markdown(summaries);
    console.log(`\n${heading}\n\n${table}\n`);
    const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');
    await mkdir(resultsDir, { recursive: true });
    const base = path.join(resultsDir, `storage-format-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
    const report = {
      startedAt: startedAt.toISOString(),
      rows,
      reps,
      segments,
      threads,
      duckdb,
      node: process.version,
      generateMs,
      loadAverage: { before: loadBefore, after: loadAfter },
      queries: Object.fromEntries(queries.map((q) => [q.id, q.sql])),
      confinementProbes: probes,
      variants: summaries,
    };
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(`${base}.md`, `${heading}\n\n${table}\n`);
    console.log(`wrote ${base}.json and .md`);
  } finally {
    if (keep) console.log(`files kept in ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
