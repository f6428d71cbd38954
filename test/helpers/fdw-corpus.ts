/**
 * Tables and queries for the postgres_fdw differential tests: every query runs
 * on the heap tables and on their columnar.* foreign tables, and must return
 * the same rows. The queries cover the shapes postgres_fdw deparses (the
 * reference capture remote_sql.txt): filters with IN lists (= ANY), NOT IN
 * (<> ALL), LIKE/ILIKE/regex, IS DISTINCT FROM, date arithmetic, aggregates
 * with HAVING and ORDER BY … NULLS FIRST/LAST, LIMIT, joins of two foreign
 * tables, and NULLs everywhere.
 */

export const fdwTablesSql = `
  CREATE TABLE users (
    user_id int PRIMARY KEY, name varchar(100), plan char(4), signup_ts timestamp, score real
  );
  INSERT INTO users
    SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE 'user' || i END,
           (ARRAY['free', 'pro ', 'team', NULL])[1 + i % 4],
           '2024-01-01 00:00:00'::timestamp + i * interval '7 hours',
           CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 100) / 8.0 END
      FROM generate_series(1, 300) i;
  INSERT INTO users VALUES (1000, E'O''Brien \\\\ é', 'pro ', NULL, 1.5), (1001, 'a_b%c', NULL, NULL, NULL);
  CREATE TABLE events (
    id bigint PRIMARY KEY, user_id int, country text, url text, amount numeric(12,2),
    duration_ms double precision, is_bot boolean, ts timestamptz, day date, tags text[], payload jsonb
  );
  INSERT INTO events
    SELECT i,
           CASE WHEN i % 23 = 0 THEN NULL ELSE 1 + (i * 7) % 320 END,
           (ARRAY['US', 'DE', 'FR', 'JP', 'BR', NULL])[1 + i % 6],
           'https://example.com/' || (ARRAY['p/', 'P/', 'a/', 'docs/'])[1 + i % 4] || (i % 97),
           CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 37) % 100000) / 100.0 END,
           CASE WHEN i % 19 = 0 THEN NULL ELSE ((i * 13) % 5000) / 3.0 END,
           i % 10 = 0,
           '2024-01-01 00:00:00+00'::timestamptz + i * interval '97 seconds',
           DATE '2024-01-01' + (i / 900),
           CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY['a', 'b' || (i % 3)] END,
           CASE WHEN i % 7 = 0 THEN NULL ELSE jsonb_build_object('k', i % 5, 'v', 'x' || i) END
      FROM generate_series(1, 20000) i;
`;

