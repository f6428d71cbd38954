/** The report as Markdown: the query table first, then ingest, stream, storage and memory. */
import type { Backfill } from '../lib/registration.js';
import { median } from '../lib/stats.js';
import { targetLabels } from '../targets/query-target.js';
import type { BenchReport, QueryOutcome } from './bench-report.js';
import { bytes, geometricMean, mib, ms, rate, ratio } from './format.js';
import { comparedTargets, speedup } from './speedups.js';

export function markdownReport(report: BenchReport): string {
  return [
    header(report),
    queryTable(report),
    findings(report),
    fdwPlanSection(report),
    ingestSection(report),
    streamSection(report),
    storageSection(report),
    memorySection(report),
  ].join('\n');
}

function header(r: BenchReport): string {
  const o = r.options;
  return `# pg_analytica benchmark

${o.rows.toLocaleString('en-US')} events rows and ${o.lineitemRows.toLocaleString('en-US')} lineitem rows, generated in PostgreSQL; run ${r.startedAt}.
Machine: ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.postgres}; DuckDB threads ${r.machine.duckdbThreads} (the daemon and the ceiling alike).
PostgreSQL: ${['shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit'].map((k) => `${k} ${r.machine.postgresSettings[k] ?? 'default'}`).join(', ')}; every table and index loaded with pg_prewarm; primary-key indexes only (no index on ts or dates).
Times are the **median of ${o.repetitions} warm runs** in ms (one untimed warm-up before), measured side by side in one run; ×: PostgreSQL's time over the target's (higher is faster).
`;
}

function cell(outcome: QueryOutcome, target: (typeof comparedTargets)[number], report: BenchReport): string {
  if (report.unavailable[target]) return 'n/a¹';
  const check = outcome.checks[target];
  if (check === 'unsupported') return 'unsupported²';
  if (check === 'error') return 'error²';
  const time = outcome.timings[target]?.medianMs;
  if (time === undefined) return '–';
  if (check === 'wrong') return `${ms(time)} **WRONG**²`;
  const x = speedup(outcome, target);
  return x === undefined ? ms(time) : `${ms(time)} (${ratio(x)})`;
}

function queryTable(report: BenchReport): string {
  const lines = [
    '## Queries',
    '',
    `| query | rows | PostgreSQL heap | ${comparedTargets.map((t) => targetLabels[t]).join(' | ')} |`,
    `|---|--:|--:|${comparedTargets.map(() => '--:').join('|')}|`,
  ];
  for (const q of report.queries) {
    const base = q.timings.postgres ? ms(q.timings.postgres.medianMs) : 'error²';
    lines.push(
      `| ${q.set}/${q.name} | ${q.rows ?? '–'} | ${base} | ${comparedTargets.map((t) => cell(q, t, report)).join(' | ')} |`,
    );
  }
  const means = comparedTargets.map((t) => {
    const xs = report.queries.map((q) => speedup(q, t)).filter((x): x is number => x !== undefined);
    return xs.length > 0 ? `${ratio(geometricMean(xs))} (${xs.length} queries)` : '–';
  });
  lines.push(`| **geometric mean ×** | | | ${means.join(' | ')} |`, '');
  for (const [target, reason] of Object.entries(report.unavailable))
    lines.push(`¹ ${targetLabels[target as keyof typeof targetLabels]}: n/a, ${reason}.`);
  return `${lines.join('\n')}\n`;
}

function findings(report: BenchReport): string {
  const lines: string[] = [];
  for (const q of report.queries)
    for (const [target, detail] of Object.entries(q.details))
      lines.push(
        `- \`${q.set}/${q.name}\` on ${targetLabels[target as keyof typeof targetLabels]}: **${q.checks[target as keyof typeof q.checks]}**: ${detail.replaceAll('\n', ' ')}`,
      );
  if (lines.length === 0)
    return "² Every answer equals PostgreSQL's (the query server: text for text; DuckDB alone: counts and values).\n";
  return `² Answers that are not PostgreSQL's (the query server must match text for text; DuckDB alone: counts and values, with a tolerance):\n\n${lines.join('\n')}\n`;
}

