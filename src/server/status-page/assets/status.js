// The status page's script: polls /status.json every 2 s and redraws the page. Every value
// goes into the page as text (textContent, SVG text nodes), never as markup: table names,
// statements and error messages are user input. No framework, no build step.

const pollMs = 2000;
const hourMs = 3600 * 1000;
const numberFormat = new Intl.NumberFormat('en-US');

/** History samples, oldest first: each poll asks only for those after the newest held. */
let samples = [];

async function poll() {
  try {
    const since = samples.length === 0 ? 0 : samples[samples.length - 1].at;
    const response = await fetch(`/status.json?since=${since}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
    const status = await response.json();
    samples = samples.concat(status.history.samples).filter((s) => s.at > status.now - hourMs);
    render(status);
    showConnection(`updated ${clockTime(status.now)}, every ${pollMs / 1000} s`, false);
  } catch (error) {
    showConnection(`cannot read the daemon's status (${error.message}); retrying`, true);
  } finally {
    setTimeout(poll, pollMs);
  }
}

function render(status) {
  renderTables(status.tables);
  document.getElementById('interval').textContent = String(status.history.intervalMs / 1000);
  renderCharts(status);
  renderQueries(status.queries, status.now);
  renderErrors(status.errors);
}

function renderTables(tables) {
  fillTable('tables', 'no-tables', tables, (t) => {
    const row = rowOf([
      cell(t.database),
      cell(t.table),
      cell(stateText(t), `state-${t.state}`),
      cell(t.mode),
      cell(count(t.rows), 'number'),
      cell(bytes(t.bytes), 'number'),
      cell(t.segments === null ? '' : `${count(t.segments)} + ${count(t.deleteSegments)} del`, 'number'),
      cell(t.lagSeconds === null ? '' : `${t.lagSeconds.toFixed(1)} s`, 'number'),
      cell(bytes(t.lagBytes), 'number'),
      cell(t.lastError === null ? '' : `${clockTime(t.lastErrorAt)} ${t.lastError}`, 'error-text'),
      cell(t.recopyReason === null ? '' : `${clockTime(t.recopyAt)} ${t.recopyReason}`),
    ]);
    row.dataset.table = `${t.database}.${t.table}`;
    return row;
  });
}

function stateText(t) {
  if (t.copyRowsTotal === null || t.copyRowsDone === null) return t.state;
  const percent = t.copyRowsTotal > 0 ? Math.min(100, (100 * t.copyRowsDone) / t.copyRowsTotal) : 0;
  return `${t.state} ${percent.toFixed(0)}%`;
}

function renderQueries(queries, now) {
  fillTable('queries', 'no-queries', queries, (q) =>
    rowOf([
      cell(String(q.pid), 'number'),
      cell(q.role),
      cell(q.database),
      cell(q.clientAddress),
      cell(`${((now - q.queryStart) / 1000).toFixed(1)} s`, 'number'),
      cell(q.truncated ? `${q.query}…` : q.query, 'statement'),
    ]),
  );
}

function renderErrors(errors) {
  fillTable('errors', 'no-errors', errors, (e) =>
    rowOf([
      cell(clockTime(e.at)),
      cell(e.source.kind === 'table' ? `table ${e.source.database}.${e.source.name}` : e.source.name),
      cell(e.sqlState),
      cell(e.message, 'error-text'),
    ]),
  );
}

/** One lag chart per table and one throughput chart per database, over the last hour. */
function renderCharts(status) {
  const charts = [];
  for (const t of status.tables) {
    const points = samples.map((s) => ({
      at: s.at,
      value: s.tables.find((x) => x.database === t.database && x.table === t.table)?.lagSeconds ?? null,
    }));
    charts.push(chart(`lag of ${t.database}.${t.table}`, points, status.now, (v) => `${v.toFixed(1)} s`));
  }
  const databases = [...new Set(samples.flatMap((s) => s.applied.map((a) => a.database)))];
  for (const database of databases) {
    const points = samples.map((s) => ({
      at: s.at,
      value: s.applied.find((a) => a.database === database)?.perSecond ?? null,
    }));
    charts.push(chart(`changes/s applied, ${database}`, points, status.now, (v) => `${count(v)}/s`));
  }
  document.getElementById('charts').replaceChildren(...charts);
}

const svgNs = 'http://www.w3.org/2000/svg';
const width = 320;
const height = 90;
const plotTop = 12;
const plotBottom = 78;

/** An inline SVG line chart of `points` ({at, value}, value null: no sample) from an hour ago to now. */
function chart(title, points, now, format) {
  const box = document.createElement('figure');
  box.className = 'chart';
  const heading = document.createElement('h3');
  heading.textContent = title;
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  svg.setAttribute('aria-label', title);
  const max = Math.max(1, ...points.map((p) => p.value ?? 0));
  // A little room on the right, so that the newest sample's dot is whole.
  const right = width - 4;
  const x = (at) => right - ((now - at) / hourMs) * right;
  const y = (value) => plotBottom - (value / max) * (plotBottom - plotTop);
  svg.append(svgElement('line', { class: 'axis', x1: 0, x2: width, y1: plotBottom, y2: plotBottom }));
  for (const run of runs(points)) {
    const coordinates = run.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`);
    svg.append(svgElement('polyline', { class: 'series', points: coordinates.join(' ') }));
    // A dot on each run's newest sample: a run of one sample (a fresh daemon) still shows.
    const newest = run[run.length - 1];
    svg.append(svgElement('circle', { class: 'point', cx: x(newest.at), cy: y(newest.value), r: 2.5 }));
  }
  svg.append(svgText(`max ${format(max)}`, 2, 9), svgText('-60 min', 2, height - 2));
  svg.append(svgText('now', width - 20, height - 2));
  const last = points.length === 0 ? null : points[points.length - 1].value;
  svg.append(svgText(last === null ? 'no sample yet' : `now ${format(last)}`, width - 110, 9));
  box.append(heading, svg);
  return box;
}

/** The runs of consecutive points that have a value (a missing sample breaks the line). */
function runs(points) {
  const result = [];
  let current = [];
  for (const point of points) {
    if (point.value === null) {
      if (current.length > 0) result.push(current);
      current = [];
    } else current.push(point);
  }
  if (current.length > 0) result.push(current);
  return result;
}

function svgElement(tag, attributes) {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function svgText(text, x, y) {
  const element = svgElement('text', { class: 'label', x, y });
  element.textContent = text;
  return element;
}

/** Replaces the rows of table `id`, or shows its empty note when there are none. */
function fillTable(id, emptyId, items, toRow) {
  const table = document.getElementById(id);
  table.tBodies[0].replaceChildren(...items.map(toRow));
  table.hidden = items.length === 0;
  document.getElementById(emptyId).hidden = items.length > 0;
}

function rowOf(cells) {
  const row = document.createElement('tr');
  row.append(...cells);
  return row;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

function count(value) {
  return value === null || value === undefined ? '' : numberFormat.format(Math.round(value));
}

function bytes(value) {
  if (value === null || value === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}

function clockTime(ms) {
  return ms === null ? '' : new Date(ms).toLocaleTimeString('en-GB');
}

function showConnection(text, stale) {
  const element = document.getElementById('connection');
  element.textContent = text;
  element.classList.toggle('stale', stale);
}

poll();
