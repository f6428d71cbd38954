/**
 * The status page on the metrics port, opened in headless Chromium (Debian's
 * chromium, driven by puppeteer-core; the page and the browser talk over
 * loopback only): the registered tables with the figures analytica.status
 * reports, checked in the DOM and in a screenshot taken here; rows inserted
 * on the source showing up without a reload; running statements (with
 * Parse's placeholders, never the bound values); recent errors; a hostile
 * table name shown as text. Then the page over plain HTTP (headers, the DNS
 * rebinding guard, 404s). Its parts and the package: status-page-parts.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';
import { chromiumPath, needs } from './helpers/optional-clients.js';
import { decodePng, inkStatistics } from './helpers/png.js';
import { extendedQuery, queryMessage, WireClient } from './helpers/wire.js';

const hostileName = '<img src=x onerror=alert(1)>';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let base: string;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pga-status-page-'));
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL);
    INSERT INTO events SELECT g, 'kind ' || (g % 7) FROM generate_series(1, 5000) g;
    CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric NOT NULL);
    INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 1234) g;
    CREATE TABLE "${hostileName}" (id bigint PRIMARY KEY);
    INSERT INTO "${hostileName}" VALUES (1), (2), (3);`);
  daemon = await startDaemon(cluster, ['--metrics-port', '0']);
  heap = await rawClient(cluster.clientConfig());
  for (const table of ['events', 'orders', `"${hostileName}"`]) {
    await heap.query('SELECT analytica.register_table($1)', [table]);
    await heap.query('SELECT analytica.wait_for_sync($1)', [table]);
  }
  base = `http://127.0.0.1:${daemon.metricsServer!.port}`;
});

after(async () => {
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** table_name → rows, as analytica.status reports them. */
async function statusRows(): Promise<Map<string, number>> {
  const { rows } = await heap.query<{ table_name: string; rows: string }>(
    'SELECT table_name, rows FROM analytica.status ORDER BY table_name',
  );
  return new Map(rows.map((row) => [row.table_name, Number(row.rows)]));
}

