/**
 * TPC-H with the specification's own DDL (char(n), decimal(15,2), date,
 * varchar; clause 1.4), a small data set generated inside PostgreSQL from
 * hashes of the keys (deterministic, never random()), and the 22 queries with
 * the specification's validation substitution parameters (clause 2.4),
 * written as PostgreSQL accepts them (`interval '90' day`: PostgreSQL rejects
 * the standard's `day (3)`; Q15's view as a WITH query, as clause 2.5.3
 * allows). Values are drawn from the specification's word lists, shorter than
 * their char(n) columns, so every char(n) value is blank-padded.
 */

/** `(ARRAY[...])[1 + hash mod n]`: one of `values`, chosen by the key's hash. */
function pick(values: readonly string[], key: string, seed: number): string {
  const array = `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]`;
  return `(${array})[1 + abs(hashint8extended(${key}, ${seed}) % ${values.length})::int]`;
}

/** A whole number in [low, high] from the key's hash. */
function between(key: string, seed: number, low: number, high: number): string {
  return `(${low} + abs(hashint8extended(${key}, ${seed}) % ${high - low + 1}))::int`;
}

const nations = [
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
] as const;
const regions = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
const colors = ['almond', 'forest', 'green', 'blue', 'ivory', 'khaki', 'lace', 'navy', 'olive', 'peach'];
const typeSyllables = [
  ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'],
  ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'],
  ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'],
];
const containers = [
  ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'],
  ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'],
];
const sizes = ['1', '3', '5', '9', '10', '14', '15', '19', '23', '36', '45', '49'];
const segments = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
const priorities = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const instructions = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const modes = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
const comments = [
  'carefully final deposits',
  'special packages requests',
  'Customer slow Complaints',
  'quick ideas',
];

export const tpchTables = [
  'region',
  'nation',
  'part',
  'supplier',
  'partsupp',
  'customer',
  'orders',
  'lineitem',
];

const ddl = `
  CREATE TABLE region (r_regionkey integer PRIMARY KEY, r_name char(25) NOT NULL, r_comment varchar(152));
  CREATE TABLE nation (n_nationkey integer PRIMARY KEY, n_name char(25) NOT NULL, n_regionkey integer NOT NULL,
                       n_comment varchar(152));
  CREATE TABLE part (p_partkey integer PRIMARY KEY, p_name varchar(55) NOT NULL, p_mfgr char(25) NOT NULL,
                     p_brand char(10) NOT NULL, p_type varchar(25) NOT NULL, p_size integer NOT NULL,
                     p_container char(10) NOT NULL, p_retailprice decimal(15,2) NOT NULL, p_comment varchar(23) NOT NULL);
  CREATE TABLE supplier (s_suppkey integer PRIMARY KEY, s_name char(25) NOT NULL, s_address varchar(40) NOT NULL,
                         s_nationkey integer NOT NULL, s_phone char(15) NOT NULL, s_acctbal decimal(15,2) NOT NULL,
                         s_comment varchar(101) NOT NULL);
  CREATE TABLE partsupp (ps_partkey integer NOT NULL, ps_suppkey integer NOT NULL, ps_availqty integer NOT NULL,
                         ps_supplycost decimal(15,2) NOT NULL, ps_comment varchar(199) NOT NULL,
                         PRIMARY KEY (ps_partkey, ps_suppkey));
  CREATE TABLE customer (c_custkey integer PRIMARY KEY, c_name varchar(25) NOT NULL, c_address varchar(40) NOT NULL,
                         c_nationkey integer NOT NULL, c_phone char(15) NOT NULL, c_acctbal decimal(15,2) NOT NULL,
                         c_mktsegment char(10) NOT NULL, c_comment varchar(117) NOT NULL);
  CREATE TABLE orders (o_orderkey integer PRIMARY KEY, o_custkey integer NOT NULL, o_orderstatus char(1) NOT NULL,
                       o_totalprice decimal(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority char(15) NOT NULL,
                       o_clerk char(15) NOT NULL, o_shippriority integer NOT NULL, o_comment varchar(79) NOT NULL);
  CREATE TABLE lineitem (l_orderkey integer NOT NULL, l_partkey integer NOT NULL, l_suppkey integer NOT NULL,
                         l_linenumber integer NOT NULL, l_quantity decimal(15,2) NOT NULL,
                         l_extendedprice decimal(15,2) NOT NULL, l_discount decimal(15,2) NOT NULL,
                         l_tax decimal(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL,
                         l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,
                         l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL,
                         PRIMARY KEY (l_orderkey, l_linenumber));`;

/**
 * Sizes: 40 suppliers, 300 parts (4 suppliers each), 150 customers, 1,500 orders, about 6,000
 * lines; every 97th order has 7 large lines, so that Q18 (quantity over 300) selects some.
 */
const SUPPLIERS = 40;
const PARTS = 300;
const CUSTOMERS = 150;
const ORDERS = 1500;

