/**
 * TPC-H queries 1, 3, 5, 6, 12 and 14 with the specification's validation
 * parameters, over the generated tables (see data/tpch.ts). Averages and the
 * Q14 ratio are rounded in the query, because PostgreSQL computes them in
 * exact numeric and DuckDB in double.
 */
import type { BenchQuery } from './bench-query.js';

const tpch = (name: string, description: string, sql: string): BenchQuery => ({
  set: 'tpch',
  name,
  description,
  sql,
});

export function tpchQueries(): BenchQuery[] {
  return [
    tpch(
      'q1',
      'TPC-H Q1: pricing summary, scan + 4 groups of numeric sums',
      `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
              sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
              sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
              round(avg(l_quantity), 6) AS avg_qty, round(avg(l_extendedprice), 6) AS avg_price,
              round(avg(l_discount), 6) AS avg_disc, count(*) AS count_order
         FROM lineitem
        WHERE l_shipdate <= date '1998-12-01' - interval '90 days'
        GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
    ),
    tpch(
      'q3',
      'TPC-H Q3: shipping priority, 3-way join, top-10',
      `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
         FROM customer, orders, lineitem
        WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
          AND o_orderdate < date '1995-03-15' AND l_shipdate > date '1995-03-15'
        GROUP BY l_orderkey, o_orderdate, o_shippriority
        ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10`,
    ),
    tpch(
      'q5',
      'TPC-H Q5: local supplier volume, 6-way join',
      `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
         FROM customer, orders, lineitem, supplier, nation, region
        WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
          AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
          AND r_name = 'ASIA' AND o_orderdate >= date '1994-01-01' AND o_orderdate < date '1994-01-01' + interval '1 year'
        GROUP BY n_name ORDER BY revenue DESC, n_name`,
    ),
    tpch(
      'q6',
      'TPC-H Q6: forecasting revenue change, selective scan',
      `SELECT sum(l_extendedprice * l_discount) AS revenue
         FROM lineitem
        WHERE l_shipdate >= date '1994-01-01' AND l_shipdate < date '1994-01-01' + interval '1 year'
          AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24`,
    ),
    tpch(
      'q12',
      'TPC-H Q12: shipping modes, join + CASE sums',
      `SELECT l_shipmode,
              sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
              sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
         FROM orders, lineitem
        WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate
          AND l_shipdate < l_commitdate AND l_receiptdate >= date '1994-01-01'
          AND l_receiptdate < date '1994-01-01' + interval '1 year'
        GROUP BY l_shipmode ORDER BY l_shipmode`,
    ),
    tpch(
      'q14',
      'TPC-H Q14: promotion effect, join + LIKE + ratio',
      `SELECT round(100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
                    / sum(l_extendedprice * (1 - l_discount)), 6) AS promo_revenue
         FROM lineitem, part
        WHERE l_partkey = p_partkey AND l_shipdate >= date '1995-09-01'
          AND l_shipdate < date '1995-09-01' + interval '1 month'`,
    ),
  ];
}
