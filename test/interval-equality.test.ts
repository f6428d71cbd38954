/**
 * Values DuckDB holds equal while PostgreSQL's answers for them differ — INTERVAL '1 mon' and
 * '30 days', '1 day' and '24 hours', 0.0 and -0.0 — side by side in one statement. DuckDB's
 * optimizers would compute such expressions once for both (common subexpressions, aggregates,
 * groups, subplans); the engine turns them off (duckdb-instance.ts), so each answers as in
 * PostgreSQL.
 */
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE ie (id int PRIMARY KEY, iv interval, ts timestamp, tz timestamptz, d date, f float8);
  INSERT INTO ie VALUES (1, '1 day', '2024-01-31', '2024-01-31 12:00+00', '2024-01-31', 2),
                        (2, '24 hours', '2024-02-29 06:00', '2024-03-30 12:00+00', '2023-12-31', -1.5),
                        (3, '1 mon', '2023-01-31', '2024-10-26 12:00+00', '2024-03-31', 0);`;

const queries = [
  `SELECT id, ts + interval '1 month', ts + interval '30 days', d + interval '1 mon', d + interval '30 days' FROM ie ORDER BY id`,
  `SELECT id, iv + interval '1 mon', iv + interval '30 days', iv + interval '1 day', iv + interval '24 hours' FROM ie ORDER BY id`,
  `SELECT id, tz + interval '1 day', tz + interval '24 hours', tz - interval '1 mon', tz - interval '30 days' FROM ie ORDER BY id`,
  `SELECT id, interval '1 day' * f, interval '24 hours' * f, justify_hours(iv + interval '1 mon'), justify_hours(iv + interval '30 days') FROM ie ORDER BY id`,
  `SELECT max(ts + interval '1 mon'), max(ts + interval '30 days'), count(*) FILTER (WHERE ts + interval '1 mon' >= '2024-03-01'), count(*) FILTER (WHERE ts + interval '30 days' >= '2024-03-01') FROM ie`,
  `SELECT ts + interval '1 mon' AS a, ts + interval '30 days' AS b, count(*) FROM ie GROUP BY 1, 2 ORDER BY 1, 2`,
  `SELECT (SELECT max(ts + interval '1 mon') FROM ie), (SELECT max(ts + interval '30 days') FROM ie)`,
  `SELECT id, f * 0.0::float8, f * '-0'::float8, -f * 0.0 FROM ie ORDER BY id`,
  `SELECT id, date_bin('1 day', tz, '2024-01-01'), date_bin('24 hours', tz, '2024-01-01') FROM ie ORDER BY id`,
];

describeDifferential(
  'values DuckDB holds equal are computed apart',
  { setup, tables: ['ie'], options: { sessionSql: "SET TimeZone = 'Europe/Berlin'" } },
  queries,
);
