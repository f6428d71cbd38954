/**
 * TPC-H-style tables (region, nation, supplier, part, customer, orders,
 * lineitem) generated inside PostgreSQL from hashes of the keys, never
 * random(). Cardinalities follow TPC-H's ratios scaled so that lineitem holds
 * about `lineitemRows` rows (4 lines per order on average); dates, flags and
 * prices follow the specification's rules closely enough that Q1, Q3, Q5,
 * Q6, Q12 and Q14 select similar fractions. Every table has a primary key so
 * it can be streamed.
 */

export const tpchTables = ['region', 'nation', 'supplier', 'part', 'customer', 'orders', 'lineitem'] as const;

const nations: [string, number][] = [
  ['ALGERIA', 0],
  ['ARGENTINA', 1],
  ['BRAZIL', 1],
  ['CANADA', 1],
  ['EGYPT', 4],
  ['ETHIOPIA', 0],
  ['FRANCE', 3],
  ['GERMANY', 3],
  ['INDIA', 2],
  ['INDONESIA', 2],
  ['IRAN', 4],
  ['IRAQ', 4],
  ['JAPAN', 2],
  ['JORDAN', 4],
  ['KENYA', 0],
  ['MOROCCO', 0],
  ['MOZAMBIQUE', 0],
  ['PERU', 1],
  ['CHINA', 2],
  ['ROMANIA', 3],
  ['SAUDI ARABIA', 4],
  ['VIETNAM', 2],
  ['RUSSIA', 3],
  ['UNITED KINGDOM', 3],
  ['UNITED STATES', 1],
];
const regions = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
const segments = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'];
const priorities = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const shipModes = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
const instructions = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const typeWords = [
  ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'],
  ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'],
  ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'],
];