/** The Tables section as the browser shows it: one text per cell, per row. */
async function shownTables(page: Page): Promise<string[][]> {
  return await page.$$eval('#tables tbody tr', (rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );
}

function shownRows(tables: string[][], table: string): number | undefined {
  const row = tables.find((cells) => cells[1] === table);
  return row === undefined ? undefined : Number(row[4]!.replaceAll(',', ''));
}

/** A logged-in raw connection that stops reading: a statement with a long result stays running. */
async function stalledStatement(message: Buffer): Promise<WireClient> {
  const wire = await WireClient.connect(daemon.port);
  await wire.login(cluster.user, cluster.password, 'postgres');
  wire.socket.pause();
  await wire.write(message);
  return wire;
}

describe('status page in headless Chromium', { skip: needs('chromium') }, () => {
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  before(async () => {
    browser = await puppeteer.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--disable-dev-shm-usage',
        // Names resolve to nothing: the browser can reach the daemon's loopback address only.
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      ],
    });
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
    await page.goto(`${base}/`, { waitUntil: 'load' });
  });

  after(async () => {
    await browser?.close();
  });

  test('shows every registered table with the rows analytica.status reports, in a screenshot too', async () => {
    const expected = await statusRows();
    assert.equal(expected.size, 3);
    const tables = await waitFor(async () => {
      const shown = await shownTables(page);
      return [...expected].every(([table, rows]) => shownRows(shown, table) === rows) ? shown : undefined;
    }, 'the page to show every table with its rows');
    assert.equal(shownRows(tables, 'public.events'), 5000);
    assert.equal(shownRows(tables, 'public.orders'), 1234);
    for (const cells of tables) {
      assert.equal(cells[0], 'postgres');
      assert.equal(cells[2], 'synced');
      assert.match(cells[5]!, /^\d+(\.\d)? (B|kB|MB)$/, `size of ${cells[1]}`);
      assert.match(cells[7]!, /^\d+\.\d s$/, `lag of ${cells[1]}`);
    }

    const full = await page.screenshot({ path: path.join(scratch, 'status-page.png'), fullPage: true });
    const png = decodePng(Buffer.from(full));
    assert.equal(png.width, 1280);
    assert.ok(png.height >= 900, `the page is ${png.height} px high`);
    assert.deepEqual(await readFile(path.join(scratch, 'status-page.png')), Buffer.from(full));

    const body = (await page.$('#tables tbody'))!;
    const region = await body.screenshot({ path: path.join(scratch, 'table-rows.png') });
    const rowsPng = decodePng(Buffer.from(region));
    const box = (await body.boundingBox())!;
    // Chromium rounds the element's fractional box outwards to whole pixels.
    assert.ok(Math.abs(rowsPng.width - box.width) <= 1, `width ${rowsPng.width} for a ${box.width} px box`);
    assert.ok(
      Math.abs(rowsPng.height - box.height) <= 1,
      `height ${rowsPng.height} for a ${box.height} px box`,
    );
    assert.ok(rowsPng.height >= 3 * 20, `three rows are ${rowsPng.height} px high`);
    const ink = inkStatistics(rowsPng);
    assert.ok(
      ink.inkShare > 0.03,
      `${(ink.inkShare * 100).toFixed(1)}% of the rows region is not background`,
    );
    assert.ok(ink.darkShare > 0.01, `${(ink.darkShare * 100).toFixed(1)}% of the rows region is dark text`);
    assert.ok(ink.colours > 20, `${ink.colours} colours in the rows region`);
    // The same region with its rows hidden (the poll re-renders rows, not the body's style) is blank.
    await page.$eval('#tables tbody', (element) => {
      (element as unknown as { style: { visibility: string } }).style.visibility = 'hidden';
    });
    const blank = inkStatistics(
      decodePng(Buffer.from(await body.screenshot({ path: path.join(scratch, 'table-rows-hidden.png') }))),
    );
    await page.$eval('#tables tbody', (element) => {
      (element as unknown as { style: { visibility: string } }).style.visibility = '';
    });
    // Only the table's light grid lines are left.
    assert.equal(blank.darkShare, 0, 'hidden rows leave no text');
    assert.ok(blank.colours < ink.colours / 4, `${blank.colours} colours without the rows`);
  });

  test('new rows on the source show without a reload', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    await heap.query(`INSERT INTO events SELECT g, 'late' FROM generate_series(5001, 5250) g`);
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    assert.equal((await statusRows()).get('public.events'), 5250);
    await waitFor(
      async () => shownRows(await shownTables(page), 'public.events') === 5250,
      'the page to show 5250 rows',
      15_000,
    );
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce),
      true,
    );
  });

  test('lists running statements with Parse text, never bound values, and drops them when done', async () => {
    const simple = await stalledStatement(
      queryMessage(`SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 5000000) i`),
    );
    const extended = await stalledStatement(
      extendedQuery(`SELECT i, $1::text AS secret FROM generate_series(1, 5000000) i`, ['hunter2-secret']),
    );
    try {
      const shown = await waitFor(async () => {
        const rows = await page.$$eval('#queries tbody tr', (trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
        return rows.length === 2 ? rows : undefined;
      }, 'both statements to be listed as running');
      const statements = shown.map((cells) => cells[5]);
      assert.deepEqual(statements.sort(), [
        `SELECT i, $1::text AS secret FROM generate_series(1, 5000000) i`,
        `SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 5000000) i`,
      ]);
      for (const cells of shown) {
        assert.match(cells[0]!, /^-?\d+$/, 'pid');
        assert.deepEqual(cells.slice(1, 4), [cluster.user, 'postgres', '127.0.0.1']);
        assert.match(cells[4]!, /^\d+\.\d s$/, 'duration');
      }
      const text = await page.$eval('body', (body) => body.textContent ?? '');
      assert.ok(!text.includes('hunter2-secret'), 'a bound parameter value is never shown');
    } finally {
      simple.destroy();
      extended.destroy();
    }
    await waitFor(
      async () => await page.$eval('#no-queries', (note) => !(note as unknown as { hidden: boolean }).hidden),
      'the statements to leave the list',
      15_000,
    );
  });

  test('lists a failed statement under recent errors with its SQLSTATE', async () => {
    const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      await assert.rejects(columnar.query('SELECT no_such_column FROM events'), { code: '42703' });
    } finally {
      await columnar.end();
    }
    const row = await waitFor(async () => {
      const rows = await page.$$eval('#errors tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      return rows.find((cells) => cells[2] === '42703');
    }, 'the error to be listed');
    assert.match(row[0]!, /^\d\d:\d\d:\d\d$/);
    assert.match(row[1]!, new RegExp(`^${cluster.user}@postgres from 127\\.0\\.0\\.1 \\(pid -?\\d+\\)$`));
    assert.equal(row[3], 'column "no_such_column" does not exist');
  });

  test("lists a table's last_error from analytica.status once, and shows it in the table's row", async () => {
    // As the catalog records a worker's error (catalog.ts), without stopping the table.
    await heap.query(
      `UPDATE analytica.tables SET last_error = 'could not write segment: No space left on device',
              last_error_at = now() WHERE relid = 'orders'::regclass`,
    );
    const listed = await waitFor(async () => {
      const rows = await page.$$eval('#errors tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      const found = rows.filter((cells) => cells[1] === 'table postgres.public.orders');
      return found.length > 0 ? found : undefined;
    }, 'the table error to be listed');
    assert.deepEqual(
      listed.map((cells) => cells.slice(2)),
      [['', 'could not write segment: No space left on device']],
    );
    // Later polls read the same last_error: it stays listed once.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const again = await page.$$eval('#errors tbody tr td:nth-child(2)', (tds) =>
      tds.filter((td) => td.textContent === 'table postgres.public.orders'),
    );
    assert.equal(again.length, 1);
    const orders = (await shownTables(page)).find((cells) => cells[1] === 'public.orders')!;
    assert.match(orders[9]!, /^\d\d:\d\d:\d\d could not write segment: No space left on device$/);
  });

  test('a table named like markup is shown as text and runs nothing', async () => {
    const name = [...(await statusRows()).keys()].find((table) => table.includes('<img'));
    assert.ok(name, 'analytica.status lists the hostile table');
    const cell = await page.$$eval('#tables tbody tr td:nth-child(2)', (tds) =>
      tds.map((td) => ({ text: td.textContent, elements: td.children.length })),
    );
    assert.deepEqual(
      cell.find((c) => c.text === name),
      { text: name, elements: 0 },
    );
    assert.equal(await page.$$eval('img', (images) => images.length), 0);
    const chartTitles = await page.$$eval('#charts h3', (titles) => titles.map((t) => t.textContent));
    assert.ok(chartTitles.includes(`lag of postgres.${name}`), 'the chart title is text too');
    assert.deepEqual(dialogs, []);
  });

  test('draws the lag and throughput of the last hour as SVG', async () => {
    // The first sample is taken at start, before any table was registered; the next one has them.
    await waitFor(
      async () =>
        await page.$$eval('#charts figure', (figures) =>
          figures.every((figure) => figure.querySelector('polyline.series') !== null),
        ),
      'every chart to have a line',
      25_000,
    );
    const titles = await page.$$eval('#charts h3', (h) => h.map((t) => t.textContent ?? ''));
    assert.ok(titles.includes('lag of postgres.public.events'));
    assert.ok(titles.includes('changes/s applied, postgres'));
    assert.equal(titles.length, 4, 'three tables and one database');
  });
});

