-- psql's scripted output of queries, transactions and errors; run with -X -f.
\set VERBOSITY sqlstate
\pset null '(null)'
SELECT id, i2, i4, i8, n, f8, b, t, vc, d, ts, tstz, u, jb, by, a_i4, a_t FROM mix WHERE id <= 12 OR id > 1000 ORDER BY id;
SELECT vc, count(*), sum(i4), min(n), max(d), max(f8) FROM mix GROUP BY vc ORDER BY vc NULLS FIRST;
\x on
SELECT * FROM mix WHERE id = 4;
\x off
\pset format csv
SELECT id, t, jb, by, a_t FROM mix WHERE id BETWEEN 1 AND 8 ORDER BY id;
\pset format unaligned
SELECT count(*) AS c, max(tstz) AS m FROM mix \gset
\echo count :c max :m
\pset format aligned
BEGIN;
SELECT count(*) FROM mix WHERE b;
SAVEPOINT s1;
SELECT 1/0;
\echo :SQLSTATE
SELECT 1;
\echo :SQLSTATE
ROLLBACK TO SAVEPOINT s1;
SELECT max(id) FROM mix;
COMMIT;
SELEC 1;
\echo :SQLSTATE
SELECT i4 / (i2 - i2) FROM mix;
\echo :SQLSTATE
SELECT id FROM mix WHERE id < 3 ORDER BY id;
