/** The sample table and analytic queries shared by the demo and the benchmarks. */

export const demoQueries: { name: string; sql: string }[] = [
  { name: 'count rows', sql: 'SELECT count(*) FROM events' },
  {
    name: 'revenue by region',
    sql: 'SELECT region, count(*) AS orders, sum(amount) AS revenue FROM events GROUP BY region ORDER BY region',
  },
  {
    name: 'daily users in March',
    sql: `SELECT date_trunc('day', ts) AS day, count(DISTINCT user_id) AS users FROM events
           WHERE ts >= '2024-03-01' GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'top 10 pages',
    sql: 'SELECT url, count(*) AS hits FROM events GROUP BY url ORDER BY hits DESC, url LIMIT 10',
  },
  {
    name: 'one day, by device',
    sql: `SELECT device, count(*) AS n, sum(amount) AS total, max(duration_ms) AS slowest FROM events
           WHERE ts >= '2024-02-01' AND ts < '2024-02-02' GROUP BY device ORDER BY device`,
  },
];

/** The sample table: 90 days of events with skewed pages and ~1 M users; with `rows`, filled at once. */
export function sampleTableSql(rows?: number): string {
  return `
    CREATE TABLE events (
      id bigint PRIMARY KEY, ts timestamptz NOT NULL, user_id integer NOT NULL, region text NOT NULL,
      device text NOT NULL, amount numeric(12,2) NOT NULL, duration_ms integer NOT NULL, url text NOT NULL);
    ${rows === undefined ? '' : sampleRowsSql(1, rows, rows)}`;
}

/** Rows `from`..`to` of a deterministic sample of `rows` rows (the same rows whatever the steps). */
export function sampleRowsSql(from: number, to: number, rows: number): string {
  return `
    INSERT INTO events
    SELECT g,
           '2024-01-01 00:00:00+00'::timestamptz + (g::float8 / ${rows} * interval '90 days')
             + ((hashint8extended(g, 1) % 600) * interval '1 second'),
           abs(hashint8extended(g, 2) % 1000000)::int,
           'region-' || abs(hashint8extended(g, 3) % 20),
           (ARRAY['desktop','mobile','tablet','tv','watch'])[1 + abs(hashint8extended(g, 4) % 5)],
           (abs(hashint8extended(g, 5) % 100000) / 100.0)::numeric(12,2),
           abs(hashint8extended(g, 6) % 5000)::int,
           'https://example.com/page/' || lpad((floor(100000 * power(abs(hashint8extended(g, 7) % 1000000) / 1e6, 3)))::text, 6, '0')
      FROM generate_series(${from}, ${to}) AS g;`;
}