/** An HTTP GET with a chosen Host header (fetch cannot set one). */
function getWithHost(pathname: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${pathname}`, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status page over HTTP', () => {
  test('serves the page, its files and /status.json with a strict content policy; other paths stay 404', async () => {
    for (const [pathname, type] of [
      ['/', 'text/html; charset=utf-8'],
      ['/status.css', 'text/css; charset=utf-8'],
      ['/status.js', 'text/javascript; charset=utf-8'],
      ['/status.json', 'application/json; charset=utf-8'],
    ] as const) {
      const response = await fetch(`${base}${pathname}`);
      assert.equal(response.status, 200, pathname);
      assert.equal(response.headers.get('content-type'), type, pathname);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/, pathname);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    }
    const html = await (await fetch(`${base}/`)).text();
    assert.match(html, /<script type="module" src="\/status\.js"><\/script>/);
    assert.doesNotMatch(
      html,
      /<script>|https?:\/\/(?!www\.w3\.org)/,
      'no inline script, no external resource',
    );
    for (const missing of ['/status', '/index.html', '/status.json/x'])
      assert.equal((await fetch(`${base}${missing}`)).status, 404, missing);
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
  });

  test('/status.json has the figures of analytica.status and only newer history when asked', async () => {
    type Document = {
      tables: { table: string; rows: number; state: string; mode: string }[];
      history: { intervalMs: number; samples: { at: number }[] };
    };
    const expected = await statusRows();
    // Like /metrics, the document may use a reading of analytica.status up to a second old.
    const document = await waitFor(async () => {
      const got = (await (await fetch(`${base}/status.json`)).json()) as Document;
      return got.tables.length === expected.size ? got : undefined;
    }, 'the registered tables in /status.json');
    assert.deepEqual(new Map(document.tables.map((t) => [t.table, t.rows])), expected);
    assert.equal(document.history.intervalMs, 10_000);
    assert.ok(document.history.samples.length >= 1);
    const newest = document.history.samples.at(-1)!.at;
    const since = (await (await fetch(`${base}/status.json?since=${newest}`)).json()) as Document;
    assert.deepEqual(since.history.samples, []);
  });

  test('a refused login is listed under recent errors, with the role and database it named', async () => {
    const wrong = new pg.Client({
      ...cluster.clientConfig(),
      port: daemon.port,
      password: 'not-the-password',
    });
    await assert.rejects(wrong.connect(), (error: pg.DatabaseError) => error.code === '28P01');
    await wrong.end().catch(() => undefined);
    type Document = {
      errors: { source: { kind: string; name: string }; sqlState: string; message: string }[];
    };
    const listed = await waitFor(async () => {
      const got = (await (await fetch(`${base}/status.json`)).json()) as Document;
      return got.errors.find((e) => e.sqlState === '28P01');
    }, 'the refused login in /status.json');
    assert.equal(listed.source.kind, 'session');
    assert.match(listed.source.name, new RegExp(`^${cluster.user}@postgres from .* \\(login\\)$`));
    assert.match(listed.message, /password authentication failed/);
  });

  test('a request for another DNS name is refused (DNS rebinding), addresses and localhost are served', async () => {
    const port = daemon.metricsServer!.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      assert.equal((await getWithHost('/status.json', host)).status, 200, host);
    const refused = await getWithHost('/status.json', `attacker.example:${port}`);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /open it by address, e\.g\. http:\/\/127\.0\.0\.1:<port>\//);
    assert.equal((await getWithHost('/', 'attacker.example')).status, 403);
    // Prometheus scrapes by whatever name it was given.
    assert.equal((await getWithHost('/metrics', `attacker.example:${port}`)).status, 200);
  });
});