/** {e} and {u} stand for the events and users tables (heap or foreign). */
export const fdwQueries: readonly string[] = [
  'SELECT count(*) FROM {e}',
  'SELECT country, count(*), sum(amount), avg(duration_ms), min(ts), max(ts), count(DISTINCT user_id) FROM {e} GROUP BY country ORDER BY country NULLS LAST',
  'SELECT country, count(*) FROM {e} GROUP BY 1 HAVING sum(amount) > 100 AND count(*) > 5 ORDER BY 1 NULLS FIRST',
  "SELECT id, ts, url, amount FROM {e} WHERE NOT is_bot AND ts >= '2024-01-02 00:00:00+00' AND ts < '2024-01-03 00:00:00+00' AND day >= '2024-01-02' AND day <= '2024-01-05' AND amount > 10.5 AND url LIKE '%/p/1%' AND country IN ('US', 'DE') ORDER BY id",
  "SELECT id FROM {e} WHERE payload IS NOT NULL AND is_bot AND country IS DISTINCT FROM 'JP' AND country IN ('US', 'DE', 'FR') AND user_id NOT IN (1, 2, 3) AND lower(url) LIKE 'https://%' AND length(url) > 3 AND substring(url, 1, 5) = 'https' ORDER BY id",
  "SELECT ts, country, amount, payload FROM {e} WHERE country IS NOT NULL AND url ILIKE '%P/2%' AND url ~ '2$' AND (user_id % 2) = 0 ORDER BY ts",
  "SELECT id FROM {e} WHERE url !~* 'docs' AND url ~* 'P/1' ORDER BY id LIMIT 50",
  "SELECT ts FROM {e} WHERE amount >= 1.5 AND amount <= 100 AND duration_ms < 1000 AND id > 9000 AND day - 1 > '2024-01-03'::date AND day + 7 < '2024-02-01'::date ORDER BY ts",
  'SELECT id, amount FROM {e} ORDER BY amount DESC NULLS FIRST, id ASC NULLS LAST LIMIT 20',
  'SELECT id, amount FROM {e} ORDER BY amount ASC NULLS FIRST, id DESC LIMIT 20 OFFSET 5',
  "SELECT NULL FROM {e} WHERE country = 'US' LIMIT 1",
  'SELECT user_id / 7, user_id % 7, count(*) FROM {e} WHERE user_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2',
  'SELECT day, count(*), sum(amount), max(duration_ms) FROM {e} GROUP BY day ORDER BY day',
  'SELECT is_bot, bool_and(is_bot), bool_or(amount > 900), count(amount), count(*) FROM {e} GROUP BY is_bot ORDER BY is_bot',
  "SELECT country, string_agg(DISTINCT url, ',' ORDER BY url) FILTER (WHERE id < 200) FROM {e} GROUP BY country ORDER BY country",
  'SELECT country, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount), stddev(duration_ms), variance(duration_ms), stddev_pop(duration_ms::real) FROM {e} GROUP BY 1 ORDER BY 1',
  'SELECT sum(user_id), sum(id), sum(amount), avg(duration_ms), min(amount), max(url) FROM {e}',
  'SELECT tags, payload, count(*) FROM {e} WHERE id < 100 GROUP BY 1, 2 ORDER BY 3 DESC, 1, payload::text LIMIT 30',
  'SELECT id, tags FROM {e} WHERE tags IS NOT NULL AND id BETWEEN 10 AND 40 ORDER BY id',
  "SELECT id, ts AT TIME ZONE 'UTC', day - DATE '2024-01-01', ts + interval '1 day' FROM {e} WHERE id IN (1, 2, 3, 500, 19999) ORDER BY id",
  "SELECT count(*) FROM {u} WHERE name = E'O''Brien \\\\ é' OR name LIKE E'a\\\\_%'",
  "SELECT signup_ts FROM {u} WHERE name::text = 'user5' AND plan = 'pro ' AND score::numeric > 5 ORDER BY 1",
  "SELECT r1.id, r2.name FROM {e} r1 LEFT JOIN {u} r2 ON r2.user_id = r1.user_id WHERE r1.ts >= '2024-01-02 00:00:00+00' AND r1.country IN ('US', 'DE') ORDER BY r1.id LIMIT 3",
  "SELECT r2.plan, count(*), sum(r1.amount) FROM {e} r1 JOIN {u} r2 ON r1.user_id = r2.user_id AND r2.signup_ts < '2024-01-20 00:00:00' GROUP BY 1 ORDER BY r2.plan NULLS LAST",
  'SELECT r2.name, sum(r1.amount) FROM {e} r1 JOIN {u} r2 ON r1.user_id = r2.user_id GROUP BY 1 ORDER BY sum(r1.amount) DESC NULLS FIRST, 1 LIMIT 5',
  'SELECT u.user_id, e.user_id FROM (SELECT user_id FROM {u} WHERE user_id BETWEEN 50 AND 60) u FULL JOIN (SELECT user_id FROM {e} WHERE id BETWEEN 50 AND 60) e ON u.user_id = e.user_id ORDER BY 1 NULLS LAST, 2 NULLS LAST',
  'SELECT r2.*, r1.id FROM {e} r1 JOIN {u} r2 ON r1.user_id = r2.user_id AND r1.id < 30 ORDER BY r1.id',
  'SELECT u.plan, count(DISTINCT e.country), min(e.day), max(e.ts) FROM {u} u JOIN {e} e USING (user_id) WHERE e.amount IS NULL GROUP BY u.plan ORDER BY 1 NULLS FIRST',
  'SELECT name, score, plan FROM {u} WHERE score IS NULL OR plan IS NULL ORDER BY user_id',
  'SELECT count(*) FILTER (WHERE amount IS NULL), count(*) FILTER (WHERE tags IS NULL), count(*) FILTER (WHERE payload IS NULL) FROM {e}',
  'SELECT id, round(amount * 1.1, 3), duration_ms * 2, -amount, abs(duration_ms - 1000) FROM {e} WHERE id <= 25 ORDER BY id',
];
