/**
 * An application's schema as dashboards query it: serial keys, bare `numeric`,
 * numeric(12,2), an enum, jsonb, text[], int[][] (two dimensions), timestamptz, char(n), nullable columns,
 * with deterministic rows (each column NULL on its own modulus), and the queries
 * such a dashboard runs.
 */

export const appSchemaSql = `
  CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'refunded');
  CREATE TABLE customers (
    id serial PRIMARY KEY, name text NOT NULL, email varchar(120), country char(2), tier char(8),
    created_at timestamptz NOT NULL, credit numeric, tags text[], profile jsonb
  );
  CREATE TABLE orders (
    id serial PRIMARY KEY, customer_id int, status order_status NOT NULL, total numeric(12,2) NOT NULL,
    discount numeric(12,2), placed_at timestamptz NOT NULL, shipped_at timestamptz, note text,
    items jsonb, coupon char(6), delivery_windows int[][]
  );
  CREATE TABLE order_items (
    id bigserial PRIMARY KEY, order_id int NOT NULL, sku varchar(20), qty int, unit_price numeric(12,2),
    weight_kg numeric
  );
  INSERT INTO customers (name, email, country, tier, created_at, credit, tags, profile)
  SELECT (ARRAY['Ann', 'Bob', 'Chandra', 'Dana', 'Émile', 'Fan'])[1 + i % 6] || ' ' || i,
         CASE WHEN i % 7 = 0 THEN NULL ELSE 'user' || i || '@example.com' END,
         CASE WHEN i % 9 = 0 THEN NULL ELSE (ARRAY['US', 'DE', 'FR', 'JP', 'BR'])[1 + i % 5] END,
         CASE WHEN i % 4 = 0 THEN 'gold' WHEN i % 4 = 1 THEN 'silver' WHEN i % 4 = 2 THEN 'bronze' END,
         timestamptz '2022-01-01 00:00:00+00' + i * interval '3 days 5 hours 7 minutes',
         CASE WHEN i % 5 = 0 THEN NULL ELSE round((i * 37.123) % 900, i % 4) END,
         CASE WHEN i % 6 = 0 THEN NULL WHEN i % 3 = 0 THEN ARRAY['vip', 'early'] ELSE ARRAY['t' || (i % 4)] END,
         CASE WHEN i % 8 = 0 THEN NULL ELSE jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + i % 3], 'seats', i % 12) END
    FROM generate_series(1, 60) i;
  INSERT INTO orders (customer_id, status, total, discount, placed_at, shipped_at, note, items, coupon, delivery_windows)
  SELECT CASE WHEN i % 23 = 0 THEN NULL ELSE 1 + (i * 7) % 60 END,
         (ARRAY['pending', 'paid', 'shipped', 'cancelled', 'refunded', 'paid', 'shipped'])[1 + i % 7]::order_status,
         round(((i * 7919) % 150000) / 100.0 + 5, 2),
         CASE WHEN i % 3 = 0 THEN round((i % 50) / 4.0, 2) END,
         timestamptz '2024-01-01 08:00:00+00' + i * interval '7 hours 13 minutes',
         CASE WHEN i % 4 = 0 THEN NULL ELSE timestamptz '2024-01-01 08:00:00+00' + i * interval '7 hours 13 minutes' + (i % 9) * interval '1 day 3 hours' END,
         CASE WHEN i % 5 = 0 THEN 'gift wrap ' || i END,
         CASE WHEN i % 6 = 0 THEN NULL ELSE jsonb_build_array(jsonb_build_object('sku', 'S' || (i % 13), 'qty', 1 + i % 3)) END,
         CASE WHEN i % 10 = 0 THEN 'SAVE10' WHEN i % 10 = 1 THEN 'VIP' END,
         -- Delivery windows as {start hour, end hour} pairs: one or two per order, none, or NULL.
         CASE WHEN i % 11 = 0 THEN NULL WHEN i % 11 = 1 THEN '{}'
              WHEN i % 3 = 0 THEN ARRAY[ARRAY[8 + i % 4, 12]]
              ELSE ARRAY[ARRAY[8 + i % 4, 12], ARRAY[14, 17 + i % 3]] END
    FROM generate_series(1, 400) i;
  INSERT INTO order_items (order_id, sku, qty, unit_price, weight_kg)
  SELECT 1 + i % 400, 'SKU-' || (i % 17), 1 + i % 5, round(((i * 31) % 9000) / 100.0 + 1, 2),
         CASE WHEN i % 11 = 0 THEN NULL ELSE round((i % 40) / 3.0, 3) END
    FROM generate_series(1, 1200) i;`;

