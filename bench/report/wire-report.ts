/** The wire benchmark's results (bench/wire.ts), as JSON and as Markdown. */
import type { ReadRun } from '../measure/fdw-reads.js';
import type { RoundTrip } from '../measure/round-trip.js';
import { ms, rate } from './format.js';

export interface WireReport {
  startedAt: string;
  options: { rows: number; fetchRows: number; queries: number; repetitions: number; quick: boolean };
  machine: {
    cpus: number;
    memoryGiB: number;
    node: string;
    postgres: string;
    postgresSettings: Record<string, string>;
    /** 1-minute load average when each section started: other work on the machine shows here. */
    loadAverage: Record<string, number>;
  };
  roundTrips: RoundTrip[];
  fetch: { rows: number; statement: string; runs: ReadRun[] };
  aggregate: { rows: number; statement: string; runs: ReadRun[] };
  failures: string[];
}

const serverLabels: Record<string, string> = {
  postgres: 'PostgreSQL (loopback TCP)',
  daemon: 'pg_analytica daemon (own process)',
};

function header(r: WireReport): string {
  const m = r.machine;
  const load = Object.entries(m.loadAverage)
    .map(([section, l]) => `${section} ${l.toFixed(2)}`)
    .join(', ');
  return `# pg_analytica wire benchmark

Run ${r.startedAt}${r.options.quick ? ' (--quick: a check, not a measurement)' : ''}. Machine: ${m.cpus} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.postgres}.
PostgreSQL: ${['shared_buffers', 'work_mem', 'max_parallel_workers_per_gather'].map((k) => `${k} ${m.postgresSettings[k] ?? 'default'}`).join(', ')}, jit default; tables prewarmed. The daemon runs as its own process.
1-minute load average at the start of each section (${m.cpus} cores): ${load}.
`;
}

function roundTripSection(r: WireReport): string {
  const lines = [
    `## a. \`SELECT 1\` round trip, one connection, node-postgres (${r.options.queries.toLocaleString('en-US')} sequential queries per row after warm-up)`,
    '',
    '| server | protocol | p50 ms | p90 ms | p99 ms | max ms | queries/s |',
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const t of r.roundTrips)
    lines.push(
      `| ${serverLabels[t.server] ?? t.server} | ${t.mode} | ${t.p50Ms.toFixed(3)} | ${t.p90Ms.toFixed(3)} | ${t.p99Ms.toFixed(3)} | ${t.maxMs.toFixed(1)} | ${Math.round(t.queriesPerSecond).toLocaleString('en-US')} |`,
    );
  const pg = r.roundTrips.filter((t) => t.server === 'postgres');
  const ratios = pg.map((p) => {
    const d = r.roundTrips.find((t) => t.server === 'daemon' && t.mode === p.mode);
    return d ? `${p.mode} ${(d.p50Ms / p.p50Ms).toFixed(1)}×` : '';
  });
  lines.push('', `Daemon p50 over PostgreSQL p50: ${ratios.filter(Boolean).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

function check(run: ReadRun): string {
  if (run.check === 'reference') return 'reference';
  return run.check === 'match' ? 'same as heap' : `**WRONG**: ${run.difference}`;
}

function pushdown(run: ReadRun): string {
  if (!run.plan) return '–';
  const p = run.plan;
  const remote = p.remoteSql.map((sql) => `\`${sql.length > 90 ? `${sql.slice(0, 90)}…` : sql}\``).join('; ');
  const relations = p.relations.length > 0 ? `${p.relations.join('; ')}; ` : '';
  const workers = p.workersPlanned !== undefined ? `${p.workersPlanned} workers planned; ` : '';
  return `${workers}${relations}${remote || p.topNode}`;
}

function fetchSection(r: WireReport): string {
  const f = r.fetch;
  const bytes = Number(f.runs[0]?.answer[0]?.[1] ?? Number.NaN);
  const lines = [
    `## b. Reading ${f.rows.toLocaleString('en-US')} rows through postgres_fdw`,
    '',
    `\`${f.statement}\`: every column of every row crosses the wire and is aggregated locally (text form: ${(bytes / 1e6).toFixed(0)} MB). Median of ${r.options.repetitions} runs after one warm-up.`,
    '',
    '| source | median s | min s | rows/s | MB/s (text form) | answer | plan |',
    '|---|--:|--:|--:|--:|---|---|',
  ];
  for (const run of f.runs) {
    const s = run.medianMs / 1000;
    lines.push(
      `| ${run.label} | ${s.toFixed(3)} | ${(run.minMs / 1000).toFixed(3)} | ${rate(f.rows / s)} | ${(bytes / 1e6 / s).toFixed(0)} | ${check(run)} | ${pushdown(run)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function aggregateSection(r: WireReport): string {
  const a = r.aggregate;
  const heap = a.runs[0]!;
  const lines = [
    `## c. Aggregate over ${a.rows.toLocaleString('en-US')} rows`,
    '',
    `\`${a.statement}\`. Median of ${r.options.repetitions} runs after one warm-up; ×: heap time over the row's time.`,
    '',
    '| where | median ms | min ms | × | answer | plan |',
    '|---|--:|--:|--:|---|---|',
  ];
  for (const run of a.runs)
    lines.push(
      `| ${run.label} | ${ms(run.medianMs)} | ${ms(run.minMs)} | ${(heap.medianMs / run.medianMs).toFixed(2)}× | ${check(run)} | ${pushdown(run)} |`,
    );
  return `${lines.join('\n')}\n`;
}

export function wireMarkdown(report: WireReport): string {
  const failures =
    report.failures.length > 0 ? `\n## Failures\n\n${report.failures.map((f) => `- ${f}`).join('\n')}\n` : '';
  return (
    [header(report), roundTripSection(report), fetchSection(report), aggregateSection(report)].join('\n') +
    failures
  );
}
