/**
 * What PostgreSQL never computes cannot fail: an aggregate's input for the rows its FILTER
 * leaves out, the right side of AND/OR once the left side decides. DuckDB computed both and
 * failed with division by zero or a cast error where PostgreSQL answers
 * (filtered-aggregates.ts, ordered-logic.ts).
 */
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE eo (id int PRIMARY KEY, n int, t text, m numeric);
  INSERT INTO eo VALUES (1, 0, 'a', 1.50), (2, 5, '12', 2), (3, NULL, 'x', NULL), (4, 4, '7', 0.125);`;

const queries = [
  `SELECT sum(100 / n) FILTER (WHERE n <> 0), avg(t::int) FILTER (WHERE t ~ '^[0-9]+$') FROM eo`,
  `SELECT string_agg(t, ',' ORDER BY 10 / n) FILTER (WHERE n <> 0), count(DISTINCT 10 / n) FILTER (WHERE n <> 0) FROM eo`,
  `SELECT sum(m / n) FILTER (WHERE n <> 0), percentile_cont(0.5) WITHIN GROUP (ORDER BY 100 / n) FILTER (WHERE n <> 0) FROM eo`,
  `SELECT id, sum(10 / n) FILTER (WHERE n <> 0) OVER (ORDER BY id) FROM eo ORDER BY id`,
  `SELECT count(*) FILTER (WHERE n > 0 AND 10 / n > 1), count(*) FILTER (WHERE n = 0 OR 10 / n > 1) FROM eo`,
  `SELECT id, n > 0 AND 10 / n > 1, n = 0 OR 10 / n > 1, t ~ '^[0-9]+$' AND t::int > 8, NOT (n <> 0 AND 10 % n = 0) FROM eo ORDER BY id`,
  `SELECT id, CASE WHEN n > 0 AND 12 / n = 3 THEN 'y' END, n IS NULL OR n = 0 OR 100 / n > 20 FROM eo ORDER BY id`,
  `SELECT id FROM eo WHERE n <> 0 AND 100 / n > 10 ORDER BY id`,
];

describeDifferential('what PostgreSQL does not compute does not fail', { setup, tables: ['eo'] }, queries);