function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]`;
}

/** `values[hash(key, seed) mod n]` as SQL. */
function pick(values: readonly string[], key: string, seed: number): string {
  return `(${textArray(values)})[1 + abs(hashint8extended(${key}, ${seed}) % ${values.length})::int]`;
}

/** A whole number in [low, high] from the key's hash, as integer (date + integer is a date). */
function between(key: string, seed: number, low: number, high: number): string {
  return `(${low} + abs(hashint8extended(${key}, ${seed}) % ${high - low + 1}))::int`;
}

export interface TpchScale {
  orders: number;
  customers: number;
  parts: number;
  suppliers: number;
}

/** TPC-H's ratios (SF 1: 1.5 M orders, 150 k customers, 200 k parts, 10 k suppliers). */
export function tpchScale(lineitemRows: number): TpchScale {
  const orders = Math.max(100, Math.round(lineitemRows / 4));
  return {
    orders,
    customers: Math.max(10, Math.round(orders / 10)),
    parts: Math.max(10, Math.round((orders * 2) / 15)),
    suppliers: Math.max(10, Math.round(orders / 150)),
  };
}

function dimensionsSql(scale: TpchScale): string {
  return `
    CREATE TABLE region (r_regionkey integer PRIMARY KEY, r_name text NOT NULL);
    INSERT INTO region SELECT i - 1, r FROM unnest(${textArray(regions)}) WITH ORDINALITY AS x(r, i);
    CREATE TABLE nation (n_nationkey integer PRIMARY KEY, n_name text NOT NULL, n_regionkey integer NOT NULL);
    INSERT INTO nation VALUES ${nations.map(([name, region], i) => `(${i}, '${name}', ${region})`).join(', ')};
    CREATE TABLE supplier (s_suppkey integer PRIMARY KEY, s_name text NOT NULL, s_nationkey integer NOT NULL,
                           s_acctbal numeric(15,2) NOT NULL);
    INSERT INTO supplier SELECT k, 'Supplier#' || lpad(k::text, 9, '0'), ${between('k', 1, 0, 24)},
                                (${between('k', 2, -99999, 999999)} / 100.0)::numeric(15,2)
      FROM generate_series(1, ${scale.suppliers}) k;
    CREATE TABLE part (p_partkey integer PRIMARY KEY, p_name text NOT NULL, p_brand text NOT NULL,
                       p_type text NOT NULL, p_size integer NOT NULL, p_retailprice numeric(15,2) NOT NULL);
    INSERT INTO part SELECT k, 'part ' || k, 'Brand#' || ${between('k', 1, 1, 5)} || ${between('k', 2, 1, 5)},
                            ${pick(typeWords[0]!, 'k', 3)} || ' ' || ${pick(typeWords[1]!, 'k', 4)} || ' ' || ${pick(typeWords[2]!, 'k', 5)},
                            ${between('k', 6, 1, 50)},
                            ((90000 + (k / 10) % 20001 + 100 * (k % 1000)) / 100.0)::numeric(15,2)
      FROM generate_series(1, ${scale.parts}) k;
    CREATE TABLE customer (c_custkey integer PRIMARY KEY, c_name text NOT NULL, c_nationkey integer NOT NULL,
                           c_acctbal numeric(15,2) NOT NULL, c_mktsegment text NOT NULL);
    INSERT INTO customer SELECT k, 'Customer#' || lpad(k::text, 9, '0'), ${between('k', 1, 0, 24)},
                                (${between('k', 2, -99999, 999999)} / 100.0)::numeric(15,2), ${pick(segments, 'k', 3)}
      FROM generate_series(1, ${scale.customers}) k;`;
}

function factsSql(scale: TpchScale): string {
  // Order dates span 1992-01-01 .. 1998-08-02 as in TPC-H; lines ship 1–121 days after the order.
  return `
    CREATE TABLE orders (o_orderkey bigint PRIMARY KEY, o_custkey integer NOT NULL, o_orderstatus text NOT NULL,
                         o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL,
                         o_orderpriority text NOT NULL, o_shippriority integer NOT NULL);
    INSERT INTO orders SELECT k, ${between('k', 1, 1, scale.customers)},
                              CASE WHEN date '1992-01-01' + ${between('k', 2, 0, 2404)} > date '1995-06-17' THEN 'O' ELSE 'F' END,
                              (${between('k', 3, 90000, 50000000)} / 100.0)::numeric(15,2),
                              date '1992-01-01' + ${between('k', 2, 0, 2404)},
                              ${pick(priorities, 'k', 4)}, 0
      FROM generate_series(1, ${scale.orders}) k;
    CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_linenumber integer NOT NULL, l_partkey integer NOT NULL,
                           l_suppkey integer NOT NULL, l_quantity numeric(15,2) NOT NULL,
                           l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,
                           l_tax numeric(15,2) NOT NULL, l_returnflag text NOT NULL, l_linestatus text NOT NULL,
                           l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,
                           l_shipinstruct text NOT NULL, l_shipmode text NOT NULL,
                           PRIMARY KEY (l_orderkey, l_linenumber));
    INSERT INTO lineitem
    SELECT o_orderkey, n, partkey, ${between('lk', 2, 1, scale.suppliers)}, quantity,
           (quantity * p_retailprice)::numeric(15,2),
           (${between('lk', 3, 0, 10)} / 100.0)::numeric(15,2), (${between('lk', 4, 0, 8)} / 100.0)::numeric(15,2),
           CASE WHEN receipt <= date '1995-06-17' THEN (ARRAY['R', 'A'])[1 + abs(hashint8extended(lk, 5) % 2)::int]
                ELSE 'N' END,
           CASE WHEN ship > date '1995-06-17' THEN 'O' ELSE 'F' END,
           ship, o_orderdate + ${between('lk', 6, 30, 90)}, receipt,
           ${pick(instructions, 'lk', 7)}, ${pick(shipModes, 'lk', 8)}
      FROM orders
      CROSS JOIN LATERAL generate_series(1, ${between('o_orderkey', 10, 1, 7)}) AS n
      CROSS JOIN LATERAL (SELECT o_orderkey * 8 + n AS lk) AS line_key
      CROSS JOIN LATERAL (SELECT ${between('lk', 1, 1, scale.parts)} AS partkey,
                                 ${between('lk', 9, 1, 50)}::numeric(15,2) AS quantity,
                                 o_orderdate + ${between('lk', 11, 1, 121)} AS ship) AS l
      CROSS JOIN LATERAL (SELECT ship + ${between('lk', 12, 1, 30)} AS receipt) AS r
      JOIN part ON p_partkey = partkey;`;
}

export function tpchSql(lineitemRows: number): string {
  const scale = tpchScale(lineitemRows);
  return dimensionsSql(scale) + factsSql(scale);
}