function dimensions(): string {
  return `
    INSERT INTO region SELECT i - 1, r, 'region ' || r FROM unnest(ARRAY[${regions.map((r) => `'${r}'`).join(', ')}]) WITH ORDINALITY AS x(r, i);
    INSERT INTO nation VALUES ${nations.map(([n, r], i) => `(${i}, '${n}', ${r}, 'nation ${i}')`).join(', ')};
    INSERT INTO part SELECT k, ${pick(colors, 'k', 1)} || ' ' || ${pick(colors, 'k', 2)},
        'Manufacturer#' || m, 'Brand#' || m || ${between('k', 4, 1, 5)},
        ${pick(typeSyllables[0]!, 'k', 5)} || ' ' || ${pick(typeSyllables[1]!, 'k', 6)} || ' ' || ${pick(typeSyllables[2]!, 'k', 7)},
        ${pick(sizes, 'k', 8)}::int, ${pick(containers[0]!, 'k', 9)} || ' ' || ${pick(containers[1]!, 'k', 10)},
        (90000 + (k / 10) % 20001 + 100 * (k % 1000)) / 100.0, 'part ' || k
      FROM generate_series(1, ${PARTS}) k CROSS JOIN LATERAL (SELECT ${between('k', 3, 1, 5)} AS m) mm;
    INSERT INTO supplier SELECT k, 'Supplier#' || lpad(k::text, 9, '0'), 'address ' || k, ${between('k', 1, 0, 24)},
        (10 + ${between('k', 1, 0, 24)}) || '-' || lpad(${between('k', 2, 100, 999)}::text, 3, '0') || '-555-0100',
        ${between('k', 3, -99999, 999999)} / 100.0, ${pick(comments, 'k', 4)}
      FROM generate_series(1, ${SUPPLIERS}) k;
    INSERT INTO partsupp SELECT p, 1 + (p + j * (${SUPPLIERS} / 4 + (p - 1) / ${SUPPLIERS})) % ${SUPPLIERS},
        ${between('p * 4 + j', 1, 1, 9999)}, ${between('p * 4 + j', 2, 100, 100000)} / 100.0, 'ps ' || p || ' ' || j
      FROM generate_series(1, ${PARTS}) p CROSS JOIN generate_series(0, 3) j;
    INSERT INTO customer SELECT k, 'Customer#' || lpad(k::text, 9, '0'), 'address ' || k, n,
        (10 + n) || '-' || lpad(${between('k', 2, 100, 999)}::text, 3, '0') || '-555-0100',
        ${between('k', 3, -99999, 999999)} / 100.0, ${pick(segments, 'k', 4)}, 'customer ' || k
      FROM generate_series(1, ${CUSTOMERS}) k CROSS JOIN LATERAL (SELECT ${between('k', 1, 0, 24)} AS n) nn;`;
}

function facts(): string {
  // Customers whose key is a multiple of 3 place no orders (TPC-H clause 4.2.3), for Q13 and Q22.
  return `
    INSERT INTO orders SELECT k, c, 'O', 0, date '1992-01-01' + ${between('k', 2, 0, 2404)},
        ${pick(priorities, 'k', 3)}, 'Clerk#' || lpad(${between('k', 4, 1, 10)}::text, 9, '0'), 0,
        ${pick(comments, 'k', 5)}
      FROM generate_series(1, ${ORDERS}) k
      CROSS JOIN LATERAL (SELECT ${between('k', 1, 1, CUSTOMERS)} AS c0) cc
      CROSS JOIN LATERAL (SELECT CASE WHEN c0 % 3 = 0 THEN c0 - 1 ELSE c0 END AS c) c1;
    INSERT INTO lineitem
    SELECT o_orderkey, partkey, (SELECT ps_suppkey FROM partsupp WHERE ps_partkey = partkey ORDER BY ps_suppkey
                                   OFFSET ${between('lk', 2, 0, 3)} LIMIT 1),
           n, quantity, quantity * p_retailprice, ${between('lk', 3, 0, 10)} / 100.0, ${between('lk', 4, 0, 8)} / 100.0,
           CASE WHEN receipt <= date '1995-06-17' THEN ${pick(['R', 'A'], 'lk', 5)} ELSE 'N' END,
           CASE WHEN ship > date '1995-06-17' THEN 'O' ELSE 'F' END,
           ship, o_orderdate + ${between('lk', 6, 30, 90)}, receipt,
           ${pick(instructions, 'lk', 7)}, ${pick(modes, 'lk', 8)}, 'line ' || lk
      FROM orders
      CROSS JOIN LATERAL generate_series(1, CASE WHEN o_orderkey % 97 = 0 THEN 7 ELSE ${between('o_orderkey', 10, 1, 7)} END) AS n
      CROSS JOIN LATERAL (SELECT o_orderkey * 8 + n AS lk) AS line_key
      CROSS JOIN LATERAL (SELECT ${between('lk', 1, 1, PARTS)} AS partkey,
                                 CASE WHEN o_orderkey % 97 = 0 THEN ${between('lk', 9, 45, 50)} ELSE ${between('lk', 9, 1, 50)} END AS quantity,
                                 o_orderdate + ${between('lk', 11, 1, 121)} AS ship) AS l
      CROSS JOIN LATERAL (SELECT ship + ${between('lk', 12, 1, 30)} AS receipt) AS r
      JOIN part ON p_partkey = partkey;
    UPDATE orders SET o_totalprice = t.total, o_orderstatus = t.status
      FROM (SELECT l_orderkey, sum(l_extendedprice * (1 + l_tax) * (1 - l_discount))::decimal(15,2) AS total,
                   CASE WHEN bool_and(l_linestatus = 'F') THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS status
              FROM lineitem GROUP BY l_orderkey) t
     WHERE o_orderkey = t.l_orderkey;`;
}

export function tpchSql(): string {
  return ddl + dimensions() + facts();
}
