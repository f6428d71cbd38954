/**
 * A query grouped by a table's primary key reads that table's other columns ungrouped, as
 * PostgreSQL allows (functional dependency); a column that is not dependent still fails with
 * PostgreSQL's 42803.
 */
import { test } from 'node:test';
import { sameFailure } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE users (id int PRIMARY KEY, name text, email text, meta jsonb, joined date, credit numeric);
  CREATE TABLE orders (id int PRIMARY KEY, user_id int, amount numeric(8,2), placed timestamptz);
  INSERT INTO users VALUES (1, 'ann', 'ann@x', '{"tier": 1}', '2024-01-01', 1.50), (2, 'bob', 'bob@x', NULL, NULL, 2),
                           (3, 'cy', 'cy@x', '{"tier": 1.0}', '2024-02-29', 1.5);
  INSERT INTO orders VALUES (1, 1, 5, '2024-03-01 10:00+00'), (2, 1, 7.25, '2024-03-02 10:00+00'),
                            (3, 2, 1, '2024-03-02 11:00+00'), (4, 3, 10, NULL);`;

const queries = [
  `SELECT u.id, u.name, u.email, sum(o.amount) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY u.id`,
  `SELECT u.name, count(*) AS n FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY n DESC, u.name`,
  `SELECT name, meta, credit, date_trunc('month', joined), count(*) FROM users GROUP BY id ORDER BY name`,
  `SELECT u.email, sum(o.amount) AS total FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id HAVING u.name <> 'zed' ORDER BY total`,
  `SELECT u.name, max(o.placed), lag(u.name) OVER (ORDER BY u.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY 1`,
  // A column inside a grouped expression is not grouped by itself (that would split the groups).
  `SELECT width_bucket(credit, 0, 3, 3) AS bucket, count(*) FROM users GROUP BY 1 ORDER BY 1`,
  `SELECT date_trunc('day', o.placed) AS day, count(*) FROM orders o GROUP BY date_trunc('day', placed) ORDER BY 1`,
  `SELECT o.user_id, date_trunc('day', o.placed), count(*) FROM orders o GROUP BY o.user_id, date_trunc('day', placed) ORDER BY 1, 2`,
  `SELECT upper(name) AS n, count(*) FROM users GROUP BY upper(name) ORDER BY n`,
];

describeDifferential(
  'columns dependent on a grouped primary key',
  { setup, tables: ['users', 'orders'] },
  queries,
  (f) => {
    test('a column that is not dependent fails with PostgreSQL’s 42803', () =>
      sameFailure(
        f().heap,
        f().columnar,
        `SELECT o.amount, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id`,
      ));
  },
);