export const appSchemaTables = ['customers', 'orders', 'order_items'] as const;

/** What a dashboard asks; untyped literals are typed by their context, as PostgreSQL does. */
export const appSchemaQueries: Readonly<Record<string, string>> = {
  status_counts: 'SELECT status, count(*) FROM orders GROUP BY status ORDER BY status',
  status_revenue:
    'SELECT status, count(*), sum(total), min(total), max(total) FROM orders GROUP BY status ORDER BY status',
  status_avg: 'SELECT status, avg(total) FROM orders GROUP BY status ORDER BY status',
  orders_per_day:
    "SELECT date_trunc('day', placed_at) AS day, count(*) FROM orders GROUP BY 1 ORDER BY 1 LIMIT 20",
  revenue_per_month:
    "SELECT date_trunc('month', placed_at) AS month, sum(total) FROM orders WHERE status <> 'cancelled' GROUP BY 1 ORDER BY 1",
  orders_per_week:
    "SELECT date_trunc('week', placed_at)::date AS week, count(*) FROM orders GROUP BY 1 ORDER BY 1",
  top_customers:
    'SELECT c.name, sum(o.total) AS revenue FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name ORDER BY revenue DESC, c.name LIMIT 10',
  big_orders: "SELECT id, total FROM orders WHERE total > '1000' ORDER BY total DESC, id LIMIT 5",
  february: "SELECT count(*) FROM orders WHERE placed_at >= '2024-02-01' AND placed_at < '2024-03-01'",
  buyers_per_country:
    'SELECT c.country, count(DISTINCT o.customer_id) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.country ORDER BY c.country NULLS FIRST',
  size_buckets:
    "SELECT id, CASE WHEN total >= 1000 THEN 'large' WHEN total >= 100 THEN 'medium' ELSE 'small' END AS size FROM orders ORDER BY id LIMIT 25",
  discount_or_zero: 'SELECT id, COALESCE(discount, 0) AS discount FROM orders ORDER BY id LIMIT 25',
  repeat_buyers:
    'SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING count(*) > 7 ORDER BY 2 DESC, 1 NULLS FIRST',
  rank_by_total:
    'SELECT id, total, rank() OVER (ORDER BY total DESC) AS r FROM orders ORDER BY r, id LIMIT 10',
  running_total:
    'SELECT customer_id, id, sum(total) OVER (PARTITION BY customer_id ORDER BY placed_at) AS running FROM orders WHERE customer_id <= 5 ORDER BY customer_id, placed_at, id',
  lag_lead:
    'SELECT id, lag(total) OVER (ORDER BY id), lead(total, 2) OVER (ORDER BY id) FROM orders ORDER BY id LIMIT 10',
  discounted_per_status:
    'SELECT status, count(*) FILTER (WHERE discount IS NOT NULL) AS discounted FROM orders GROUP BY status ORDER BY status',
  null_counts:
    'SELECT count(*), count(shipped_at), count(note), count(discount), count(customer_id) FROM orders',
  tiers: 'SELECT tier, count(*) FROM customers GROUP BY tier ORDER BY tier NULLS LAST',
  countries_in: "SELECT id, name FROM customers WHERE country IN ('US', 'DE') ORDER BY id",
  tier_literal: "SELECT id, tier FROM customers WHERE tier = 'gold' ORDER BY id",
  vip_tag: "SELECT id FROM customers WHERE 'vip' = ANY (tags) ORDER BY id",
  tags_listed: 'SELECT id, tags FROM customers WHERE tags IS NOT NULL ORDER BY id LIMIT 10',
  profiles: 'SELECT id, profile FROM customers WHERE profile IS NOT NULL ORDER BY id LIMIT 10',
  profile_plan: "SELECT id, profile ->> 'plan' AS plan FROM customers ORDER BY id LIMIT 10",
  status_span: 'SELECT status, min(placed_at), max(placed_at) FROM orders GROUP BY status ORDER BY status',
  weekday: 'SELECT extract(dow FROM placed_at) AS dow, count(*) FROM orders GROUP BY 1 ORDER BY 1',
  refunded_emails:
    "SELECT o.id, c.email FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.status = 'refunded' ORDER BY o.id",
  sku_revenue:
    'SELECT sku, sum(qty) AS units, sum(qty * unit_price) AS revenue FROM order_items GROUP BY sku ORDER BY revenue DESC, sku LIMIT 10',
  order_weight:
    'SELECT order_id, count(*), sum(weight_kg) FROM order_items GROUP BY order_id ORDER BY order_id LIMIT 10',
  lead_time:
    'SELECT id, shipped_at - placed_at AS lead_time FROM orders WHERE shipped_at IS NOT NULL ORDER BY id LIMIT 10',
  paid_mid_range:
    "SELECT id FROM orders WHERE status IN ('paid', 'shipped') AND total BETWEEN '50' AND 200 ORDER BY id",
  coupon_literal: "SELECT id, coupon FROM orders WHERE coupon = 'SAVE10' ORDER BY id LIMIT 10",
  coupon_groups: 'SELECT coupon, count(*) FROM orders GROUP BY coupon ORDER BY coupon NULLS FIRST',
  windows_per_order:
    'SELECT array_length(delivery_windows, 1) AS windows, array_dims(delivery_windows) AS dims, count(*) FROM orders GROUP BY 1, 2 ORDER BY 1, 2',
  early_evening_deliveries:
    'SELECT status, count(*) FROM orders WHERE delivery_windows[1][1] <= 9 AND 19 = ANY (delivery_windows) GROUP BY status ORDER BY status',
  gross: 'SELECT id, round(total * 1.19, 2) AS gross FROM orders ORDER BY id LIMIT 10',
  recent_customers:
    "SELECT count(*) FROM customers WHERE created_at > '2022-06-01'::timestamptz - interval '30 days'",
  country_status:
    'SELECT c.country, o.status, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2',
  names: 'SELECT id, upper(name), length(email), lower(country) FROM customers ORDER BY id LIMIT 10',
  name_search: "SELECT id, name FROM customers WHERE name ILIKE '%an%' ORDER BY id",
  month_label: "SELECT to_char(placed_at, 'YYYY-MM') AS ym, count(*) FROM orders GROUP BY 1 ORDER BY 1",
  spread:
    'SELECT customer_id, max(total) - min(total) AS spread FROM orders GROUP BY customer_id ORDER BY customer_id LIMIT 10',
  average_ticket:
    'SELECT status, sum(total) / count(*) AS ticket FROM orders GROUP BY status ORDER BY status',
  net_totals:
    'SELECT id, total, discount, total - COALESCE(discount, 0) AS net FROM orders WHERE discount > 0 ORDER BY net DESC, id LIMIT 10',
  credit_compare: "SELECT id, credit FROM customers WHERE credit > '100' ORDER BY credit, id",
  quiet_statuses:
    'SELECT status, count(*) FROM orders WHERE note IS NULL GROUP BY status HAVING sum(total) > 1000 ORDER BY status',
  first_customer: 'SELECT id FROM orders WHERE customer_id = (SELECT min(id) FROM customers) ORDER BY id',
  distinct_countries: 'SELECT DISTINCT country FROM customers ORDER BY 1 NULLS FIRST',
  order_items_json: 'SELECT id, items FROM orders WHERE id < 6 ORDER BY id',
  order_day: 'SELECT placed_at::date AS day, count(*) FROM orders GROUP BY 1 ORDER BY 1 LIMIT 10',
  status_share:
    'SELECT status, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct FROM orders GROUP BY status ORDER BY status',
};
