/**
 * The web-analytics events table, generated inside PostgreSQL. Every value is
 * a function of the row's id through `hashint8extended(id, seed)` (one seed
 * per column), never random(), so the same --rows gives the same table on any
 * machine and every run.
 *
 * Shape: ts increases with id over 30 days from 2024-03-01 UTC; ~rows/20 users;
 * 50 countries with a quadratic skew (the first ones dominate); 4 devices
 * weighted 50/38/10/2 %; ~1000 urls in 5 sections with a cubic skew; a referrer
 * on 60 % of the rows; revenue on ~3 % (the rest NULL).
 */

const countries = [
  'US',
  'DE',
  'GB',
  'FR',
  'IN',
  'BR',
  'JP',
  'CA',
  'NL',
  'ES',
  'IT',
  'PL',
  'SE',
  'AU',
  'MX',
  'KR',
  'TR',
  'ID',
  'CH',
  'BE',
  'AT',
  'NO',
  'DK',
  'FI',
  'IE',
  'PT',
  'CZ',
  'RO',
  'HU',
  'GR',
  'IL',
  'AR',
  'CL',
  'CO',
  'ZA',
  'NG',
  'EG',
  'SA',
  'AE',
  'SG',
  'MY',
  'TH',
  'VN',
  'PH',
  'NZ',
  'UA',
  'PK',
  'BD',
  'KE',
  'MA',
];

const referrers = [
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://news.ycombinator.com/',
  'https://www.reddit.com/r/programming/',
  'https://twitter.com/',
  'https://www.linkedin.com/feed/',
  'https://github.com/',
  'https://www.facebook.com/',
  'https://www.google.de/',
  'https://t.co/abc123',
  'https://newsletter.example.org/weekly',
];

const sections = ['/products/', '/blog/', '/docs/', '/checkout/', '/account/'];

function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]`;
}

export const eventsTables = ['events'] as const;

/** `table` names the table to create (default `events`), for benchmarks that need two sizes side by side. */
export function eventsSql(rows: number, table = 'events'): string {
  const users = Math.max(1000, Math.round(rows / 20));
  // u(seed): a uniform value in [0, 1) derived from the id.
  const u = (seed: number) => `(abs(hashint8extended(g, ${seed}) % 1000000) / 1000000.0)`;
  return `
    CREATE TABLE ${table} (
      id bigint PRIMARY KEY,
      ts timestamptz NOT NULL,
      user_id integer NOT NULL,
      country text NOT NULL,
      device text NOT NULL,
      url text NOT NULL,
      referrer text,
      duration_ms integer NOT NULL,
      revenue numeric(12,2));
    INSERT INTO ${table}
    SELECT g,
           '2024-03-01 00:00:00+00'::timestamptz + (g - 1) * (2592000.0 / ${rows}) * interval '1 second',
           1 + abs(hashint8extended(g, 1) % ${users})::int,
           (${textArray(countries)})[1 + floor(${countries.length} * power(${u(2)}, 2))::int],
           CASE WHEN ${u(3)} < 0.50 THEN 'desktop' WHEN ${u(3)} < 0.88 THEN 'mobile'
                WHEN ${u(3)} < 0.98 THEN 'tablet' ELSE 'tv' END,
           (${textArray(sections)})[1 + floor(1000 * power(${u(4)}, 3))::int % ${sections.length}]
             || floor(1000 * power(${u(4)}, 3))::int,
           CASE WHEN ${u(5)} >= 0.4 THEN (${textArray(referrers)})[1 + floor(${referrers.length} * ${u(6)})::int] END,
           abs(hashint8extended(g, 7) % 30000)::int,
           CASE WHEN ${u(8)} < 0.03 THEN (abs(hashint8extended(g, 9) % 50000) / 100.0)::numeric(12,2) END
      FROM generate_series(1, ${rows}) AS g;`;
}