function fdwPlanSection(report: BenchReport): string {
  const plans = Object.entries(report.fdwPlans ?? {});
  if (plans.length === 0) return '';
  const whole = plans.filter(([, p]) => 'pushedDown' in p && p.pushedDown).map(([name]) => name);
  const lines = [
    '## columnar.* plans',
    '',
    `EXPLAIN (VERBOSE) in the local PostgreSQL: ${whole.length} of ${plans.length} queries run whole in the daemon (the plan is one Foreign Scan).`,
  ];
  const planning = plans.flatMap(([name, p]) => ('planningMs' in p ? [[name, p.planningMs] as const] : []));
  const slowest = [...planning].sort((a, b) => b[1] - a[1]).slice(0, 3);
  lines.push(
    `Planning in the local PostgreSQL (postgres_fdw asks the daemon to EXPLAIN each path it costs): median ${ms(median(planning.map(([, t]) => t)))} ms; slowest ${slowest.map(([n, t]) => `\`${n}\` ${ms(t)} ms`).join(', ')}.`,
    '',
  );
  for (const [name, plan] of plans) {
    if ('error' in plan) lines.push(`- \`${name}\`: EXPLAIN failed: ${plan.error}`);
    else if (!plan.pushedDown)
      lines.push(
        `- \`${name}\`: not pushed down whole; the top node is ${plan.topNode}; the daemon is sent ${plan.remoteSql.map((sql) => `\`${sql}\``).join(', ')}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function ingestSection(report: BenchReport): string {
  const { copy, backfill, table } = report.ingest;
  const csv = copy.find((c) => c.format === 'csv');
  const lines = ['## Ingest', '', '| what | rows | s | rate | vs COPY csv |', '|---|--:|--:|--:|--:|'];
  for (const c of copy) {
    const rows = report.options.rows;
    lines.push(
      `| psql \`COPY ${table} TO STDOUT (FORMAT ${c.format})\` > /dev/null, median | ${rows.toLocaleString('en-US')} | ${c.seconds.toFixed(2)} | ${rate(c.rowsPerSecond)} | ${csv ? (c.rowsPerSecond / csv.rowsPerSecond).toFixed(2) : '–'} |`,
    );
  }
  const versus = (rows: number, s: number) => (csv ? (rows / s / csv.rowsPerSecond).toFixed(2) : '–');
  const row = (what: string, rows: number, s: number) =>
    `| ${what} | ${rows.toLocaleString('en-US')} | ${s.toFixed(2)} | ${rate(rows / s)} | ${versus(rows, s)} |`;
  const [first, ...others] = backfill;
  if (first) {
    lines.push(
      row(
        `backfill \`${first.table}\`: register_table → wait_for_sync returns`,
        first.rows,
        first.wallSeconds,
      ),
    );
    lines.push(
      row(
        `backfill \`${first.table}\`: the copy itself (analytica.status.last_sync_ms)`,
        first.rows,
        first.copySeconds,
      ),
    );
  }
  if (others.length > 0) {
    const sum = (f: (b: Backfill) => number) => others.reduce((total, b) => total + f(b), 0);
    const names = others.map((b) => b.table).join(', ');
    lines.push(
      row(
        `backfill ${names}, one after another: register → synced`,
        sum((b) => b.rows),
        sum((b) => b.wallSeconds),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

function streamSection(report: BenchReport): string {
  const { apply, latency } = report.stream;
  const lines = [
    '## Change stream',
    '',
    '| one transaction | rows | statement s | commit → visible s | apply rate | pg_recvlogical s | its rate | apply / recvlogical time |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const a of apply) {
    const recv = Number.isFinite(a.recvlogicalSeconds);
    lines.push(
      `| ${a.label} | ${a.rows.toLocaleString('en-US')} | ${a.statementSeconds.toFixed(2)} | ${a.applySeconds.toFixed(2)} | ${rate(a.rows / a.applySeconds)} | ` +
        `${recv ? a.recvlogicalSeconds.toFixed(2) : 'n/a'} | ${recv ? rate(a.rows / a.recvlogicalSeconds) : 'n/a'} | ${recv ? `${(a.applySeconds / a.recvlogicalSeconds).toFixed(2)}×` : 'n/a'} |`,
    );
  }
  if (latency)
    lines.push(
      '',
      `Commit-to-visible latency under a write load of ${latency.rowsPerSecond.toLocaleString('en-US')} rows/s (100 transactions/s) for ${latency.seconds} s: ` +
        `**p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms** over ${latency.probes} probes (a probe commits one row, then a query through the query server must see it).`,
    );
  return `${lines.join('\n')}\n`;
}

function storageSection(report: BenchReport): string {
  const lines = [
    '## Storage',
    '',
    '| table | heap (pg_table_size) | heap + indexes + TOAST | segments | Parquet bytes | smaller than heap + indexes |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  let heap = 0;
  let total = 0;
  let parquet = 0;
  for (const s of report.storage) {
    heap += s.heapBytes;
    total += s.totalRelationBytes;
    parquet += s.segmentBytes;
    lines.push(
      `| ${s.table} | ${bytes(s.heapBytes)} | ${bytes(s.totalRelationBytes)} | ${s.segments} | ${bytes(s.segmentBytes)} | ${ratio(s.totalRelationBytes / s.segmentBytes)} |`,
    );
  }
  lines.push(
    `| **all** | ${bytes(heap)} | ${bytes(total)} | | ${bytes(parquet)} | ${ratio(total / parquet)} |`,
  );
  return `${lines.join('\n')}\n`;
}

function memorySection(report: BenchReport): string {
  return `## Memory

Peak RSS of the benchmark process, which runs the daemon in-process (sampled every 250 ms): **${mib(report.peakRss.daemonBytes)}** through generation, backfill, the queries and the stream load; ${mib(report.peakRss.withCeilingBytes)} once the ceiling's own DuckDB instance was loaded as well.
`;
}
