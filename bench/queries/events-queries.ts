/** Analytic queries over the web-analytics events table (see data/events.ts). */
import type { BenchQuery } from './bench-query.js';

const events = (name: string, description: string, sql: string): BenchQuery => ({
  set: 'events',
  name,
  description,
  sql,
});

export function eventsQueries(rows: number): BenchQuery[] {
  const middleId = Math.max(1, Math.floor(rows / 2));
  return [
    events('count', 'count(*) of the whole table', 'SELECT count(*) FROM events'),
    events(
      'group_device',
      'group-by, 4 groups, sum and avg',
      `SELECT device, count(*) AS n, sum(duration_ms) AS total_ms, round(avg(duration_ms), 2) AS avg_ms
         FROM events GROUP BY device ORDER BY device`,
    ),
    events(
      'group_country',
      'group-by, 50 groups, nullable numeric',
      `SELECT country, count(*) AS n, count(revenue) AS purchases, sum(revenue) AS revenue
         FROM events GROUP BY country ORDER BY country`,
    ),
    events(
      'group_url',
      'group-by, ~1000 groups, two keys',
      `SELECT url, device, count(*) AS n, max(duration_ms) AS slowest
         FROM events GROUP BY url, device ORDER BY url, device`,
    ),
    events(
      'top_users',
      'top-N over a high-cardinality group-by (rows/20 users)',
      `SELECT user_id, count(*) AS n, sum(duration_ms) AS total_ms
         FROM events GROUP BY user_id ORDER BY n DESC, user_id LIMIT 20`,
    ),
    events(
      'count_distinct',
      'count(DISTINCT) of users',
      'SELECT count(DISTINCT user_id) AS users FROM events',
    ),
    events(
      'distinct_by_country',
      'count(DISTINCT) per group',
      `SELECT country, count(DISTINCT user_id) AS users FROM events GROUP BY country ORDER BY users DESC, country LIMIT 10`,
    ),
    events(
      'top_pages',
      'top-10 urls',
      'SELECT url, count(*) AS hits FROM events GROUP BY url ORDER BY hits DESC, url LIMIT 10',
    ),
    events(
      'daily',
      'time buckets: per day, with distinct users',
      `SELECT date_trunc('day', ts) AS day, count(*) AS n, count(DISTINCT user_id) AS users, sum(revenue) AS revenue
         FROM events GROUP BY 1 ORDER BY 1`,
    ),
    events(
      'hourly_week',
      'time buckets: per hour over one week (range filter on the sort key)',
      `SELECT date_trunc('hour', ts) AS hour, count(*) AS n, round(avg(duration_ms), 2) AS avg_ms
         FROM events WHERE ts >= '2024-03-08 00:00:00+00' AND ts < '2024-03-15 00:00:00+00' GROUP BY 1 ORDER BY 1`,
    ),
    events(
      'hour_of_day',
      'extract(hour) × device',
      `SELECT extract(hour FROM ts) AS hour, device, count(*) AS n
         FROM events GROUP BY 1, 2 ORDER BY 1, 2`,
    ),
    events(
      'one_hour',
      'selective filter: one hour of 30 days on the sort key',
      `SELECT count(*) AS n, sum(revenue) AS revenue, max(duration_ms) AS slowest, count(DISTINCT user_id) AS users
         FROM events WHERE ts >= '2024-03-10 12:00:00+00' AND ts < '2024-03-10 13:00:00+00'`,
    ),
    events(
      'point_lookup',
      'one row by primary key (PostgreSQL has an index, the copy does not)',
      `SELECT * FROM events WHERE id = ${middleId}`,
    ),
    events(
      'wide_filter',
      'wide filter (most rows pass) then group-by',
      `SELECT country, count(*) AS n, sum(duration_ms) AS total_ms FROM events
        WHERE duration_ms > 1000 AND device <> 'tv' GROUP BY country ORDER BY n DESC, country LIMIT 10`,
    ),
    events(
      'like_prefix',
      'string matching: prefix LIKE and substring LIKE',
      `SELECT count(*) AS n, count(DISTINCT url) AS urls FROM events
        WHERE url LIKE '/products/%' AND referrer LIKE '%google%'`,
    ),
    {
      ...events(
        'referrers_checkout',
        'substring LIKE, group-by a nullable text column (NULL sorts first in DESC)',
        `SELECT referrer, count(*) AS n FROM events WHERE url LIKE '%/checkout/%'
          GROUP BY referrer ORDER BY referrer DESC`,
      ),
      // DuckDB sorts NULLs last in either direction; PostgreSQL puts them first in DESC.
      duckdbSql: `SELECT referrer, count(*) AS n FROM events WHERE url LIKE '%/checkout/%'
                   GROUP BY referrer ORDER BY referrer DESC NULLS FIRST`,
    },
    events(
      'revenue_filter',
      'FILTER clauses, coalesce over a nullable column',
      `SELECT coalesce(referrer, '(direct)') AS source, count(*) FILTER (WHERE revenue IS NOT NULL) AS purchases,
              coalesce(sum(revenue), 0) AS revenue, count(*) FILTER (WHERE duration_ms < 1000) AS bounces
         FROM events GROUP BY 1 ORDER BY revenue DESC, source`,
    ),
    events(
      'median_duration',
      'percentile_cont per group',
      `SELECT device, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS median_ms
         FROM events GROUP BY device ORDER BY device`,
    ),
  ];
}
